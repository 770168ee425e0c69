// WorkerStore: heartbeat rows for engines and their workers (who is alive, how much it did).
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <QDateTime>

namespace ordinaut {

class Database;

class WorkerStore final
{
public:
    explicit WorkerStore(const Database &database);

    Status upsert(const QString &id, const QString &host, qint64 pid, const QDateTime &now);
    // Counts one processed run and refreshes last_seen_at. Runs inside the caller's transaction.
    // Adds `count` runs to the worker's processed total.
    Status recordProcessed(const QString &id, qint64 count, const QDateTime &now);
    // Refreshes last_seen_at (the lease heartbeat). Runs inside the caller's transaction.
    Status touch(const QString &id, const QDateTime &now);
    // Every worker row, most recently seen first:
    // [{"id","host","pid","started_at","last_seen_at","processed"}].
    Result<Json> list() const;

private:
    const Database &m_database;
};

} // namespace ordinaut
