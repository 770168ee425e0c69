// ApprovalStore: plain SQL over the approvals table.
#include "ApprovalStore.h"

#include "Database.h"
#include "Sql.h"

namespace ordinaut {

namespace {

const QString kSelect = QStringLiteral(
    "SELECT id, run_id, task_id, step_index, step_id, title, details, status, expires_at, "
    "decided_by, comment, decided_at, created_at FROM approvals");

Approval fromRow(const QSqlQuery &q)
{
    Approval a;
    a.id = q.value(0).toString();
    a.runId = q.value(1).toString();
    a.taskId = q.value(2).toString();
    a.stepIndex = q.value(3).toInt();
    a.stepId = q.value(4).toString();
    a.title = q.value(5).toString();
    a.details = q.value(6).isNull() ? Json() : parseJson(q.value(6).toByteArray()).value_or(Json());
    a.status = q.value(7).toString();
    a.expiresAt = sql::instant(q.value(8));
    a.decidedBy = q.value(9).toString();
    a.comment = q.value(10).toString();
    a.decidedAt = sql::instant(q.value(11));
    a.createdAt = sql::instant(q.value(12));
    return a;
}

} // namespace

Json Approval::toJson() const
{
    auto textOrNull = [](const QString &text) { return text.isEmpty() ? Json() : Json(text); };
    return Json{{"id", id},
                {"run_id", runId},
                {"task_id", taskId},
                {"step_index", stepIndex},
                {"step_id", stepId},
                {"title", title},
                {"details", details},
                {"status", status},
                {"expires_at", instantJson(expiresAt)},
                {"decided_by", textOrNull(decidedBy)},
                {"comment", textOrNull(comment)},
                {"decided_at", instantJson(decidedAt)},
                {"created_at", instantJson(createdAt)}};
}

ApprovalStore::ApprovalStore(const Database &database)
    : m_database(database)
{}

Result<Approval> ApprovalStore::ask(const Approval &a)
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("INSERT INTO approvals (id, run_id, task_id, step_index, step_id, title, "
                       "details, status, expires_at, created_at) VALUES (?,?,?,?,?,?,?,"
                       "'pending',?,?) ON CONFLICT (run_id, step_index) DO NOTHING"),
        {a.id, a.runId, a.taskId, a.stepIndex, a.stepId, a.title,
         QString::fromUtf8(dumpJson(a.details)), sql::ms(a.expiresAt), sql::ms(a.createdAt)});
    if (!q)
        return q.error();
    Result<std::optional<Approval>> stored = forStep(a.runId, a.stepIndex);
    if (!stored)
        return stored.error();
    if (!stored->has_value())
        return Error::internal(QStringLiteral("approval for run %1 vanished").arg(a.runId));
    return **stored;
}

Result<Approval> ApprovalStore::get(const QString &id) const
{
    Result<QSqlQuery> q
        = sql::exec(m_database.connection(), kSelect + QStringLiteral(" WHERE id=?"), {id});
    if (!q)
        return q.error();
    if (!q->next())
        return Error::notFound(QStringLiteral("there is no approval %1").arg(id));
    return fromRow(*q);
}

Result<std::optional<Approval>> ApprovalStore::forStep(const QString &runId, int stepIndex) const
{
    Result<QSqlQuery> q = sql::exec(m_database.connection(),
                                    kSelect + QStringLiteral(" WHERE run_id=? AND step_index=?"),
                                    {runId, stepIndex});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<Approval>();
    return std::optional<Approval>(fromRow(*q));
}

Result<std::vector<Approval>> ApprovalStore::list(const QString &status, int limit) const
{
    Result<QSqlQuery> q
        = status.isEmpty()
              ? sql::exec(m_database.connection(),
                          kSelect + QStringLiteral(" ORDER BY created_at DESC, id DESC LIMIT ?"),
                          {limit})
              : sql::exec(
                  m_database.connection(),
                  kSelect
                      + QStringLiteral(" WHERE status=? ORDER BY created_at DESC, id DESC LIMIT ?"),
                  {status, limit});
    if (!q)
        return q.error();
    std::vector<Approval> list;
    while (q->next())
        list.push_back(fromRow(*q));
    return list;
}

Status ApprovalStore::decide(const QString &id, const QString &status, const QString &by,
                             const QString &comment, const QDateTime &at)
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("UPDATE approvals SET status=?, decided_by=?, comment=?, decided_at=? "
                       "WHERE id=? AND status='pending'"),
        {status, sql::text(by), sql::text(comment.isEmpty() ? QString() : comment), sql::ms(at),
         id});
    if (!q)
        return q.error();
    if (q->numRowsAffected() == 0) {
        Result<Approval> current = get(id);
        if (!current)
            return current.error();
        return Error{ErrorCode::Conflict,
                     QStringLiteral("approval %1 is already %2").arg(id, current->status),
                     {}};
    }
    return {};
}

} // namespace ordinaut
