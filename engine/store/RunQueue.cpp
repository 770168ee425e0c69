// RunQueue: enqueue and claim SQL.
#include "RunQueue.h"

#include "Database.h"
#include "Sql.h"

#include "core/Id.h"

namespace ordinaut {

RunQueue::RunQueue(const Database &database)
    : m_database(database)
{}

Result<std::optional<Run>> RunQueue::enqueue(const EnqueueRequest &request, const QDateTime &now)
{
    const QSqlDatabase db = m_database.connection();
    Run run;
    run.id = newId();
    run.taskId = request.taskId;
    run.taskVersion = request.taskVersion;
    run.attempt = request.attempt;
    run.trigger = request.trigger;
    run.status = RunStatus::Queued;
    run.scheduledFor = request.scheduledFor;
    run.queuedAt = now;
    run.lateMs = request.lateMs;
    run.coalesced = request.coalesced;

    Result<QSqlQuery> inserted = sql::exec(
        db,
        QStringLiteral("INSERT INTO run_queue (task_id, run_id, scheduled_for, run_at, priority, "
                       "attempt, trigger, state, created_at) VALUES (?,?,?,?,?,?,?,'pending',?) "
                       "ON CONFLICT (task_id, scheduled_for, attempt) DO NOTHING"),
        {request.taskId, run.id, sql::ms(request.scheduledFor), sql::ms(request.runAt),
         request.priority, request.attempt, toString(request.trigger), sql::ms(now)});
    if (!inserted)
        return inserted.error();
    if (inserted->numRowsAffected() == 0)
        return std::optional<Run>();

    Result<QSqlQuery> runRow = sql::exec(
        db,
        QStringLiteral("INSERT INTO runs (id, task_id, task_version, attempt, trigger, status, "
                       "scheduled_for, queued_at, late_ms, coalesced) "
                       "VALUES (?,?,?,?,?,'queued',?,?,?,?)"),
        {run.id, run.taskId, run.taskVersion, run.attempt, toString(run.trigger),
         sql::ms(run.scheduledFor), sql::ms(now), request.lateMs, request.coalesced});
    if (!runRow)
        return runRow.error();
    return std::optional<Run>(std::move(run));
}

Result<std::optional<Claim>> RunQueue::claim(const QString &workerId, const QDateTime &now,
                                             qint64 leaseMs)
{
    const QSqlDatabase db = m_database.connection();
    // A read first: idle polls then never take the write lock.
    {
        Result<QSqlQuery> ready = sql::exec(
            db,
            QStringLiteral("SELECT 1 FROM run_queue WHERE (state='pending' AND run_at "
                           "<= ?) OR (state IN ('leased', 'canceling') AND lease_expires_at <= ?) "
                           "LIMIT 1"),
            {sql::ms(now), sql::ms(now)});
        if (!ready)
            return ready.error();
        if (!ready->next())
            return std::optional<Claim>();
    }
    sql::Transaction tx(db, sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    // A run canceled while its worker died is simply canceled.
    if (Status closed = closeExpiredCancels(now); !closed)
        return closed.error();
    // A lease that ran out means its worker died or hangs: that attempt is abandoned and this
    // worker takes the run over as the next attempt.
    Result<std::optional<Claim>> takenOver = takeOverExpired(workerId, now, leaseMs);
    if (!takenOver)
        return takenOver.error();
    if (takenOver->has_value()) {
        if (Status committed = tx.commit(); !committed)
            return committed.error();
        return takenOver;
    }
    Result<QSqlQuery> leased = sql::exec(
        db,
        QStringLiteral("UPDATE run_queue SET state='leased', lease_owner=?, lease_expires_at=?, "
                       "lease_epoch=lease_epoch+1 WHERE id = (SELECT id FROM run_queue WHERE "
                       "state='pending' AND run_at <= ? ORDER BY priority, run_at, id LIMIT 1) "
                       "RETURNING id, lease_epoch, run_id, task_id"),
        {workerId, sql::ms(now.addMSecs(leaseMs)), sql::ms(now)});
    if (!leased)
        return leased.error();
    if (!leased->next())
        return std::optional<Claim>();
    Claim claim;
    claim.queueId = leased->value(0).toLongLong();
    claim.leaseEpoch = leased->value(1).toLongLong();
    claim.runId = leased->value(2).toString();
    claim.taskId = leased->value(3).toString();
    claim.workerId = workerId;
    leased->finish();

    Result<QSqlQuery> running
        = sql::exec(db,
                    QStringLiteral("UPDATE runs SET status='running', "
                                   "started_at=COALESCE(started_at, ?), worker=? WHERE id=?"),
                    {sql::ms(now), workerId, claim.runId});
    if (!running)
        return running.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    return std::optional<Claim>(std::move(claim));
}

Status RunQueue::closeExpiredCancels(const QDateTime &now)
{
    const QSqlDatabase db = m_database.connection();
    Result<QSqlQuery> closed
        = sql::exec(db,
                    QStringLiteral("UPDATE run_queue SET state='done', lease_expires_at=NULL WHERE "
                                   "state='canceling' AND lease_expires_at <= ? RETURNING run_id"),
                    {sql::ms(now)});
    if (!closed)
        return closed.error();
    QStringList runIds;
    while (closed->next())
        runIds << closed->value(0).toString();
    closed->finish();
    for (const QString &runId : std::as_const(runIds)) {
        Result<QSqlQuery> canceled = sql::exec(
            db,
            QStringLiteral("UPDATE runs SET status='canceled', finished_at=?, resume=NULL, "
                           "error=COALESCE(error, 'canceled') WHERE id=? AND status='running'"),
            {sql::ms(now), runId});
        if (!canceled)
            return canceled.error();
    }
    return {};
}

Result<std::optional<Claim>> RunQueue::takeOverExpired(const QString &workerId,
                                                       const QDateTime &now, qint64 leaseMs)
{
    const QSqlDatabase db = m_database.connection();
    Result<QSqlQuery> expired
        = sql::exec(db,
                    QStringLiteral("SELECT id, run_id, task_id, lease_owner FROM run_queue WHERE "
                                   "state='leased' AND lease_expires_at <= ? ORDER BY priority, "
                                   "lease_expires_at, id LIMIT 1"),
                    {sql::ms(now)});
    if (!expired)
        return expired.error();
    if (!expired->next())
        return std::optional<Claim>();
    Claim claim;
    claim.queueId = expired->value(0).toLongLong();
    const QString oldRun = expired->value(1).toString();
    claim.taskId = expired->value(2).toString();
    const QString oldOwner = expired->value(3).toString();
    claim.runId = newId();
    claim.workerId = workerId;
    expired->finish();

    Result<QSqlQuery> inserted = sql::exec(
        db,
        QStringLiteral("INSERT INTO runs (id, task_id, task_version, attempt, trigger, status, "
                       "scheduled_for, queued_at, started_at, worker, late_ms, coalesced) SELECT "
                       "?, task_id, task_version, attempt + 1, trigger, 'running', scheduled_for, "
                       "?, ?, ?, late_ms, coalesced FROM runs WHERE id=?"),
        {claim.runId, sql::ms(now), sql::ms(now), workerId, oldRun});
    if (!inserted)
        return inserted.error();
    Result<QSqlQuery> abandoned = sql::exec(
        db,
        QStringLiteral("UPDATE runs SET status='abandoned', finished_at=?, error=? WHERE id=? "
                       "AND status IN ('queued', 'running')"),
        {sql::ms(now),
         QStringLiteral("worker %1 stopped renewing its lease; run %2 took over")
             .arg(oldOwner, claim.runId),
         oldRun});
    if (!abandoned)
        return abandoned.error();
    Result<QSqlQuery> leased = sql::exec(
        db,
        QStringLiteral("UPDATE run_queue SET run_id=?, lease_owner=?, lease_expires_at=?, "
                       "lease_epoch=lease_epoch+1 WHERE id=? RETURNING lease_epoch"),
        {claim.runId, workerId, sql::ms(now.addMSecs(leaseMs)), claim.queueId});
    if (!leased)
        return leased.error();
    if (!leased->next())
        return Error::internal(QStringLiteral("queue row %1 vanished").arg(claim.queueId));
    claim.leaseEpoch = leased->value(0).toLongLong();
    claim.abandonedRunId = oldRun;
    return std::optional<Claim>(std::move(claim));
}

Status RunQueue::renew(const std::vector<Claim> &claims, const QDateTime &now, qint64 leaseMs,
                       std::vector<Claim> *lost, std::vector<CancelRequest> *canceling)
{
    const QSqlDatabase db = m_database.connection();
    sql::Transaction tx(db, sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    for (const Claim &claim : claims) {
        Result<QSqlQuery> renewed = sql::exec(
            db,
            QStringLiteral("UPDATE run_queue SET lease_expires_at=? WHERE id=? AND lease_epoch=? "
                           "AND lease_owner=? AND state IN ('leased', 'canceling') RETURNING "
                           "state, (SELECT error FROM runs WHERE runs.id = run_queue.run_id)"),
            {sql::ms(now.addMSecs(leaseMs)), claim.queueId, claim.leaseEpoch, claim.workerId});
        if (!renewed)
            return renewed.error();
        if (!renewed->next()) {
            if (lost)
                lost->push_back(claim);
        } else if (renewed->value(0).toString() == QLatin1String("canceling") && canceling) {
            canceling->push_back({claim, renewed->value(1).toString()});
        }
    }
    return tx.commit();
}

Status RunQueue::complete(const Claim &claim)
{
    Result<QSqlQuery> done = sql::exec(
        m_database.connection(),
        QStringLiteral("UPDATE run_queue SET state='done', lease_expires_at=NULL WHERE id=? AND "
                       "lease_epoch=? AND lease_owner=? AND state IN ('leased', 'canceling')"),
        {claim.queueId, claim.leaseEpoch, claim.workerId});
    if (!done)
        return done.error();
    if (done->numRowsAffected() == 0)
        return Error{ErrorCode::Conflict,
                     QStringLiteral("the lease on run %1 was lost; its result is not recorded")
                         .arg(claim.runId),
                     {}};
    return {};
}

Status RunQueue::defer(const Claim &claim, const QDateTime &runAt)
{
    Result<QSqlQuery> done = sql::exec(
        m_database.connection(),
        QStringLiteral("UPDATE run_queue SET state='pending', run_at=?, lease_owner=NULL, "
                       "lease_expires_at=NULL WHERE id=? AND lease_epoch=? AND lease_owner=? AND "
                       "state='leased'"),
        {sql::ms(runAt), claim.queueId, claim.leaseEpoch, claim.workerId});
    if (!done)
        return done.error();
    if (done->numRowsAffected() > 0)
        return {};
    // Canceled while the step that pauses went on: the run ends instead.
    Result<QSqlQuery> state = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT 1 FROM run_queue WHERE id=? AND lease_epoch=? AND lease_owner=? "
                       "AND state='canceling'"),
        {claim.queueId, claim.leaseEpoch, claim.workerId});
    if (!state)
        return state.error();
    if (state->next())
        return Error{ErrorCode::Canceled,
                     QStringLiteral("run %1 was canceled before it could pause").arg(claim.runId),
                     {}};
    return Error{
        ErrorCode::Conflict,
        QStringLiteral("the lease on run %1 was lost; its pause is not recorded").arg(claim.runId),
        {}};
}

Result<CancelEffect> RunQueue::cancel(const QString &runId, const QString &message,
                                      const QDateTime &now)
{
    const QSqlDatabase db = m_database.connection();
    // Not started yet (or paused): it ends here.
    Result<QSqlQuery> dropped
        = sql::exec(db,
                    QStringLiteral("UPDATE run_queue SET state='done', lease_owner=NULL, "
                                   "lease_expires_at=NULL WHERE run_id=? AND state='pending'"),
                    {runId});
    if (!dropped)
        return dropped.error();
    if (dropped->numRowsAffected() > 0) {
        Result<QSqlQuery> canceled
            = sql::exec(db,
                        QStringLiteral("UPDATE runs SET status='canceled', finished_at=?, error=?, "
                                       "resume=NULL WHERE id=?"),
                        {sql::ms(now), message, runId});
        if (!canceled)
            return canceled.error();
        Result<QSqlQuery> approvals = sql::exec(
            db,
            QStringLiteral("UPDATE approvals SET status='canceled', decided_at=?, comment=? "
                           "WHERE run_id=? AND status='pending'"),
            {sql::ms(now), message, runId});
        if (!approvals)
            return approvals.error();
        return CancelEffect::Canceled;
    }
    // Going on: its worker stops it at its next heartbeat or at once when it is in this
    // process (the caller tells the pool). The reason is kept for the worker to record.
    Result<QSqlQuery> stopping = sql::exec(
        db,
        QStringLiteral("UPDATE run_queue SET state='canceling' WHERE run_id=? AND state='leased'"),
        {runId});
    if (!stopping)
        return stopping.error();
    if (stopping->numRowsAffected() > 0) {
        Result<QSqlQuery> reason = sql::exec(
            db, QStringLiteral("UPDATE runs SET error=? WHERE id=? AND status='running'"),
            {message, runId});
        if (!reason)
            return reason.error();
        return CancelEffect::Stopping;
    }
    return CancelEffect::None;
}

Status RunQueue::release(const std::vector<Claim> &claims, const QDateTime &now)
{
    const QSqlDatabase db = m_database.connection();
    sql::Transaction tx(db, sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    for (const Claim &claim : claims) {
        Result<QSqlQuery> released = sql::exec(
            db,
            QStringLiteral("UPDATE run_queue SET lease_expires_at=? WHERE id=? AND lease_epoch=? "
                           "AND lease_owner=? AND state IN ('leased', 'canceling')"),
            {sql::ms(now), claim.queueId, claim.leaseEpoch, claim.workerId});
        if (!released)
            return released.error();
    }
    return tx.commit();
}

Result<bool> RunQueue::wake(const QString &runId, const QDateTime &now)
{
    Result<QSqlQuery> woken = sql::exec(
        m_database.connection(),
        QStringLiteral("UPDATE run_queue SET run_at=? WHERE run_id=? AND state='pending'"),
        {sql::ms(now), runId});
    if (!woken)
        return woken.error();
    return woken->numRowsAffected() > 0;
}

Result<Json> RunQueue::health(const QDateTime &now) const
{
    const qint64 ms = now.toMSecsSinceEpoch();
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT (SELECT COUNT(*) FROM run_queue WHERE state='pending'), "
                       "(SELECT COUNT(*) FROM run_queue WHERE state='pending' AND run_at <= ?), "
                       "(SELECT MIN(run_at) FROM run_queue WHERE state='pending' AND run_at <= ?), "
                       "(SELECT COUNT(*) FROM run_queue WHERE state IN ('leased', 'canceling')), "
                       "(SELECT COUNT(*) FROM run_queue WHERE state IN ('leased', 'canceling') AND "
                       "lease_expires_at <= ?), "
                       "(SELECT MIN(lease_expires_at) FROM run_queue WHERE state IN ('leased', "
                       "'canceling'))"),
        {ms, ms, ms});
    if (!q)
        return q.error();
    if (!q->next())
        return Error::internal(QStringLiteral("the queue summary returned no row"));
    return Json{{"pending", q->value(0).toLongLong()},
                {"ready", q->value(1).toLongLong()},
                {"oldest_due", instantJson(sql::instant(q->value(2)))},
                {"leased", q->value(3).toLongLong()},
                {"expired_leases", q->value(4).toLongLong()},
                {"next_lease_expiry", instantJson(sql::instant(q->value(5)))}};
}

