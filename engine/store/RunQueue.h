// RunQueue: due work. Materializing an occurrence is idempotent through
// UNIQUE(task_id, scheduled_for, attempt); claiming is one short BEGIN IMMEDIATE transaction
// with UPDATE … RETURNING, so two workers never get the same row.
#pragma once

#include "core/Json.h"
#include "core/Result.h"
#include "core/Run.h"

#include <optional>
#include <vector>

namespace ordinaut {

class Database;

struct EnqueueRequest
{
    QString taskId;
    int taskVersion = 1;
    QDateTime scheduledFor; // the occurrence; part of the idempotency key
    QDateTime runAt;        // when it may start
    int priority = 5;
    int attempt = 1;
    RunTrigger trigger = RunTrigger::Schedule;
    qint64 lateMs = 0; // beyond the grace window; 0 when on time
    int coalesced = 1; // missed occurrences this run stands for
    // The API request it was queued for; empty: the request of the calling thread's LogContext
    // (a writer piece carries its submitter's), so every run an API call queues records it.
    QString requestId;
    // Not empty: the occurrence is recorded `skipped` with this reason instead of queued (a
    // used-up daily budget), once, like any other occurrence.
    QString skipReason;
};

struct Claim
{
    qint64 queueId = 0;
    qint64 leaseEpoch = 0;
    QString runId;
    QString taskId;
    QString workerId;
    QString abandonedRunId; // set when this claim took over a run whose lease had run out
};

// What cancel() did: the run was canceled (it had not started, or was paused), its worker was
// asked to stop it (it is going on), or nothing (it has no open queue row: finished).
enum class CancelEffect { None, Canceled, Stopping };

// A held claim whose run someone canceled, with the reason they gave.
struct CancelRequest
{
    Claim claim;
    QString message;
};

// What enqueue() did with a request.
enum class EnqueueEffect {
    Queued,       // a new pending row and its `queued` run (returned)
    Duplicate,    // nothing: this occurrence and attempt were queued before (nullopt returned)
    Deduplicated, // nothing: the run returned was queued earlier under the task's dedupe_key
    Skipped,      // overlap_policy: the occurrence is recorded as a `skipped` run (returned)
};

struct EnqueueReport
{
    EnqueueEffect effect = EnqueueEffect::Queued;
    QString goingRunId; // the task's run that was still going (Skipped, or cancel_previous)
    // overlap_policy cancel_previous: the task's earlier runs canceled for the queued one, what
    // cancel() did to each, and the reason it was given.
    std::vector<std::pair<QString, CancelEffect>> canceled;
    QString cancelMessage;
};

class RunQueue final
{
public:
    explicit RunQueue(const Database &database);

    // Inserts the queue row and its `queued` run. The row carries the task's concurrency key
    // and limit, and whether the task's runs start one at a time (overlap_policy other than
    // allow), read from its tasks row. A request other than a retry, of a task with a
    // dedupe_key, is answered with the run queued under that key within the task's window
    // (Deduplicated). A scheduled occurrence that comes due while a run of the task goes on
    // (leased, being canceled, or paused) follows overlap_policy: skip, or queue_one with one
    // occurrence already waiting, record it as a `skipped` run, finished at once;
    // cancel_previous queues it and cancels the task's other open runs. Returns the run (new,
    // deduplicated or skipped), or nullopt when this occurrence was already materialized (by
    // this or another scheduler); `report`, when given, says which. Run it inside a transaction
    // together with whatever else must commit with it.
    Result<std::optional<Run>> enqueue(const EnqueueRequest &request, const QDateTime &now,
                                       EnqueueReport *report = nullptr);

