// Ownership: who may change a task or a run.
#include "Ownership.h"

#include "RunService.h"
#include "TaskService.h"

#include "core/Scopes.h"

namespace ordinaut::ownership {

QString actorOf(const Agent &agent)
{
    return QStringLiteral("agent:") + agent.id;
}

bool isAdmin(const Agent &agent)
{
    return scopes::grants(agent.scopes, scopes::kAgentsAdmin);
}

Status mayChange(const Agent &agent, const Task &task)
{
    if (isAdmin(agent) || task.createdBy == actorOf(agent))
        return {};
    return Error{
        ErrorCode::PermissionDenied,
        QStringLiteral("task %1 was created by %2; an agent changes only the tasks it "
                       "created (and their runs) unless it holds the scope %3")
            .arg(task.id,
                 task.createdBy.isEmpty() ? QStringLiteral("someone else") : task.createdBy,
                 scopes::kAgentsAdmin),
        {}};
}

Status mayChangeTask(const Agent &agent, const TaskService &tasks, const QString &taskId)
{
    if (isAdmin(agent))
        return {};
    Result<Task> task = tasks.get(taskId);
    if (!task)
        return task.error().code == ErrorCode::NotFound ? Status() : Status(task.error());
    return mayChange(agent, *task);
}

Status mayChangeRun(const Agent &agent, const TaskService &tasks, const RunService &runs,
                    const QString &runId)
{
    if (isAdmin(agent))
        return {};
    Result<Run> run = runs.get(runId, false);
    if (!run)
        return run.error().code == ErrorCode::NotFound ? Status() : Status(run.error());
    return mayChangeTask(agent, tasks, run->taskId);
}

} // namespace ordinaut::ownership
