// AuditLog: SQL for the audit trail.
#include "AuditLog.h"

#include "Database.h"
#include "Prepared.h"
#include "Sql.h"

namespace ordinaut {

AuditLog::AuditLog(const Database &database)
    : m_database(database)
{}

Status AuditLog::append(const AuditEntry &entry)
{
    const QByteArray details = dumpJson(entry.details);
    Result<sql::Rows> inserted
        = sql::query(m_database.connection(),
                     "INSERT INTO audit_log (actor, action, subject, details, created_at) VALUES "
                     "(?,?,?,?,?)",
                     {entry.actor, entry.action, entry.subject, details, entry.at});
    if (!inserted)
        return inserted.error();
    return {};
}

Result<std::vector<AuditEntry>> AuditLog::forSubject(const QString &subject) const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT id, actor, action, subject, details, created_at FROM audit_log "
                       "WHERE subject=? ORDER BY id"),
        {subject});
    if (!q)
        return q.error();
    std::vector<AuditEntry> entries;
    while (q->next()) {
        AuditEntry entry;
        entry.id = q->value(0).toLongLong();
        entry.actor = q->value(1).toString();
        entry.action = q->value(2).toString();
        entry.subject = q->value(3).toString();
        entry.details = parseJson(q->value(4).toByteArray()).value_or(Json::object());
        entry.at = sql::instant(q->value(5));
        entries.push_back(std::move(entry));
    }
    return entries;
}

namespace {

std::vector<AuditEntry> entriesFrom(const sql::Rows &q)
{
    std::vector<AuditEntry> entries;
    for (int row = 0; row < q.size(); ++row)
        entries.push_back(
            AuditEntry{q.integer(row, 0), q.text(row, 1), q.text(row, 2), q.text(row, 3),
                       parseJson(q.utf8(row, 4)).value_or(Json::object()), q.instant(row, 5)});
    return entries;
}

} // namespace

Result<std::vector<AuditEntry>> AuditLog::search(const QString &actor, const QString &action,
                                                 qint64 afterId, int limit) const
{
    Result<sql::Rows> q = sql::query(
        m_database.connection(),
        "SELECT id, actor, action, subject, details, created_at FROM audit_log WHERE id > ? AND "
        "(? IS NULL OR actor = ?) AND (? IS NULL OR action = ?) ORDER BY id LIMIT ?",
        {afterId, actor, actor, action, action, limit});
    if (!q)
        return q.error();
    return entriesFrom(*q);
}

Result<std::vector<AuditEntry>> AuditLog::byActor(const QString &actor, int limit) const
{
    Result<sql::Rows> q = sql::query(m_database.connection(),
                                     "SELECT id, actor, action, subject, details, created_at FROM "
                                     "audit_log WHERE actor=? ORDER BY id DESC LIMIT ?",
                                     {actor, limit});
    if (!q)
        return q.error();
    return entriesFrom(*q);
}

} // namespace ordinaut
