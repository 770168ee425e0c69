// RunStore: the runs and run_steps tables (history of every attempt and step).
#pragma once

#include "core/Result.h"
#include "core/Run.h"

#include <map>
#include <optional>
#include <vector>

namespace ordinaut {

class Database;

struct RunFilter
{
    QString taskId;
    std::optional<RunStatus> status;
    int limit = 50;
    int offset = 0;
};

// What the API's run list narrows by besides RunFilter's task and status. Instants are a
// half-open window: at or after `…After`, strictly before `…Before`; invalid means unbounded.
struct RunCriteria
{
    std::vector<RunStatus> statuses; // any of these; empty for all
    std::optional<RunTrigger> trigger;
    QDateTime scheduledAfter;
    QDateTime scheduledBefore;
    QDateTime startedAfter;
    QDateTime startedBefore;
};

struct RunPage
{
    std::vector<Run> items;
    int total = 0;
};

// Runs queued within a window, counted by status, for one task or all of them. Durations are
// of runs with an outcome of their own (succeeded, failed, timed_out, abandoned) that started
// and finished; percentiles are nearest-rank (an observed duration: the ceil(p·n)-th shortest).
struct RunStatsGroup
{
    QString taskId; // empty for the overall group
    QString title;
    std::map<RunStatus, int> counts;
    int total = 0;
    int succeeded = 0;
    int withOutcome = 0; // succeeded + failed + timed_out + abandoned
    std::optional<qint64> p50Ms;
    std::optional<qint64> p95Ms;
};

struct RunStats
{
    std::vector<RunStatsGroup> tasks; // by task id
    RunStatsGroup overall;
};

class RunStore final
{
public:
    explicit RunStore(const Database &database);

    // NotFound when the id is unknown. Steps are loaded when `withSteps`.
    Result<Run> get(const QString &id, bool withSteps) const;
    // Newest first.
    Result<RunPage> list(const RunFilter &filter, const RunCriteria &criteria = {}) const;
    // Runs queued in [from, to): counts and duration percentiles per task and overall.
    Result<RunStats> stats(const QDateTime &from, const QDateTime &to) const;
    // Keeps what an occurrence (task and scheduled_for) was started with, for all its attempts
    // (RunStore::get reads it back as Run::context). Runs inside the caller's transaction.
    Status setContext(const QString &taskId, const QDateTime &scheduledFor, const Json &context);
    Status insertStep(const StepRecord &step);
    Status finish(const QString &runId, RunStatus status, const QString &error, const Json &output,
                  const QDateTime &finishedAt);
    // Pauses a run (Waiting, WaitingApproval) with what it needs to resume:
    // {"step_index", "until", "kind", "request", "approval_id"?}. NotFound for an unknown run.
    Status suspend(const QString &runId, RunStatus status, const Json &resume);
    Result<std::vector<StepRecord>> steps(const QString &runId) const;
    // The newest run of each task that has one (ids are time-ordered, so MAX(id) is newest).
    Result<std::vector<Run>> latestPerTask() const;

private:
    const Database &m_database;
};

} // namespace ordinaut
