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

Status WorkerStore::recordProcessed(const QString &id, const QDateTime &now)
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("UPDATE workers SET processed=processed+1, last_seen_at=? WHERE id=?"),
        {sql::ms(now), id});
    if (!q)
        return q.error();
    return {};
}

} // namespace ordinaut
