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
    // The longest text search (q) and creator filter (created_by) of a list.
    static constexpr int kMaxQueryText = 200;
    // The longest snooze: 30 days.
    static constexpr int kMaxSnoozeSeconds = 30 * 86400;

    // What cancel() did: the task as it is now (archived) and its runs it ended — those that
    // had not started are canceled; those going on are being stopped by their workers.
    struct Cancellation
    {
        Task task;
        QStringList canceledRuns;
        QStringList stoppingRuns;
    };

    // Creates a task from an API body. A task created by an agent whose settings say so
    // (tasks_start_proposed) starts `proposed`, not scheduled until the owner accepts it.
    // InvalidArgument naming the field ("payload.pipeline[1].uses: unknown tool 'x'");
    // MalformedInput for a non-object body.
    Result<Task> create(const Json &body, const QString &actor);
    // NotFound for an unknown id.
    Result<Task> get(const QString &id) const;
    // Newest first. InvalidArgument for a limit outside 1..kMaxPageSize or a negative offset.
    Result<TaskPage> list(std::optional<TaskStatus> status, int limit, int offset) const;
    // The same under a filter. InvalidArgument for a limit outside 1..kMaxPageSize, a negative
    // offset or one with a cursor (`offset`), a text or creator over kMaxQueryText (`q`,
    // `created_by`).
    Result<TaskPage> list(const TaskFilter &filter) const;
    // The task's saved versions, newest first. NotFound; InvalidArgument for limit or offset.
    Result<TaskVersionPage> versions(const QString &id, int limit, int offset) const;
    // Applies the fields present in `body`, bumps the version and stores it in task_versions.
    // The status stays (a proposed task stays proposed); a snooze outlives an edit that leaves
    // the schedule alone. NotFound; InvalidArgument; Conflict when `body.version` is not the
    // current version, or the task is archived.
    Result<Task> update(const QString &id, const Json &body, const QString &actor);
    // Idempotent: pausing a paused task changes nothing and succeeds. NotFound; Conflict for a
    // proposed task (it is not scheduled: the owner accepts or deletes it) or an archived one.
    Result<Task> pause(const QString &id, const QString &actor);
    // Recomputes next_run_at from now; resuming an active task changes nothing. NotFound;
    // Conflict for a proposed task (only accept() makes it active) or an archived one.
    Result<Task> resume(const QString &id, const QString &actor);
    // Postpones an active task's next run to now + delaySeconds: the occurrences before it are
    // skipped (not made up under the misfire policy) and the schedule goes on after it.
    // NotFound; InvalidArgument (`delay_seconds`) outside 1..kMaxSnoozeSeconds; Conflict for a
    // task that is not active, has no next run (manual, event, a once that fired), or whose
    // next run is already later than now + delaySeconds.
    Result<Task> snooze(const QString &id, int delaySeconds, const QString &actor);
    // Stops the task for good, keeping it in history: archived, no next run, its runs that have
    // not started canceled and those going on asked to stop. Idempotent: canceling an archived
    // task changes nothing. NotFound.
    Result<Cancellation> cancel(const QString &id, const QString &actor);
    // The owner accepts a proposed task: it becomes active and gets its next run. Accepting an
    // active task changes nothing. Whether the caller may accept is the caller's to check (the
    // owner: agents:admin). NotFound; Conflict for a paused or archived task; InvalidArgument
    // (`schedule_expr`) for a once whose instant has passed meanwhile.
    Result<Task> accept(const QString &id, const QString &actor);
    // Whether the task may be run now: Conflict naming why for a proposed or archived task.
    // An unknown id is left for the run to report (NotFound).
    Status mayRun(const QString &id) const;
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
