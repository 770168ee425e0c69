// Ownership: an agent changes the tasks it created, and their runs, and no others, unless it
// holds agents:admin (the desktop user holds "*", so everything). Reading is not changing: any
// agent with tasks:read or runs:read sees every task and run.
#pragma once

#include "core/Agent.h"
#include "core/Result.h"
#include "core/Task.h"

namespace ordinaut {

class RunService;
class TaskService;

namespace ownership {

// "agent:<id>": what a task's created_by holds for a task an agent created.
QString actorOf(const Agent &agent);

// Whether `agent` may change any task (agents:admin or "*").
bool isAdmin(const Agent &agent);

// PermissionDenied naming the task and its creator unless `agent` created `task` or is admin.
Status mayChange(const Agent &agent, const Task &task);

// The same for a task or a run (through its task) named by id. An unknown id is left for the
// operation to report (NotFound), as is a run whose task was removed.
Status mayChangeTask(const Agent &agent, const TaskService &tasks, const QString &taskId);
Status mayChangeRun(const Agent &agent, const TaskService &tasks, const RunService &runs,
                    const QString &runId);

} // namespace ownership
} // namespace ordinaut
