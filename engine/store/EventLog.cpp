// EventLog: SQL for events.
#include "EventLog.h"

#include "Database.h"
#include "Prepared.h"
#include "Sql.h"

namespace ordinaut {

EventLog::EventLog(const Database &database)
    : m_database(database)
{}

Result<Event> EventLog::append(Event event)
{
    const QByteArray payload = dumpJson(event.payload);
    Result<sql::Rows> inserted
        = sql::query(m_database.connection(),
                     "INSERT INTO events (topic, payload, source, created_at) VALUES (?,?,?,?)",
                     {event.topic, payload, event.source, event.createdAt});
    if (!inserted)
        return inserted.error();
    event.id = inserted->insertedRowId();
    return event;
}

Result<std::vector<Event>> EventLog::since(qint64 afterId, int limit) const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT id, topic, payload, source, created_at FROM events WHERE id > ? "
                       "ORDER BY id LIMIT ?"),
        {afterId, limit});
    if (!q)
        return q.error();
    std::vector<Event> events;
    while (q->next()) {
        Event event;
        event.id = q->value(0).toLongLong();
        event.topic = q->value(1).toString();
        event.payload = parseJson(q->value(2).toByteArray()).value_or(Json::object());
        event.source = q->value(3).toString();
        event.createdAt = sql::instant(q->value(4));
        events.push_back(std::move(event));
    }
    return events;
}

} // namespace ordinaut
