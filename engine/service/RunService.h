// RunService: reading run history and starting runs by hand.
#pragma once

#include "core/Result.h"
#include "core/Run.h"
#include "store/RunStore.h"

namespace ordinaut {

class Engine;

class RunService final
{
public:
    explicit RunService(Engine &engine);

    static constexpr int kMaxPageSize = 500;

    // InvalidArgument for a bad limit/offset.
    Result<RunPage> list(const RunFilter &filter) const;
    // NotFound for an unknown id.
    Result<Run> get(const QString &id, bool withSteps) const;
    // The newest run of every task that has run.
    Result<std::vector<Run>> latestPerTask() const;
    // Queues a run of the task's current version now. NotFound; Conflict when the task is paused.
    Result<Run> runNow(const QString &taskId, RunTrigger trigger, const QString &actor);

private:
    Engine &m_engine;
};

} // namespace ordinaut
