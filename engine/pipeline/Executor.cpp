// Executor: sequential step execution with per-step records.
#include "Executor.h"

#include "Template.h"

#include "core/Clock.h"
#include "tools/ToolRegistry.h"

namespace ordinaut {

Executor::Executor(const ToolRegistry &tools, const Clock &clock)
    : m_tools(tools)
    , m_clock(clock)
{}

RunOutcome Executor::execute(const Pipeline &pipeline, const RunContext &context,
                             const std::function<void(const StepRecord &)> &onStep) const
{
    Json scope{{"steps", Json::object()},
               {"params", pipeline.params},
               {"task", {{"id", context.taskId}, {"title", context.taskTitle}}},
               {"run",
                {{"id", context.runId},
                 {"scheduled_for", instantJson(context.scheduledFor)},
                 {"attempt", context.attempt},
                 {"trigger", toString(context.trigger)}}}};
    RunOutcome outcome;
    for (size_t i = 0; i < pipeline.steps.size(); ++i) {
        const Step &step = pipeline.steps[i];
        StepRecord record;
        record.runId = context.runId;
        record.index = static_cast<int>(i);
        record.stepId = step.id;
        record.uses = step.uses;
        record.startedAt = m_clock.now();

        Result<Json> input
            = Template::render(step.with, scope, QStringLiteral("pipeline[%1].with").arg(i));
        Result<Json> output = Error::internal(QString());
        if (!input) {
            output = input.error();
            record.input = step.with;
        } else {
            record.input = *input;
            const Tool *tool = m_tools.find(step.uses);
            if (!tool) {
                output = Error::invalid(QStringLiteral("pipeline[%1].uses").arg(i),
                                        QStringLiteral("unknown tool '%1'").arg(step.uses));
            } else {
                ToolContext toolContext;
                toolContext.runId = context.runId;
                toolContext.stepId = step.id;
                toolContext.timeoutMs
                    = step.timeoutSeconds.value_or(kDefaultStepTimeoutSeconds) * 1000;
                output = tool->invoke(*input, toolContext);
            }
        }
        record.finishedAt = m_clock.now();
        if (output) {
            record.status = StepStatus::Succeeded;
            record.output = *output;
            scope["steps"][step.resultName().toStdString()] = *output;
            outcome.output = *output;
        } else {
            record.status = StepStatus::Failed;
            record.output = nullptr;
            record.error = output.error().describe();
            if (step.onError == OnError::Continue) {
                scope["steps"][step.resultName().toStdString()] = Json{{"error", record.error}};
            } else {
                outcome.status = RunStatus::Failed;
                outcome.error = QStringLiteral("step '%1' (%2) failed: %3")
                                    .arg(step.id, step.uses, record.error);
            }
        }
        onStep(record);
        if (outcome.status == RunStatus::Failed)
            break;
    }
    return outcome;
}

} // namespace ordinaut
