// RunStore: the runs and run_steps tables (history of every attempt and step).
#pragma once

#include "core/Result.h"
#include "core/Run.h"

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

struct RunPage
{
    std::vector<Run> items;
    int total = 0;
};

class RunStore final
{
public:
    explicit RunStore(const Database &database);

    // NotFound when the id is unknown. Steps are loaded when `withSteps`.
    Result<Run> get(const QString &id, bool withSteps) const;
    // Newest first.
    Result<RunPage> list(const RunFilter &filter) const;
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
