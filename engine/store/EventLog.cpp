// EventLog: SQL for events.
#include "EventLog.h"

#include "Database.h"
#include "Prepared.h"
#include "Sql.h"

namespace ordinaut {

namespace {

const QString kColumns
    = QStringLiteral("SELECT id, topic, payload, source, created_at FROM events");

Event eventFromRow(const QSqlQuery &q)
{
    Event event;
    event.id = q.value(0).toLongLong();
    event.topic = q.value(1).toString();
    event.payload = parseJson(q.value(2).toByteArray()).value_or(Json::object());
    event.source = q.value(3).toString();
    event.createdAt = sql::instant(q.value(4));
    return event;
}

} // namespace

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

Result<Event> EventLog::append(Event event, const QString &dedupeKey)
{
    if (dedupeKey.isEmpty())
        return append(std::move(event));
    const QByteArray payload = dumpJson(event.payload);
    Result<sql::Rows> inserted = sql::query(
        m_database.connection(),
        "INSERT INTO events (topic, payload, source, created_at, dedupe_key) VALUES (?,?,?,?,?)",
        {event.topic, payload, event.source, event.createdAt, dedupeKey});
    if (!inserted)
        return inserted.error();
    event.id = inserted->insertedRowId();
    return event;
}

Result<std::optional<Event>> EventLog::byDedupeKey(const QString &dedupeKey) const
{
    Result<QSqlQuery> q = sql::exec(m_database.connection(),
                                    kColumns + QStringLiteral(" WHERE dedupe_key=?"), {dedupeKey});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<Event>();
    return std::optional<Event>(eventFromRow(*q));
}

Result<std::vector<Event>> EventLog::since(qint64 afterId, int limit, const QString &pattern) const
{
    QString where = QStringLiteral(" WHERE id > ?");
    QVariantList binds{afterId};
    if (pattern.endsWith(QLatin1String(".*"))) {
        // Every topic under the prefix sorts between "prefix." and "prefix/" ('/' follows '.').
        const QString prefix = pattern.chopped(1);
        where += QStringLiteral(" AND topic >= ? AND topic < ?");
        binds << prefix << QString(prefix.chopped(1) + QLatin1Char('/'));
    } else if (!pattern.isEmpty()) {
        where += QStringLiteral(" AND topic = ?");
        binds << pattern;
    }
    binds << limit;
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(), kColumns + where + QStringLiteral(" ORDER BY id LIMIT ?"), binds);
    if (!q)
        return q.error();
    std::vector<Event> events;
    while (q->next())
        events.push_back(eventFromRow(*q));
    return events;
}

Result<qint64> EventLog::lastId() const
{
    Result<QSqlQuery> q
        = sql::exec(m_database.connection(), QStringLiteral("SELECT MAX(id) FROM events"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : qint64(0);
}

} // namespace ordinaut