Result<int> RunQueue::pendingCount() const
{
    Result<QSqlQuery> q
        = sql::exec(m_database.connection(),
                    QStringLiteral("SELECT COUNT(*) FROM run_queue WHERE state='pending'"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toInt() : 0;
}

Result<RunQueue::Outlook> RunQueue::outlook(const QDateTime &now) const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral(
            "SELECT EXISTS (SELECT 1 FROM run_queue WHERE (state='pending' AND run_at <= ?) OR "
            "(state IN ('leased', 'canceling') AND lease_expires_at <= ?)), "
            "(SELECT MIN(t) FROM (SELECT MIN(run_at) AS t FROM run_queue WHERE state='pending' "
            "AND run_at > ? UNION ALL SELECT MIN(lease_expires_at) FROM run_queue WHERE "
            "state IN ('leased', 'canceling') AND lease_expires_at > ?))"),
        {now.toMSecsSinceEpoch(), now.toMSecsSinceEpoch(), now.toMSecsSinceEpoch(),
         now.toMSecsSinceEpoch()});
    if (!q)
        return q.error();
    Outlook outlook;
    if (q->next()) {
        outlook.readyNow = q->value(0).toInt() != 0;
        outlook.nextLater = sql::instant(q->value(1));
    }
    return outlook;
}

} // namespace ordinaut
