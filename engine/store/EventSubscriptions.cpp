// EventSubscriptions: SQL over tasks for the event fan-out.
#include "EventSubscriptions.h"

#include "Database.h"
#include "Sql.h"

namespace ordinaut {

EventSubscriptions::EventSubscriptions(const Database &database)
    : m_database(database)
{}

Result<std::vector<EventSubscription>> EventSubscriptions::active() const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT id, schedule_expr FROM tasks WHERE schedule_kind='event' "
                       "AND status='active' ORDER BY created_at, id"));
    if (!q)
        return q.error();
    std::vector<EventSubscription> list;
    while (q->next())
        list.push_back(EventSubscription{q->value(0).toString(), q->value(1).toString()});
    return list;
}

} // namespace ordinaut
