// Executor: sequential step execution with per-step records.
#include "Executor.h"

#include "Expression.h"
#include "Template.h"

#include "core/Clock.h"
#include "core/JsonSchema.h"
#include "tools/ToolRegistry.h"

#include <QDeadlineTimer>
#include <QThread>
#include <QTimeZone>

#include <algorithm>

namespace ordinaut {

Executor::Executor(const ToolRegistry &tools, const Clock &clock)
    : m_tools(tools)
    , m_clock(clock)
{}

namespace {

// A step's `if`: a template ("${…}") or a bare expression.
Result<bool> conditionHolds(const QString &condition, const Json &scope, const QString &field)
{
    if (condition.contains(QLatin1String("${"))) {
        Result<Json> value = Template::render(Json(condition), scope, field);
        if (!value)
            return value.error();
        return Expression::truthy(*value);
    }
    Result<Expression> expression = Expression::parse(condition);
    if (!expression)
        return Error::invalid(field, expression.error().message);
    Result<Json> value = expression->evaluate(scope);
    if (!value)
        return Error::invalid(field, value.error().message);
    return Expression::truthy(*value);
}

// Each step ends with a status that says why: a deadline or a cancellation is not a failure of
// the tool.
StepStatus failedStatus(ErrorCode code)
{
    if (code == ErrorCode::Timeout)
        return StepStatus::TimedOut;
    if (code == ErrorCode::Canceled)
        return StepStatus::Canceled;
    return StepStatus::Failed;
}

Error violationError(const QString &base, const SchemaViolation &violation)
{
    return Error::invalid(JsonSchema::joinPath(base, violation.path),
                          violation.message
                              + QStringLiteral(" (schema %1)").arg(violation.schemaPath));
}

} // namespace

std::optional<qint64> Executor::remainingMs(const RunContext &context) const
{
    if (!context.deadline.isValid())
        return std::nullopt;
    return m_clock.now().msecsTo(context.deadline);
}

Error Executor::runDeadlineError(const RunContext &context, const Step &step) const
{
    return Error{ErrorCode::Timeout,
                 QStringLiteral("the run's deadline (%1) passed during step '%2'")
                     .arg(formatInstant(context.deadline), step.id),
                 {}};
}

Result<Json> Executor::invokeTool(const ToolRegistry::Entry &entry, const Step &step,
                                  const QString &stepPath, const Json &input,
                                  const RunContext &context, ToolContext &toolContext) const
{
    // The rendered input is checked before the call, so a tool never sees a malformed one.
    if (const auto violations = entry.input.validate(input); !violations.empty())
        return violationError(stepPath + QStringLiteral(".with"), violations.front());
    toolContext.runId = context.runId;
    toolContext.taskId = context.taskId;
    toolContext.stepId = step.id;
    toolContext.ledger = context.ledger;
    toolContext.effectScope = context.effectScope;
    toolContext.cancellation = context.cancellation;
    // The tool's own failures are retried; a bad template or input is not.
    Result<Json> output = Error::internal(QString());
    int backoffMs = step.retry.backoffMs;
    for (int attempt = 1;; ++attempt) {
        const qint64 stepMs
            = qint64(step.timeoutSeconds.value_or(kDefaultStepTimeoutSeconds)) * 1000;
        const std::optional<qint64> runLeftMs = remainingMs(context);
        if (runLeftMs && *runLeftMs <= 0)
            return runDeadlineError(context, step);
        toolContext.timeoutMs = static_cast<int>(std::min(stepMs, runLeftMs.value_or(stepMs)));
        output = entry.tool->invoke(input, toolContext);
        if (toolContext.suspension)
            return Json(); // the run pauses; the step ends on resume
        if (!output && output.error().code == ErrorCode::Timeout) {
            // The run's deadline cut the step short: say so rather than the step's timeout.
            if (const std::optional<qint64> left = remainingMs(context); left && *left <= 0)
                return runDeadlineError(context, step);
        }
        // Only what may pass is tried again: a refused key or a bad input stays refused.
        const bool transient = !output
                               && (output.error().code == ErrorCode::Unavailable
                                   || output.error().code == ErrorCode::Timeout);
        if (!transient || attempt >= step.retry.maxAttempts)
            break;
        // The wait before the next attempt ends early when the run is canceled.
        for (QDeadlineTimer wait(backoffMs); !wait.hasExpired();) {
            if (toolContext.isCanceled())
                return context.cancellation->error();
            QThread::msleep(static_cast<unsigned long>(std::min<qint64>(wait.remainingTime(), 25)));
        }
        backoffMs = std::min(backoffMs * 2, kMaxRetryBackoffMs);
    }
    if (!output) {
        if (step.retry.maxAttempts > 1
            && (output.error().code == ErrorCode::Unavailable
                || output.error().code == ErrorCode::Timeout))
            return Error{output.error().code,
                         output.error().message
                             + QStringLiteral(" (after %1 attempts)").arg(step.retry.maxAttempts),
                         output.error().field};
        return output;
    }
    // A tool that breaks its own promise is a bug in the tool; say where.
    if (const auto violations = entry.output.validate(*output); !violations.empty())
        return Error{
            ErrorCode::Internal,
            QStringLiteral("tool '%1' returned output that breaks its schema: %2")
                .arg(step.uses,
                     violationError(QStringLiteral("output"), violations.front()).describe()),
            {}};
    return output;
}

RunOutcome Executor::execute(const Pipeline &pipeline, const RunContext &context,
                             const std::function<void(const StepRecord &)> &onStep) const
{
    Json scope{{"steps", Json::object()},
               {"params", pipeline.params},
               {"task",
                {{"id", context.taskId},
                 {"title", context.taskTitle},
                 {"timezone", context.taskTimezone}}},
               {"run",
                {{"id", context.runId},
                 {"scheduled_for", instantJson(context.scheduledFor)},
                 {"attempt", context.attempt},
                 {"trigger", toString(context.trigger)}}}};
    if (!context.event.is_null())
        scope["event"] = context.event;
    const QTimeZone zone(context.taskTimezone.toUtf8());
    RunOutcome outcome;
    // A resumed run sees the results of the steps before the pause as they were.
    for (const StepRecord &previous : context.previousSteps) {
        if (previous.index >= context.resumeIndex
            || previous.index >= static_cast<int>(pipeline.steps.size()))
            continue;
        const std::string name = pipeline.steps[previous.index].resultName().toStdString();
        if (previous.status == StepStatus::Succeeded) {
            scope["steps"][name] = previous.output;
            outcome.output = previous.output;
        } else if (previous.status == StepStatus::Failed
                   || previous.status == StepStatus::TimedOut) {
            scope["steps"][name] = Json{{"error", previous.error}};
        } else {
            scope["steps"][name] = nullptr;
        }
    }
    for (size_t i = std::max(context.resumeIndex, 0); i < pipeline.steps.size(); ++i) {
        const bool resuming
            = static_cast<int>(i) == context.resumeIndex && !context.resumed.is_null();
        const Step &step = pipeline.steps[i];
        // Nothing new starts once the run is canceled or past its deadline.
        if (context.cancellation && context.cancellation->isCanceled()) {
            outcome.status = RunStatus::Canceled;
            outcome.error = context.cancellation->message();
            break;
        }
        if (const std::optional<qint64> left = remainingMs(context); left && *left <= 0) {
            outcome.status = RunStatus::TimedOut;
            outcome.error = runDeadlineError(context, step).message;
            break;
        }
        const QString stepPath = QStringLiteral("pipeline[%1]").arg(i);
        const std::string name = step.resultName().toStdString();
        StepRecord record;
        record.runId = context.runId;
        record.index = static_cast<int>(i);
        record.stepId = step.id;
        record.uses = step.uses;
        record.startedAt = m_clock.now();
        scope["now"] = formatInstant(record.startedAt);
        scope["date"] = record.startedAt.toTimeZone(zone.isValid() ? zone : QTimeZone::utc())
                            .date()
                            .toString(Qt::ISODate);

        Result<Json> output = Error::internal(QString());
        std::optional<Error> conditionFailed;
        bool skipped = false;
        // A resumed step's condition held when it first ran.
        if (!step.condition.isEmpty() && !resuming) {
            Result<bool> holds
                = conditionHolds(step.condition, scope, stepPath + QStringLiteral(".if"));
            if (!holds)
                conditionFailed = holds.error();
            else
                skipped = !*holds;
        }
        if (skipped) {
            record.status = StepStatus::Skipped;
            record.input = step.with;
            record.output = nullptr;
            record.finishedAt = m_clock.now();
            scope["steps"][name] = nullptr; // default(steps.x.y, …) reads past it
            onStep(record);
            continue;
        }
        Result<Json> input = conditionFailed ? Result<Json>(*conditionFailed)
                                             : Template::render(step.with, scope,
                                                                stepPath + QStringLiteral(".with"));
        if (!input) {
            output = input.error();
            record.input = step.with;
        } else {
            record.input = *input;
            const ToolRegistry::Entry *entry = m_tools.entry(step.uses);
            if (!entry) {
                output = Error::invalid(stepPath + QStringLiteral(".uses"),
                                        QStringLiteral("unknown tool '%1'").arg(step.uses));
            } else {
                ToolContext toolContext;
                toolContext.now = record.startedAt;
                if (resuming)
                    toolContext.resumed = context.resumed;
                output = invokeTool(*entry, step, stepPath, *input, context, toolContext);
                if (toolContext.suspension) {
                    record.status = StepStatus::Waiting;
                    record.output = nullptr;
                    record.finishedAt = m_clock.now();
                    onStep(record);
                    outcome.status = toolContext.suspension->kind == ToolSuspension::Kind::Approval
                                         ? RunStatus::WaitingApproval
                                         : RunStatus::Waiting;
                    outcome.suspension = toolContext.suspension;
                    outcome.suspendedIndex = static_cast<int>(i);
                    return outcome;
                }
            }
        }
        record.finishedAt = m_clock.now();
        if (output) {
            record.status = StepStatus::Succeeded;
            record.output = *output;
            scope["steps"][name] = *output;
            outcome.output = *output;
        } else {
            record.status = failedStatus(output.error().code);
            record.output = nullptr;
            record.error = output.error().describe();
            // A cancellation ends the run whatever on_error says.
            if (record.status == StepStatus::Canceled) {
                outcome.status = RunStatus::Canceled;
                outcome.error = QStringLiteral("step '%1' (%2) was stopped: %3")
                                    .arg(step.id, step.uses, record.error);
            } else if (step.onError == OnError::Continue) {
                scope["steps"][name] = Json{{"error", record.error}};
            } else {
                outcome.status = record.status == StepStatus::TimedOut ? RunStatus::TimedOut
                                                                       : RunStatus::Failed;
                outcome.error
                    = QStringLiteral("step '%1' (%2) %3: %4")
                          .arg(step.id, step.uses,
                               record.status == StepStatus::TimedOut ? QStringLiteral("timed out")
                                                                     : QStringLiteral("failed"),
                               record.error);
            }
        }
        onStep(record);
        if (outcome.status != RunStatus::Succeeded)
            break;
    }
    return outcome;
}

} // namespace ordinaut
