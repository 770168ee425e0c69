// Executor: runs one run's steps in order — render `with`, call the tool, record the step —
// and decides the run's outcome. Runs on a worker thread; tools may block it up to their
// deadline.
#pragma once

#include "core/Cancellation.h"
#include "core/Pipeline.h"
#include "core/Run.h"
#include "tools/ToolRegistry.h"

#include <functional>

namespace ordinaut {

class Clock;
class SideEffectLedger;

struct RunContext
{
    QString runId;
    QString taskId;
    QString taskTitle;
    QString taskTimezone = QStringLiteral("UTC"); // `date` and formatDate() read it
    QDateTime scheduledFor;
    int attempt = 1;
    RunTrigger trigger = RunTrigger::Schedule;
    Json event; // {"topic":…, "payload":…} for event-triggered runs; null otherwise
    SideEffectLedger *ledger = nullptr; // the worker's, on its database connection
    QString effectScope;                // ToolContext::effectScope
    // A paused run resumes at `resumeIndex` with the records of the steps before it; the tool
    // there gets `resumed` (ToolContext::resumed). A run retried from a step starts at
    // `resumeIndex` the same way, with `resumed` null: that step runs afresh. -1: start from the
    // first step.
    int resumeIndex = -1;
    std::vector<StepRecord> previousSteps;
    Json resumed;
    // Stops the run between steps and the tool in progress (null: nothing can).
    const Cancellation *cancellation = nullptr;
    // The run's own deadline (task timeout_seconds); invalid when it has none. A step's deadline
    // never reaches past it; once it passes the run ends `timed_out`.
    QDateTime deadline;
};

// Status: Succeeded, Failed, TimedOut (a step's or the run's deadline passed), Canceled (the
// cancellation was set; the worker tells a person's cancel from a shutdown by its reason),
// Waiting/WaitingApproval (paused).
struct RunOutcome
{
    RunStatus status = RunStatus::Succeeded;
    QString error;
    Json output; // the last step's output
    // Set when a step paused the run (status Waiting or WaitingApproval).
    std::optional<ToolSuspension> suspension;
    int suspendedIndex = -1;
};

class Executor final
{
public:
    Executor(const ToolRegistry &tools, const Clock &clock);

    static constexpr int kDefaultStepTimeoutSeconds = 300;
    // Step retries double their wait up to this.
    static constexpr int kMaxRetryBackoffMs = 60000;

    // `onStep` receives each step's record as soon as it finishes.
    RunOutcome execute(const Pipeline &pipeline, const RunContext &context,
                       const std::function<void(const StepRecord &)> &onStep) const;

private:
    // Time left before the run's deadline; nullopt when it has none.
    std::optional<qint64> remainingMs(const RunContext &context) const;
    Error runDeadlineError(const RunContext &context, const Step &step) const;
    // Validates the input, calls the tool with its retries, validates the output.
    Result<Json> invokeTool(const ToolRegistry::Entry &entry, const Step &step,
                            const QString &stepPath, const Json &input, const RunContext &context,
                            ToolContext &toolContext) const;

    const ToolRegistry &m_tools;
    const Clock &m_clock;
};

} // namespace ordinaut
