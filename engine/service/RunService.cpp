// RunService: run history and manual runs.
#include "RunService.h"

#include "core/Clock.h"
#include "runtime/Budgets.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/Sql.h"
#include "store/TaskStore.h"
#include "store/WriteQueue.h"

#include <algorithm>

namespace ordinaut {

RunService::RunService(Engine &engine)
    : m_engine(engine)
{}

Result<RunPage> RunService::list(const RunFilter &filter, const RunCriteria &criteria) const
{
    if (filter.limit < 1 || filter.limit > kMaxPageSize)
        return Error::invalid(QStringLiteral("limit"),
                              QStringLiteral("must be from 1 to %1").arg(kMaxPageSize));
    if (filter.offset < 0)
        return Error::invalid(QStringLiteral("offset"), QStringLiteral("must not be negative"));
    const std::tuple<const QDateTime &, const QDateTime &, const char *, const char *> windows[] = {
        {criteria.scheduledAfter, criteria.scheduledBefore, "scheduled_after", "scheduled_before"},
        {criteria.startedAfter, criteria.startedBefore, "started_after", "started_before"}};
    for (const auto &[after, before, afterName, beforeName] : windows) {
        if (after.isValid() && before.isValid() && after > before)
            return Error::invalid(
                QLatin1String(afterName),
                QStringLiteral("%1 is after %2 (%3); the window would be empty")
                    .arg(formatInstant(after), QLatin1String(beforeName), formatInstant(before)));
    }
    return RunStore(m_engine.database()).list(filter, criteria);
}

Result<RunStats> RunService::stats(int days, QDateTime *from, QDateTime *to) const
{
    if (days < 1 || days > kMaxStatsDays)
        return Error::invalid(QStringLiteral("days"),
                              QStringLiteral("must be an integer from 1 to %1").arg(kMaxStatsDays));
    const QDateTime end = m_engine.clock().now();
    const QDateTime start = end.addSecs(-qint64(days) * 24 * 3600);
    // The window's end is included: a run queued this very millisecond counts.
    Result<RunStats> stats = RunStore(m_engine.database()).stats(start, end.addMSecs(1));
    if (stats) {
        *from = start;
        *to = end;
    }
    return stats;
}

Result<Run> RunService::get(const QString &id, bool withSteps) const
{
    return RunStore(m_engine.database()).get(id, withSteps);
}

Result<std::vector<Run>> RunService::latestPerTask() const
{
    return RunStore(m_engine.database()).latestPerTask();
}

Result<Run> RunService::runNow(const QString &taskId, RunTrigger trigger, const QString &actor,
                               bool *deduplicated)
{
    // Through the writer: concurrent run-now calls (API threads, tools) share one durable
    // commit. The run is announced once its commit is done.
    Result<Run> run = Error::internal(QString());
    std::optional<Event> queued;
    bool wasDeduplicated = false;
    if (Status written = m_engine.database().writer().write(
            Durability::Durable,
            [&]() -> Status {
                queued.reset();
                run = enqueueNow(taskId, trigger, actor, &wasDeduplicated, &queued);
                return run ? Status() : Status(run.error());
            });
        !written)
        return written.error();
    if (deduplicated)
        *deduplicated = wasDeduplicated;
    if (queued)
        m_engine.eventBus().announce(*queued);
    return run;
}

Result<Run> RunService::enqueueForEvent(const QString &taskId, const Json &context,
                                        const QString &actor, bool *deduplicated,
                                        std::optional<Event> *queuedEvent)
{
    return enqueueNow(taskId, RunTrigger::Event, actor, deduplicated, queuedEvent, context);
}

Result<Run> RunService::enqueueNow(const QString &taskId, RunTrigger trigger, const QString &actor,
                                   bool *deduplicated, std::optional<Event> *queuedEvent,
                                   const Json &context)
{
    if (deduplicated)
        *deduplicated = false;
    const Database &db = m_engine.database();
    // Every failure below fails runNow's writer piece, which undoes all of it: no savepoint.
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate, sql::Nesting::Join);
    if (!tx.isOpen())
        return tx.error();
    Result<Task> task = TaskStore(db).header(taskId);
    if (!task)
        return task.error();
    if (task->status == TaskStatus::Paused)
        return Error{ErrorCode::Conflict,
                     QStringLiteral("task %1 is paused; resume it before running it").arg(taskId),
                     {}};
    if (task->status != TaskStatus::Active)
        return Error{ErrorCode::Conflict,
                     QStringLiteral("task %1 is %2: it does not run (a proposed task awaits the "
                                    "owner's acceptance; an archived one was canceled)")
                         .arg(taskId, toString(task->status)),
                     {}};
    // An agent's tasks queue no more than its daily runs (api.agent_budgets).
    if (Status admitted = m_engine.budgets().admitRunForTask(taskId); !admitted)
        return admitted.error();
    const QDateTime now = m_engine.clock().now();
    EnqueueRequest request;
    request.taskId = taskId;
    request.taskVersion = task->version;
    request.runAt = now;
    request.priority = task->priority;
    request.trigger = trigger;
    RunQueue queue(db);
    std::optional<Run> run;
    EnqueueReport report;
    // The occurrence key is the request time; requests in the same millisecond get the next
    // free instants instead of colliding (one index seek, however many came before).
    Result<QDateTime> free = queue.nextFreeOccurrence(taskId, now);
    if (!free)
        return free.error();
    for (int i = 0; i < 100 && !run; ++i) {
        request.scheduledFor = free->addMSecs(i);
        Result<std::optional<Run>> queued = queue.enqueue(request, now, &report);
        if (!queued)
            return queued.error();
        run = *queued;
    }
    if (!run)
        return Error{ErrorCode::Conflict, QStringLiteral("too many runs requested at once"), {}};
    run->taskTitle = task->title;
    if (report.effect == EnqueueEffect::Deduplicated) {
        // Answered with the run queued under the same key: nothing new runs, so no run.queued.
        if (!context.is_null()) {
            if (Status committed = tx.commit(); !committed)
                return committed.error();
            if (deduplicated)
                *deduplicated = true;
            return *run;
        }
        if (Status audited = AuditLog(db).append(
                AuditEntry{0, actor, QStringLiteral("task.run_now_deduplicated"), taskId,
                           Json{{"run_id", run->id}, {"dedupe_key", task->dedupeKey}}, now});
            !audited)
            return audited.error();
        if (Status committed = tx.commit(); !committed)
            return committed.error();
        if (deduplicated)
            *deduplicated = true;
        return *run;
    }
    if (!context.is_null()) {
        if (Status kept = RunStore(db).setContext(taskId, run->scheduledFor, context); !kept)
            return kept.error();
        run->context = context;
    } else if (Status audited
               = AuditLog(db).append(AuditEntry{0, actor, QStringLiteral("task.run_now"), taskId,
                                                Json{{"run_id", run->id}}, now});
               !audited) {
        return audited.error();
    }
    Result<Event> event = EventLog(db).append(
        m_engine.eventBus().make(QStringLiteral("run.queued"),
                                 Json{{"run_id", run->id},
                                      {"task_id", taskId},
                                      {"scheduled_for", instantJson(run->scheduledFor)},
                                      {"trigger", toString(trigger)}},
                                 actor));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    *queuedEvent = *event;
    return *run;
}

