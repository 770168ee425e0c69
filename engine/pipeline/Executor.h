// Executor: runs one run's steps in order — render `with`, call the tool, record the step —
// and decides the run's outcome. Runs on a worker thread; tools may block it up to their
// deadline.
#pragma once

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
    // there gets `resumed` (ToolContext::resumed). -1: start from the first step.
    int resumeIndex = -1;
    std::vector<StepRecord> previousSteps;
    Json resumed;
};

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
    // Validates the input, calls the tool with its retries, validates the output.
    Result<Json> invokeTool(const ToolRegistry::Entry &entry, const Step &step,
                            const QString &stepPath, const Json &input, const RunContext &context,
                            ToolContext &toolContext) const;

    const ToolRegistry &m_tools;
    const Clock &m_clock;
};

} // namespace ordinaut
