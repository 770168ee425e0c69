// AuditLog: the append-only record of every mutating call (who did what to which subject).
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <vector>

namespace ordinaut {

class Database;

struct AuditEntry
{
    qint64 id = 0;
    QString actor;
    QString action; // "task.create", "task.pause", …
    QString subject;
    Json details = Json::object();
    QDateTime at;

    Json toJson() const
    {
        return Json{{"id", id},
                    {"actor", actor.toStdString()},
                    {"action", action.toStdString()},
                    {"subject", subject.toStdString()},
                    {"details", details},
                    {"at", instantJson(at)}};
    }
};

class AuditLog final
{
public:
    explicit AuditLog(const Database &database);

    // Runs inside the caller's transaction, so the record commits with the change it describes.
    Status append(const AuditEntry &entry);
    Result<std::vector<AuditEntry>> forSubject(const QString &subject) const;
    // Entries after the id `afterId` in order, at most `limit`, of `actor` and `action` when
    // those are not null.
    Result<std::vector<AuditEntry>> search(const QString &actor, const QString &action,
                                           qint64 afterId, int limit) const;
    // What `actor` did, newest first, at most `limit` entries.
    Result<std::vector<AuditEntry>> byActor(const QString &actor, int limit) const;

private:
    const Database &m_database;
};

} // namespace ordinaut