    // Leases the most urgent ready row (highest priority, then earliest run_at) to `workerId`
    // and marks its run `running`, in its own short transaction. A row is passed over while its
    // concurrency key has as many rows leased or being canceled as its limit, or while its
    // task's runs start one at a time and another of them is leased, being canceled or (for a
    // row that has not started) paused. A row whose lease ran out comes first: its run is
    // recorded `abandoned` and a new run (the next attempt) takes its place. nullopt when
    // nothing is ready. Unavailable when the database stayed busy past its timeout.
    // With ClaimStart::Later the run keeps its status (queued, or waiting for a resumed one)
    // until markStarted(): a claim taken ahead for a worker that is still busy.
    enum class ClaimStart { Now, Later };
    Result<std::optional<Claim>> claim(const QString &workerId, const QDateTime &now,
                                       qint64 leaseMs, ClaimStart start = ClaimStart::Now);
    // Leases up to `most` ready rows at once, as claim() with ClaimStart::Later would one after
    // another (same order, same limits), in one transaction and a few statements: for the
    // claims a worker takes ahead. Runs whose lease ran out are claim()'s to take over: when
    // one did, nothing is leased here and `leaseExpired` says so.
    struct ClaimedAhead
    {
        std::vector<Claim> claims;
        bool leaseExpired = false;
    };
    Result<ClaimedAhead> claimAhead(const QString &workerId, const QDateTime &now, qint64 leaseMs,
                                    int most);
    // Marks the run of a claim taken with ClaimStart::Later `running`, as of `now`.
    Status markStarted(const Claim &claim, const QDateTime &now);

    // Extends the leases of runs still in progress, in one transaction (the heartbeat). Claims
    // whose lease was lost meanwhile (taken over) are added to `lost`; those whose run was
    // canceled meanwhile (by any engine) to `canceling`.
    Status renew(const std::vector<Claim> &claims, const QDateTime &now, qint64 leaseMs,
                 std::vector<Claim> *lost = nullptr,
                 std::vector<CancelRequest> *canceling = nullptr);
    // Marks the claimed row done (also when its run was being canceled). Conflict when the
    // lease was lost (another epoch or owner): the caller must not record its completion. Runs
    // inside the caller's transaction.
    Status complete(const Claim &claim);

    // Hands the claimed row back to the queue to start again at `runAt` (a paused run), keeping
    // its run. Conflict when the lease was lost; Canceled when the run was canceled meanwhile
    // (record it canceled instead). Runs inside the caller's transaction.
    Status defer(const Claim &claim, const QDateTime &runAt);
    // Cancels `runId`: a pending row (queued, retry waiting out its backoff, paused run) is
    // done and its run `canceled` with `message` (a pending approval of it too); a leased one
    // is marked `canceling` for its worker. Runs inside the caller's transaction.
    Result<CancelEffect> cancel(const QString &runId, const QString &message, const QDateTime &now);
    // Hands a claimed run that never started back to the queue as it was (queued, ready). False
    // when the lease was lost meanwhile. Runs inside the caller's transaction.
    Status unclaim(const Claim &claim);
    // Ends the leases of runs this engine gives up (shutting down) as of `now`, so the next
    // claim by any engine takes them over at once instead of after the lease runs out.
    Status release(const std::vector<Claim> &claims, const QDateTime &now);
    // Makes the pending row of `runId` ready now (an approval was decided). False when the run
    // has no pending row.
    Result<bool> wake(const QString &runId, const QDateTime &now);
    // The queue at a glance for /health/detailed: {"pending", "ready", "oldest_due", "leased",
    // "expired_leases", "next_lease_expiry"}.
    Result<Json> health(const QDateTime &now) const;
    // The earliest instant from `at` on that no queued run of the task uses as its occurrence
    // (scheduled_for): `at`, or one millisecond after the latest taken.
    Result<QDateTime> nextFreeOccurrence(const QString &taskId, const QDateTime &at) const;
    // Rows waiting (pending) right now.
    Result<int> pendingCount() const;

    // Whether a pending row may start at `now`, and the earliest run_at of those that may
    // not yet (a retry waiting out its backoff); invalid when there is none.
    struct Outlook
    {
        bool readyNow = false;
        QDateTime nextLater;
    };
    Result<Outlook> outlook(const QDateTime &now) const;

private:
    // Rows canceled while their worker went away (lease expired): their runs end `canceled`.
    Status closeExpiredCancels(const QDateTime &now);
    Result<std::optional<Claim>> takeOverExpired(const QString &workerId, const QDateTime &now,
                                                 qint64 leaseMs, ClaimStart start);
    // How enqueue() admits a request under its task's dedupe_key and overlap_policy.
    struct Admission;
    // The answer when dedupe or overlap_policy answers the request without a new queued row (a
    // deduplicated run, or nothing for an occurrence already materialized); nullopt when a row
    // is to be inserted as `admission` says.
    Result<std::optional<std::optional<Run>>> admit(const EnqueueRequest &request,
                                                    const QDateTime &now, EnqueueReport &report,
                                                    Admission &admission);

    const Database &m_database;
};

} // namespace ordinaut