Event RunService::cancellationEvent(const EventBus &bus, const QString &runId,
                                    const QString &taskId, bool stopping, const QString &message,
                                    const QString &actor)
{
    if (stopping)
        return bus.make(QStringLiteral("run.cancel_requested"),
                        Json{{"run_id", runId}, {"task_id", taskId}, {"message", message}}, actor);
    return bus.make(QStringLiteral("run.finished"),
                    Json{{"run_id", runId},
                         {"task_id", taskId},
                         {"status", toString(RunStatus::Canceled)},
                         {"error", message},
                         {"will_retry", false}},
                    actor);
}

Result<Run> RunService::cancel(const QString &runId, const QString &actor)
{
    const Database &db = m_engine.database();
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    Result<Run> run = RunStore(db).get(runId, false);
    if (!run)
        return run.error();
    if (run->isFinished())
        return Error{ErrorCode::Conflict,
                     QStringLiteral("run %1 already finished (%2); nothing to cancel")
                         .arg(runId, toString(run->status)),
                     {}};
    const QDateTime now = m_engine.clock().now();
    const QString message = QStringLiteral("canceled by %1").arg(actor);
    Result<CancelEffect> effect = RunQueue(db).cancel(runId, message, now);
    if (!effect)
        return effect.error();
    if (*effect == CancelEffect::None)
        return Error{
            ErrorCode::Conflict,
            QStringLiteral("run %1 is no longer in the queue; it has just finished").arg(runId),
            {}};
    if (Status audited = AuditLog(db).append(AuditEntry{
            0, actor, QStringLiteral("run.cancel"), runId,
            Json{{"task_id", run->taskId},
                 {"was", toString(run->status)},
                 {"effect", *effect == CancelEffect::Canceled ? "canceled" : "stopping"}},
            now});
        !audited)
        return audited.error();
    const bool stopping = *effect == CancelEffect::Stopping;
    Result<Event> event = EventLog(db).append(
        cancellationEvent(m_engine.eventBus(), runId, run->taskId, stopping, message, actor));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    m_engine.eventBus().announce(*event);
    return RunStore(db).get(runId, false);
}

