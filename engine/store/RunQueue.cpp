// RunQueue: enqueue and claim SQL.
#include "RunQueue.h"

#include "Database.h"
#include "Prepared.h"
#include "RunStore.h"
#include "Sql.h"

#include "core/Id.h"
#include "core/Log.h"
#include "core/Task.h"

namespace ordinaut {

namespace {

// A pending row `q` that may start at the bound instant: due; its concurrency key (if any) has
// fewer rows leased or being canceled than its limit; and, when its task's runs start one at a
// time, no other run of the task is leased or being canceled, nor — for a row that has not
// started — paused (a pending row leased before: defer() handed it back to wait). A paused row
// is not held back by another paused one, so two of them cannot wait for each other. Each test
// is an index lookup (run_queue_by_concurrency, run_queue_open_by_task) and creates no temporary
// table: sets of busy keys and tasks computed once per statement would cost less per row
// held back, but cost more per claim in the usual case (temporary tables go to a file).
const QString kStartable = QStringLiteral(
    "q.state='pending' AND q.run_at <= ? "
    "AND (q.concurrency_key IS NULL OR COALESCE(q.concurrency_limit, 1) > (SELECT COUNT(*) FROM "
    "run_queue c WHERE c.concurrency_key = q.concurrency_key AND c.state IN ('leased', "
    "'canceling'))) "
    "AND (q.serial = 0 OR (NOT EXISTS (SELECT 1 FROM run_queue o WHERE o.task_id = q.task_id "
    "AND o.state IN ('leased', 'canceling')) AND (q.lease_epoch > 0 OR NOT EXISTS (SELECT 1 FROM "
    "run_queue o WHERE o.task_id = q.task_id AND o.state = 'pending' AND o.lease_epoch > 0))))");

} // namespace

struct RunQueue::Admission
{
    QString dedupeKey;  // stored on the row, so later requests are answered with its run
    QString skipReason; // recorded `skipped` for this reason, when not empty
    bool cancelPrevious = false;
};

RunQueue::RunQueue(const Database &database)
    : m_database(database)
{}

Result<std::optional<Run>> RunQueue::enqueue(const EnqueueRequest &request, const QDateTime &now,
                                             EnqueueReport *report)
{
    EnqueueReport unreported;
    EnqueueReport &done = report ? *report : unreported;
    done = EnqueueReport{};
    const QSqlDatabase db = m_database.connection();
    Admission admission;
    Result<std::optional<std::optional<Run>>> answered = admit(request, now, done, admission);
    if (!answered)
        return answered.error();
    if (answered->has_value())
        return **answered;
    if (!request.skipReason.isEmpty() && admission.skipReason.isEmpty()) {
        admission.skipReason = request.skipReason;
        admission.cancelPrevious = false;
        done.effect = EnqueueEffect::Skipped;
    }
    const bool skipped = !admission.skipReason.isEmpty();

    Run run;
    run.id = newId();
    run.taskId = request.taskId;
    run.taskVersion = request.taskVersion;
    run.attempt = request.attempt;
    run.trigger = request.trigger;
    run.status = skipped ? RunStatus::Skipped : RunStatus::Queued;
    run.scheduledFor = request.scheduledFor;
    run.queuedAt = now;
    run.lateMs = request.lateMs;
    run.coalesced = request.coalesced;
    run.requestId = !request.requestId.isEmpty()                 ? request.requestId
                    : !LogContext::current().requestId.isEmpty() ? LogContext::current().requestId
                                                                 : QString();
    if (skipped) {
        run.finishedAt = now;
        run.error = admission.skipReason;
    }

    // The task's flow control travels with the row, so a claim needs no join: no tasks row
    // (a task deleted meanwhile) means none.
    const QString trigger = toString(request.trigger);
    const QString state = skipped ? QStringLiteral("done") : QStringLiteral("pending");
    const QString dedupeKey = skipped ? QString() : admission.dedupeKey;
    Result<sql::Rows> inserted = sql::query(
        db,
        "INSERT INTO run_queue (task_id, run_id, scheduled_for, run_at, priority, attempt, "
        "trigger, state, created_at, dedupe_key, concurrency_key, concurrency_limit, serial) "
        "SELECT ?,?,?,?,?,?,?,?,?,?, t.concurrency_key, CASE WHEN t.concurrency_key IS NOT "
        "NULL THEN COALESCE(t.concurrency_limit, ?) END, COALESCE(t.overlap_policy <> "
        "'allow', 0) FROM (SELECT ? AS id) AS wanted LEFT JOIN tasks t ON t.id = wanted.id "
        "WHERE true ON CONFLICT (task_id, scheduled_for, attempt) DO NOTHING",
        {request.taskId, run.id, request.scheduledFor, request.runAt, request.priority,
         request.attempt, trigger, state, now, dedupeKey, Task::kDefaultConcurrencyLimit,
         request.taskId});
    if (!inserted)
        return inserted.error();
    if (inserted->changes() == 0) {
        done = EnqueueReport{};
        done.effect = EnqueueEffect::Duplicate;
        return std::optional<Run>();
    }

    const QString status = toString(run.status);
    Result<sql::Rows> runRow = sql::query(
        db,
        "INSERT INTO runs (id, task_id, task_version, attempt, trigger, status, scheduled_for, "
        "queued_at, finished_at, error, late_ms, coalesced, request_id) VALUES "
        "(?,?,?,?,?,?,?,?,?,?,?,?,?)",
        {run.id, run.taskId, run.taskVersion, run.attempt, trigger, status, run.scheduledFor, now,
         run.finishedAt, run.error, request.lateMs, request.coalesced, run.requestId});
    if (!runRow)
        return runRow.error();

    if (admission.cancelPrevious) {
        // The newest occurrence wins: every other open run of the task ends (a going one
        // through its worker); this one starts once they have (the task's runs are serial).
        Result<QSqlQuery> open
            = sql::exec(db,
                        QStringLiteral("SELECT run_id FROM run_queue WHERE task_id=? AND state IN "
                                       "('pending', 'leased') AND run_id <> ? ORDER BY id"),
                        {request.taskId, run.id});
        if (!open)
            return open.error();
        QStringList previous;
        while (open->next())
            previous << open->value(0).toString();
        open->finish();
        done.cancelMessage = QStringLiteral("canceled for run %1, the task's next occurrence "
                                            "(overlap_policy cancel_previous)")
                                 .arg(run.id);
        for (const QString &runId : std::as_const(previous)) {
            Result<CancelEffect> effect = cancel(runId, done.cancelMessage, now);
            if (!effect)
                return effect.error();
            done.canceled.emplace_back(runId, *effect);
        }
    }
    return std::optional<Run>(std::move(run));
}

Result<std::optional<std::optional<Run>>> RunQueue::admit(const EnqueueRequest &request,
                                                          const QDateTime &now,
                                                          EnqueueReport &report,
                                                          Admission &admission)
{
    using Answer = std::optional<std::optional<Run>>;
    // A retry is the next attempt of an occurrence already admitted; overlap concerns only
    // occurrences the schedule brings.
    const bool dedupes = request.trigger != RunTrigger::Retry;
    const bool overlaps = request.trigger == RunTrigger::Schedule;
    if (!dedupes && !overlaps)
        return Answer();
    const QSqlDatabase db = m_database.connection();
    Result<sql::Rows> task = sql::query(
        db,
        "SELECT overlap_policy, dedupe_key, COALESCE(dedupe_window_seconds, ?), EXISTS (SELECT 1 "
        "FROM run_queue WHERE task_id=t.id AND scheduled_for=? AND attempt=?) FROM tasks t "
        "WHERE id=?",
        {Task::kDefaultDedupeWindowSeconds, request.scheduledFor, request.attempt, request.taskId});
    if (!task)
        return task.error();
    if (task->empty())
        return Answer(); // no such task: nothing to apply
    const OverlapPolicy policy
        = overlapPolicyFromString(task->text(0, 0)).value_or(OverlapPolicy::QueueOne);
    const QString key = task->text(0, 1);
    const qint64 windowMs = task->integer(0, 2) * 1000;
    const bool materialized = task->integer(0, 3) != 0;
    // The same occurrence again (a second scheduler, a restart): it changes nothing.
    if (materialized) {
        report.effect = EnqueueEffect::Duplicate;
        return Answer(std::optional<Run>());
    }

    if (dedupes && !key.isEmpty()) {
        Result<QSqlQuery> earlier = sql::exec(
            db,
            QStringLiteral("SELECT run_id FROM run_queue WHERE task_id=? AND dedupe_key=? AND "
                           "created_at > ? ORDER BY created_at DESC, id DESC LIMIT 1"),
            {request.taskId, key, sql::ms(now.addMSecs(-windowMs))});
        if (!earlier)
            return earlier.error();
        if (earlier->next()) {
            const QString runId = earlier->value(0).toString();
            earlier->finish();
            Result<Run> run = RunStore(m_database).get(runId, false);
            if (!run)
                return run.error();
            report.effect = EnqueueEffect::Deduplicated;
            return Answer(std::optional<Run>(std::move(*run)));
        }
        admission.dedupeKey = key;
    }

    if (!overlaps || policy == OverlapPolicy::Allow)
        return Answer();
    // Going: leased, being canceled, or paused (a pending row that was leased before: defer()
    // handed it back; its run is waiting or waiting_approval). Each read is an index seek: a
    // task's finished rows are never scanned.
    Result<QSqlQuery> going = sql::exec(
        db,
        QStringLiteral("SELECT COALESCE((SELECT run_id FROM run_queue WHERE task_id=? AND state "
                       "IN ('leased', 'canceling') ORDER BY id LIMIT 1), (SELECT run_id FROM "
                       "run_queue WHERE task_id=? AND state='pending' AND lease_epoch > 0 ORDER "
                       "BY id LIMIT 1)), (SELECT COUNT(*) FROM run_queue WHERE task_id=? AND "
                       "state='pending' AND lease_epoch=0)"),
        {request.taskId, request.taskId, request.taskId});
    if (!going)
        return going.error();
    if (!going->next())
        return Error::internal(QStringLiteral("the overlap check returned no row"));
    report.goingRunId = going->value(0).toString();
    const int waiting = going->value(1).toInt();
    going->finish();
    if (report.goingRunId.isEmpty())
        return Answer();
    if (policy == OverlapPolicy::Skip) {
        admission.skipReason = QStringLiteral("run %1 of this task was still going "
                                              "(overlap_policy skip)")
                                   .arg(report.goingRunId);
    } else if (policy == OverlapPolicy::QueueOne && waiting > 0) {
        admission.skipReason = QStringLiteral("run %1 of this task was still going and another "
                                              "occurrence already waited for it (overlap_policy "
                                              "queue_one)")
                                   .arg(report.goingRunId);
    }
    if (!admission.skipReason.isEmpty())
        report.effect = EnqueueEffect::Skipped;
    admission.cancelPrevious = policy == OverlapPolicy::CancelPrevious;
    return Answer();
}

Result<std::optional<Claim>> RunQueue::claim(const QString &workerId, const QDateTime &now,
                                             qint64 leaseMs, ClaimStart start)
{
    const QSqlDatabase db = m_database.connection();
    // A read first: idle polls (and polls while every ready row waits for its turn) then never
    // take the write lock; and only when a lease ran out is there anything to take over. (In a
    // writer piece the read and the writes share one snapshot.)
    bool expired = false;
    {
        static const QByteArray anyReady
            = "SELECT EXISTS (SELECT 1 FROM run_queue WHERE state IN ('leased', 'canceling') AND "
              "lease_expires_at <= ?), EXISTS (SELECT 1 FROM run_queue q WHERE "
              + kStartable.toUtf8() + ")";
        Result<sql::Rows> ready = sql::query(db, anyReady.constData(), {now, now});
        if (!ready)
            return ready.error();
        expired = ready->integer(0, 0) != 0;
        const bool startable = ready->integer(0, 1) != 0;
        if (!expired && !startable)
            return std::optional<Claim>();
    }
    sql::Transaction tx(db, sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    if (expired) {
        // A run canceled while its worker died is simply canceled.
        if (Status closed = closeExpiredCancels(now); !closed)
            return closed.error();
        // A lease that ran out means its worker died or hangs: that attempt is abandoned and
        // this worker takes the run over as the next attempt.
        Result<std::optional<Claim>> takenOver = takeOverExpired(workerId, now, leaseMs, start);
        if (!takenOver)
            return takenOver.error();
        if (takenOver->has_value()) {
            if (Status committed = tx.commit(); !committed)
                return committed.error();
            return takenOver;
        }
    }
    // The pick, then its lease by id (in the same transaction): an UPDATE … RETURNING would
    // fill a temporary table on every claim.
    static const QByteArray pick
        = "SELECT q.id, q.lease_epoch, q.run_id, q.task_id FROM run_queue q WHERE "
          + kStartable.toUtf8() + " ORDER BY q.priority DESC, q.run_at, q.id LIMIT 1";
    Result<sql::Rows> picked = sql::query(db, pick.constData(), {now});
    if (!picked)
        return picked.error();
    if (picked->empty()) {
        // Nothing to lease, but canceled runs of dead workers may have been closed above.
        if (Status committed = tx.commit(); !committed)
            return committed.error();
        return std::optional<Claim>();
    }
    Claim claim;
    claim.queueId = picked->integer(0, 0);
    claim.leaseEpoch = picked->integer(0, 1) + 1;
    claim.runId = picked->text(0, 2);
    claim.taskId = picked->text(0, 3);
    claim.workerId = workerId;
    Result<sql::Rows> leased = sql::query(
        db,
        "UPDATE run_queue SET state='leased', lease_owner=?, lease_expires_at=?, lease_epoch=? "
        "WHERE id=? AND state='pending' AND lease_epoch=?",
        {workerId, now.addMSecs(leaseMs), claim.leaseEpoch, claim.queueId, claim.leaseEpoch - 1});
    if (!leased)
        return leased.error();
    if (leased->changes() != 1)
        return Error::internal(
            QStringLiteral("run %1 changed while it was being claimed").arg(claim.runId));

    if (start == ClaimStart::Now)
        if (Status started = markStarted(claim, now); !started)
            return started.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    return std::optional<Claim>(std::move(claim));
}

Result<RunQueue::ClaimedAhead> RunQueue::claimAhead(const QString &workerId, const QDateTime &now,
                                                    qint64 leaseMs, int most)
{
    const QSqlDatabase db = m_database.connection();
    ClaimedAhead ahead;
    Result<sql::Rows> expired
        = sql::query(db,
                     "SELECT EXISTS (SELECT 1 FROM run_queue WHERE state IN ('leased', "
                     "'canceling') AND lease_expires_at <= ?)",
                     {now});
    if (!expired)
        return expired.error();
    if (expired->integer(0, 0) != 0) {
        ahead.leaseExpired = true;
        return ahead;
    }
    // The candidates in claim order, as things stand before any of them is leased. A row with
    // a concurrency key or of a task whose runs go one at a time may stop being startable once
    // another row is leased: such a row is leased only first in its round, and ends the round.
    static const QByteArray pick
        = "SELECT q.id, q.lease_epoch, q.run_id, q.task_id, q.serial <> 0 OR q.concurrency_key "
          "IS NOT NULL FROM run_queue q WHERE "
          + kStartable.toUtf8() + " ORDER BY q.priority DESC, q.run_at, q.id LIMIT ?";
    sql::Transaction tx(db, sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    const QDateTime expiresAt = now.addMSecs(leaseMs);
    for (int round = 0; round < most && int(ahead.claims.size()) < most; ++round) {
        Result<sql::Rows> picked
            = sql::query(db, pick.constData(), {now, most - int(ahead.claims.size())});
        if (!picked)
            return picked.error();
        bool again = false; // a limited row ended the round: the rest is read again
        for (int row = 0; row < picked->size(); ++row) {
            const bool limited = picked->integer(row, 4) != 0;
            if (limited && row > 0) {
                again = true;
                break;
            }
            Claim claim;
            claim.queueId = picked->integer(row, 0);
            claim.leaseEpoch = picked->integer(row, 1) + 1;
            claim.runId = picked->text(row, 2);
            claim.taskId = picked->text(row, 3);
            claim.workerId = workerId;
            Result<sql::Rows> leased = sql::query(
                db,
                "UPDATE run_queue SET state='leased', lease_owner=?, lease_expires_at=?, "
                "lease_epoch=? WHERE id=? AND state='pending' AND lease_epoch=?",
                {workerId, expiresAt, claim.leaseEpoch, claim.queueId, claim.leaseEpoch - 1});
            if (!leased)
                return leased.error();
            if (leased->changes() != 1)
                return Error::internal(
                    QStringLiteral("run %1 changed while it was being claimed").arg(claim.runId));
            ahead.claims.push_back(std::move(claim));
            if (limited) {
                again = true;
                break;
            }
        }
        if (!again)
            break; // it took every candidate it read, or there was none
    }
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    return ahead;
}

Status RunQueue::markStarted(const Claim &claim, const QDateTime &now)
{
    Result<sql::Rows> running = sql::query(
        m_database.connection(),
        "UPDATE runs SET status='running', started_at=COALESCE(started_at, ?), worker=? WHERE id=?",
        {now, claim.workerId, claim.runId});
    if (!running)
        return running.error();
    return {};
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
                                                       const QDateTime &now, qint64 leaseMs,
                                                       ClaimStart start)
{
    const QSqlDatabase db = m_database.connection();
    Result<QSqlQuery> expired
        = sql::exec(db,
                    QStringLiteral("SELECT id, run_id, task_id, lease_owner FROM run_queue WHERE "
                                   "state='leased' AND lease_expires_at <= ? ORDER BY priority "
                                   "DESC, lease_expires_at, id LIMIT 1"),
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

    const bool startNow = start == ClaimStart::Now;
    Result<QSqlQuery> inserted = sql::exec(
        db,
        QStringLiteral("INSERT INTO runs (id, task_id, task_version, attempt, trigger, status, "
                       "scheduled_for, queued_at, started_at, worker, late_ms, coalesced, "
                       "request_id) SELECT ?, task_id, task_version, attempt + 1, trigger, ?, "
                       "scheduled_for, ?, ?, ?, late_ms, coalesced, request_id FROM runs WHERE "
                       "id=?"),
        {claim.runId, startNow ? QStringLiteral("running") : QStringLiteral("queued"), sql::ms(now),
         startNow ? sql::ms(now) : sql::ms(QDateTime()),
         startNow ? QVariant(workerId) : sql::text(QString()), oldRun});
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
    leased->finish();
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
            renewed->finish();
            // Recorded by its own worker since (done, same epoch and owner): finished, not lost.
            Result<QSqlQuery> own = sql::exec(
                db,
                QStringLiteral("SELECT 1 FROM run_queue WHERE id=? AND lease_epoch=? AND "
                               "lease_owner=? AND state='done'"),
                {claim.queueId, claim.leaseEpoch, claim.workerId});
            if (!own)
                return own.error();
            const bool finished = own->next();
            own->finish();
            if (!finished && lost)
                lost->push_back(claim);
        } else if (renewed->value(0).toString() == QLatin1String("canceling") && canceling) {
            canceling->push_back({claim, renewed->value(1).toString()});
        }
        renewed->finish();
    }
    return tx.commit();
}

Status RunQueue::complete(const Claim &claim)
{
    Result<sql::Rows> done
        = sql::query(m_database.connection(),
                     "UPDATE run_queue SET state='done', lease_expires_at=NULL WHERE id=? AND "
                     "lease_epoch=? AND lease_owner=? AND state IN ('leased', 'canceling')",
                     {claim.queueId, claim.leaseEpoch, claim.workerId});
    if (!done)
        return done.error();
    if (done->changes() == 0)
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

Status RunQueue::unclaim(const Claim &claim)
{
    Result<QSqlQuery> back = sql::exec(
        m_database.connection(),
        // The epoch goes back too: a pending row with an epoch was paused (defer), and no
        // worker holds the one before (the row was pending when it was claimed).
        QStringLiteral("UPDATE run_queue SET state='pending', lease_owner=NULL, "
                       "lease_expires_at=NULL, lease_epoch=lease_epoch-1 WHERE id=? AND "
                       "lease_epoch=? AND lease_owner=? AND state='leased'"),
        {claim.queueId, claim.leaseEpoch, claim.workerId});
    if (!back)
        return back.error();
    if (back->numRowsAffected() == 0)
        return Error{ErrorCode::Conflict,
                     QStringLiteral("the lease on run %1 was lost").arg(claim.runId),
                     {}};
    Result<QSqlQuery> queued = sql::exec(
        m_database.connection(),
        QStringLiteral(
            "UPDATE runs SET status=CASE json_extract(resume, '$.kind') WHEN 'approval' THEN "
            "'waiting_approval' WHEN 'wait' THEN 'waiting' ELSE 'queued' END, started_at=CASE "
            "WHEN resume IS NULL THEN NULL ELSE started_at END, worker=NULL WHERE id=? AND "
            "status='running'"),
        {claim.runId});
    return queued ? Status() : Status(queued.error());
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

Result<QDateTime> RunQueue::nextFreeOccurrence(const QString &taskId, const QDateTime &at) const
{
    Result<sql::Rows> q = sql::query(
        m_database.connection(),
        "SELECT MAX(scheduled_for) FROM run_queue WHERE task_id=? AND scheduled_for >= ?",
        {taskId, at});
    if (!q)
        return q.error();
    const QDateTime latest = q->instant(0, 0);
    return latest.isValid() ? latest.addMSecs(1) : at;
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
