// Executor: runs one run's steps in order — render `with`, call the tool, record the step —
// and decides the run's outcome. Runs on a worker thread; tools may block it up to their
// deadline.
#pragma once

#include "core/Pipeline.h"
#include "core/Run.h"

#include <functional>

namespace ordinaut {

class Clock;
class ToolRegistry;

struct RunContext
{
    QString runId;
    QString taskId;
    QString taskTitle;
    QDateTime scheduledFor;
    int attempt = 1;
    RunTrigger trigger = RunTrigger::Schedule;
};

struct RunOutcome
{
    RunStatus status = RunStatus::Succeeded;
    QString error;
    Json output; // the last step's output
};

class Executor final
{
public:
    Executor(const ToolRegistry &tools, const Clock &clock);

    static constexpr int kDefaultStepTimeoutSeconds = 300;

    // `onStep` receives each step's record as soon as it finishes.
    RunOutcome execute(const Pipeline &pipeline, const RunContext &context,
                       const std::function<void(const StepRecord &)> &onStep) const;

private:
    const ToolRegistry &m_tools;
    const Clock &m_clock;
};

} // namespace ordinaut