Result<Run> RunService::retry(const QString &runId, const QString &fromStep, const QString &actor)
{
    const Database &db = m_engine.database();
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    RunStore runs(db);
    Result<Run> source = runs.get(runId, true);
    if (!source)
        return source.error();
    if (!source->isFinished())
        return Error{ErrorCode::Conflict,
                     QStringLiteral("run %1 is still %2; cancel it before retrying it")
                         .arg(runId, toString(source->status)),
                     {}};
    TaskStore tasks(db);
    Result<Task> task = tasks.get(source->taskId);
    if (!task)
        return Error{ErrorCode::Conflict,
                     QStringLiteral("the task of run %1 no longer exists").arg(runId),
                     {}};

    // Where to start: the steps before it must have completed in the source run.
    std::vector<StepRecord> reused;
    int startIndex = -1;
    if (!fromStep.isEmpty()) {
        Result<Json> document = tasks.versionDocument(source->taskId, source->taskVersion);
        if (!document)
            return document.error();
        Result<Pipeline> pipeline
            = Pipeline::fromJson((*document)["payload"], QStringLiteral("payload"));
        if (!pipeline)
            return pipeline.error();
        QStringList ids;
        for (size_t i = 0; i < pipeline->steps.size(); ++i) {
            ids << pipeline->steps[i].id;
            if (pipeline->steps[i].id == fromStep)
                startIndex = static_cast<int>(i);
        }
        if (startIndex < 0)
            return Error::invalid(QStringLiteral("from_step"),
                                  QStringLiteral("run %1's pipeline has no step '%2' (steps: %3)")
                                      .arg(runId, fromStep, ids.join(QStringLiteral(", "))));
        for (int i = 0; i < startIndex; ++i) {
            const auto found
                = std::find_if(source->steps.begin(), source->steps.end(),
                               [i](const StepRecord &step) { return step.index == i; });
            // A failed step before it counts only if the run went on past it (on_error
            // continue): then its error is what later steps saw.
            const bool wentOn = std::any_of(source->steps.begin(), source->steps.end(),
                                            [i](const StepRecord &step) { return step.index > i; });
            const bool completed
                = found != source->steps.end()
                  && (found->status == StepStatus::Succeeded || found->status == StepStatus::Skipped
                      || ((found->status == StepStatus::Failed
                           || found->status == StepStatus::TimedOut)
                          && wentOn));
            if (!completed)
                return Error::invalid(
                    QStringLiteral("from_step"),
                    QStringLiteral("step '%1' before '%2' did not complete in run %3 (%4); "
                                   "retry from it or an earlier step")
                        .arg(ids[i], fromStep, runId,
                             found == source->steps.end() ? QStringLiteral("never ran")
                                                          : toString(found->status)));
            reused.push_back(*found);
        }
    }

    // The next attempt of the same occurrence: its side effects stay keyed by it.
    Result<QSqlQuery> last = sql::exec(
        db.connection(),
        QStringLiteral("SELECT MAX(attempt) FROM run_queue WHERE task_id=? AND scheduled_for=?"),
        {source->taskId, sql::ms(source->scheduledFor)});
    if (!last)
        return last.error();
    const int attempt = std::max(last->next() ? last->value(0).toInt() : 0, source->attempt) + 1;
    last->finish();
    const QDateTime now = m_engine.clock().now();
    EnqueueRequest request;
    request.taskId = source->taskId;
    request.taskVersion = source->taskVersion;
    request.scheduledFor = source->scheduledFor;
    request.runAt = now;
    request.priority = task->priority;
    request.attempt = attempt;
    request.trigger = RunTrigger::Retry;
    Result<std::optional<Run>> queued = RunQueue(db).enqueue(request, now);
    if (!queued)
        return queued.error();
    if (!queued->has_value())
        return Error{
            ErrorCode::Conflict,
            QStringLiteral("attempt %1 of this occurrence was queued meanwhile").arg(attempt),
            {}};
    Run run = **queued;
    if (startIndex >= 0) {
        for (StepRecord step : reused) {
            step.runId = run.id;
            if (Status copied = runs.insertStep(step); !copied)
                return copied.error();
        }
        if (Status marked = runs.suspend(
                run.id, RunStatus::Queued,
                Json{{"step_index", startIndex}, {"kind", "from_step"}, {"from_run", runId}});
            !marked)
            return marked.error();
    }
    Json details{{"task_id", run.taskId}, {"new_run_id", run.id}, {"attempt", attempt}};
    if (!fromStep.isEmpty())
        details["from_step"] = fromStep;
    if (Status audited = AuditLog(db).append(
            AuditEntry{0, actor, QStringLiteral("run.retry"), runId, details, now});
        !audited)
        return audited.error();
    Json payload{{"run_id", run.id},
                 {"task_id", run.taskId},
                 {"scheduled_for", instantJson(run.scheduledFor)},
                 {"trigger", toString(RunTrigger::Retry)},
                 {"attempt", attempt},
                 {"retry_of", runId}};
    if (!fromStep.isEmpty())
        payload["from_step"] = fromStep;
    Result<Event> event = EventLog(db).append(
        m_engine.eventBus().make(QStringLiteral("run.queued"), payload, actor));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    m_engine.eventBus().announce(*event);
    return runs.get(run.id, true);
}

} // namespace ordinaut
