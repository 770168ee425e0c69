// WorkerStore: SQL for worker heartbeats.
#include "WorkerStore.h"

#include "Database.h"
#include "Sql.h"

namespace ordinaut {

WorkerStore::WorkerStore(const Database &database)
    : m_database(database)
{}

Status WorkerStore::upsert(const QString &id, const QString &host, qint64 pid, const QDateTime &now)
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral(
            "INSERT INTO workers (id, host, pid, started_at, last_seen_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT (id) DO UPDATE SET host=excluded.host, pid=excluded.pid, "
            "started_at=excluded.started_at, last_seen_at=excluded.last_seen_at"),
        {id, host, pid, sql::ms(now), sql::ms(now)});
    if (!q)
        return q.error();
    return {};
}

Status WorkerStore::recordProcessed(const QString &id, qint64 count, const QDateTime &now)
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("UPDATE workers SET processed=processed+?, last_seen_at=? WHERE id=?"),
        {count, sql::ms(now), id});
    if (!q)
        return q.error();
    return {};
}

Status WorkerStore::touch(const QString &id, const QDateTime &now)
{
    Result<QSqlQuery> q = sql::exec(m_database.connection(),
                                    QStringLiteral("UPDATE workers SET last_seen_at=? WHERE id=?"),
                                    {sql::ms(now), id});
    if (!q)
        return q.error();
    return {};
}

Result<Json> WorkerStore::list() const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT id, host, pid, started_at, last_seen_at, processed FROM workers "
                       "ORDER BY last_seen_at DESC, id LIMIT 200"));
    if (!q)
        return q.error();
    Json list = Json::array();
    while (q->next())
        list.push_back(Json{{"id", q->value(0).toString()},
                            {"host", q->value(1).toString()},
                            {"pid", q->value(2).toLongLong()},
                            {"started_at", instantJson(sql::instant(q->value(3)))},
                            {"last_seen_at", instantJson(sql::instant(q->value(4)))},
                            {"processed", q->value(5).toLongLong()}});
    return list;
}

} // namespace ordinaut
