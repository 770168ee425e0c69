// RunService: reading run history and starting runs by hand.
#pragma once

#include "core/Event.h"
#include "core/Result.h"
#include "core/Run.h"
#include "store/RunStore.h"

namespace ordinaut {

class Engine;
class EventBus;

class RunService final
{
public:
    explicit RunService(Engine &engine);

    static constexpr int kMaxPageSize = 500;

    static constexpr int kMaxStatsDays = 90;

    // What a cancellation tells (stored in the event log with the change): run.finished as
    // canceled for a run that had not started, run.cancel_requested for one its worker stops.
    static Event cancellationEvent(const EventBus &bus, const QString &runId, const QString &taskId,
                                   bool stopping, const QString &message, const QString &actor);

    // InvalidArgument for a bad limit/offset, or a window whose start is after its end (field
    // scheduled_after or started_after).
    Result<RunPage> list(const RunFilter &filter, const RunCriteria &criteria = {}) const;
    // Runs queued in the last `days` days (1 .. kMaxStatsDays; InvalidArgument naming `days`
    // otherwise), up to now: RunStore::stats, with the window in `from` and `to`.
    Result<RunStats> stats(int days, QDateTime *from, QDateTime *to) const;
    // NotFound for an unknown id.
    Result<Run> get(const QString &id, bool withSteps) const;
    // The newest run of every task that has run.
    Result<std::vector<Run>> latestPerTask() const;
    // Queues a run of the task's current version now. When the task has a dedupe_key and a run
    // was queued under it within its dedupe_window_seconds, answers that run instead and sets
    // `*deduplicated` (nothing is queued; the audit log says task.run_now_deduplicated).
    // NotFound; Conflict when the task is paused.
    Result<Run> runNow(const QString &taskId, RunTrigger trigger, const QString &actor,
                       bool *deduplicated = nullptr);

    // Cancels a run that has not finished: one not started yet (or paused) ends `canceled` at
    // once; a running one is stopped by its worker (the tool in progress is aborted) and then
    // recorded `canceled`. Returns the run as it is now. NotFound; Conflict when it already
    // finished.
    Result<Run> cancel(const QString &runId, const QString &actor);
    // Queues the run's occurrence again as its next attempt, on the task version it ran. With
    // `fromStep` (a step id) the new attempt starts at that step and reuses the recorded
    // results of the steps before it. NotFound; Conflict while the run is still going;
    // InvalidArgument (field from_step) for an unknown step or one whose earlier steps did not
    // complete.
    Result<Run> retry(const QString &runId, const QString &fromStep, const QString &actor);

    // Inside the caller's writer piece (EventService::post): queues a run of the task now with
    // trigger `event` and `context` ({"event": …}) kept for all its attempts. No audit row of
    // its own: the post's names the runs it queued. The run.queued event to announce after the
    // commit goes to `queuedEvent` (none when the task's dedupe_key answered with an earlier
    // run: `*deduplicated`). NotFound; Conflict when the task is paused.
    Result<Run> enqueueForEvent(const QString &taskId, const Json &context, const QString &actor,
                                bool *deduplicated, std::optional<Event> *queuedEvent);

private:
    // runNow's transaction, run by the writer; the run.queued event to announce after the
    // commit goes to `queuedEvent`. With `context`, it is kept for the run's occurrence and
    // no audit row is written (the caller writes one).
    Result<Run> enqueueNow(const QString &taskId, RunTrigger trigger, const QString &actor,
                           bool *deduplicated, std::optional<Event> *queuedEvent,
                           const Json &context = Json());

    Engine &m_engine;
};

} // namespace ordinaut
