// ApprovalService: decision, audit, wake-up and event in one transaction.
#include "ApprovalService.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/Sql.h"

namespace ordinaut {

ApprovalService::ApprovalService(Engine &engine)
    : m_engine(engine)
{}

Result<std::vector<Approval>> ApprovalService::list(const QString &status, int limit) const
{
    static const QStringList kStatuses = {QStringLiteral("pending"), QStringLiteral("approved"),
                                          QStringLiteral("rejected"), QStringLiteral("timed_out")};
    if (!status.isEmpty() && !kStatuses.contains(status))
        return Error::invalid(QStringLiteral("status"),
                              QStringLiteral("must be one of %1, got '%2'")
                                  .arg(kStatuses.join(QStringLiteral(", ")), status));
    if (limit < 1 || limit > 500)
        return Error::invalid(QStringLiteral("limit"),
                              QStringLiteral("must be an integer from 1 to 500"));
    return ApprovalStore(m_engine.database()).list(status, limit);
}

Result<Approval> ApprovalService::get(const QString &id) const
{
    return ApprovalStore(m_engine.database()).get(id);
}

Result<Approval> ApprovalService::decide(const QString &id, ApprovalDecision decision,
                                         const QString &comment, const QString &actor)
{
    if (comment.size() > 2000)
        return Error::invalid(QStringLiteral("comment"),
                              QStringLiteral("must be at most 2000 characters"));
    const Database &db = m_engine.database();
    const QDateTime now = m_engine.clock().now();
    const QString status = decision == ApprovalDecision::Approve ? QStringLiteral("approved")
                                                                 : QStringLiteral("rejected");
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    ApprovalStore approvals(db);
    Result<Approval> approval = approvals.get(id);
    if (!approval)
        return approval.error();
    // Past its deadline the answer comes too late, even if the run has not noticed yet.
    if (approval->status == QLatin1String("pending") && now >= approval->expiresAt)
        return Error{
            ErrorCode::Conflict,
            QStringLiteral("approval %1 expired at %2").arg(id, formatInstant(approval->expiresAt)),
            {}};
    if (Status decided = approvals.decide(id, status, actor, comment, now); !decided)
        return decided.error();
    if (Status audited = AuditLog(db).append(
            AuditEntry{0, actor, QStringLiteral("approval.") + status, id,
                       Json{{"run_id", approval->runId}, {"comment", comment}}, now});
        !audited)
        return audited.error();
    if (Result<bool> woken = RunQueue(db).wake(approval->runId, now); !woken)
        return woken.error();
    Result<Event> event = EventLog(db).append(m_engine.eventBus().make(
        QStringLiteral("approval.decided"),
        Json{{"approval_id", id}, {"run_id", approval->runId}, {"status", status}}, actor));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    m_engine.eventBus().announce(*event);
    return approvals.get(id);
}

Result<Approval> ApprovalService::decideForRun(const QString &runId, ApprovalDecision decision,
                                               const QString &comment, const QString &actor)
{
    Result<Run> run = RunStore(m_engine.database()).get(runId, false);
    if (!run)
        return run.error();
    // A run waiting for a person names the approval it waits for where it will resume.
    const Json approvalId
        = run->resume.is_object() ? run->resume.value("approval_id", Json()) : Json();
    if (run->status != RunStatus::WaitingApproval || !approvalId.is_string())
        return Error{ErrorCode::Conflict,
                     QStringLiteral("run %1 is %2, not waiting_approval; there is nothing to "
                                    "decide")
                         .arg(runId, toString(run->status)),
                     {}};
    return decide(approvalId.get<QString>(), decision, comment, actor);
}

} // namespace ordinaut
