// RunService: run history and manual runs.
#include "RunService.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/RunQueue.h"
#include "store/Sql.h"
#include "store/TaskStore.h"

namespace ordinaut {

RunService::RunService(Engine &engine)
    : m_engine(engine)
{}

Result<RunPage> RunService::list(const RunFilter &filter) const
{
    if (filter.limit < 1 || filter.limit > kMaxPageSize)
        return Error::invalid(QStringLiteral("limit"),
                              QStringLiteral("must be from 1 to %1").arg(kMaxPageSize));
    if (filter.offset < 0)
        return Error::invalid(QStringLiteral("offset"), QStringLiteral("must not be negative"));
    return RunStore(m_engine.database()).list(filter);
}

Result<Run> RunService::get(const QString &id, bool withSteps) const
{
    return RunStore(m_engine.database()).get(id, withSteps);
}

Result<std::vector<Run>> RunService::latestPerTask() const
{
    return RunStore(m_engine.database()).latestPerTask();
}

Result<Run> RunService::runNow(const QString &taskId, RunTrigger trigger, const QString &actor)
{
    const Database &db = m_engine.database();
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    Result<Task> task = TaskStore(db).get(taskId);
    if (!task)
        return task.error();
    if (task->status == TaskStatus::Paused)
        return Error{ErrorCode::Conflict,
                     QStringLiteral("task %1 is paused; resume it before running it").arg(taskId),
                     {}};
    const QDateTime now = m_engine.clock().now();
    EnqueueRequest request;
    request.taskId = taskId;
    request.taskVersion = task->version;
    request.runAt = now;
    request.priority = task->priority;
    request.trigger = trigger;
    RunQueue queue(db);
    std::optional<Run> run;
    // The occurrence key is the request time; two requests in the same millisecond get
    // neighbouring instants instead of colliding.
    for (int i = 0; i < 1000 && !run; ++i) {
        request.scheduledFor = now.addMSecs(i);
        Result<std::optional<Run>> queued = queue.enqueue(request, now);
        if (!queued)
            return queued.error();
        run = *queued;
    }
    if (!run)
        return Error{ErrorCode::Conflict, QStringLiteral("too many runs requested at once"), {}};
    run->taskTitle = task->title;
    if (Status audited = AuditLog(db).append(AuditEntry{0, actor, QStringLiteral("task.run_now"),
                                                        taskId, Json{{"run_id", run->id}}, now});
        !audited)
        return audited.error();
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
    m_engine.eventBus().announce(*event);
    return *run;
}

} // namespace ordinaut
