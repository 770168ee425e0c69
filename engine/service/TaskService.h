// TaskService: every way to create, read, change and remove tasks. The API, the MCP server,
// the CLI and the GUI all come through here, so validation, audit and events are the same.
#pragma once

#include "core/Result.h"
#include "core/Task.h"
#include "store/TaskStore.h"

namespace ordinaut {

class Engine;

class TaskService final
{
public:
    explicit TaskService(Engine &engine);

    static constexpr int kMaxPageSize = 500;

    // Creates a task from an API body. InvalidArgument naming the field
    // ("payload.pipeline[1].uses: unknown tool 'x'"); MalformedInput for a non-object body.
    Result<Task> create(const Json &body, const QString &actor);
    // NotFound for an unknown id.
    Result<Task> get(const QString &id) const;
    // Newest first. InvalidArgument for a limit outside 1..kMaxPageSize or a negative offset.
    Result<TaskPage> list(std::optional<TaskStatus> status, int limit, int offset) const;
    // Applies the fields present in `body`, bumps the version and stores it in task_versions.
    // NotFound; InvalidArgument; Conflict when `body.version` is not the current version.
    Result<Task> update(const QString &id, const Json &body, const QString &actor);
    // Idempotent: pausing a paused task changes nothing and succeeds. NotFound.
    Result<Task> pause(const QString &id, const QString &actor);
    // Recomputes next_run_at from now; resuming an active task changes nothing. NotFound.
    Result<Task> resume(const QString &id, const QString &actor);
    // Removes the task and its pending runs; finished runs stay in history. NotFound.
    Status remove(const QString &id, const QString &actor);
    // Pauses every active task; returns how many were paused.
    Result<int> pauseAll(const QString &actor);

private:
    // Sets next_run_at for an active task from `now` (null when paused or manual).
    Status computeNextRun(Task &task, bool scheduleChanged) const;
    // Writes the audit record and the event for a change inside `work`'s transaction, commits,
    // then announces the event.
    template<typename Work>
    Result<Task> mutate(const QString &id, const QString &action, const QString &actor, Work work);

    Engine &m_engine;
};

} // namespace ordinaut
