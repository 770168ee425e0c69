// TaskStore: the tasks and task_versions tables. Callers group calls in a sql::Transaction on
// the same thread when several must commit together.
#pragma once

#include "core/Result.h"
#include "core/Task.h"

#include <optional>
#include <vector>

namespace ordinaut {

class Database;

// Where a keyset page of the task list ends: its last task, in the list's order (created_at
// DESC, id DESC).
struct TaskCursor
{
    QDateTime createdAt;
    QString id;
};

// Which tasks a list holds and which page of them. Empty fields do not filter.
struct TaskFilter
{
    std::optional<TaskStatus> status;
    std::optional<ScheduleKind> scheduleKind;
    QString createdBy;               // exact: "agent:<id>", "user"…
    QString text;                    // a case-insensitive substring of the title or the description
    std::optional<TaskCursor> after; // only tasks after this one (then offset is 0)
    int limit = 50;
    int offset = 0;
};

struct TaskPage
{
    std::vector<Task> items;
    int total = 0;     // tasks under the filter, whatever the page
    bool more = false; // tasks follow this page
};

// One saved version of a task: the document (Task::toJson's shape) and who saved it when.
struct TaskVersion
{
    int version = 0;
    QDateTime savedAt;
    QString savedBy;
    Json document;
};

struct TaskVersionPage
{
    std::vector<TaskVersion> items;
    int total = 0;
};

class TaskStore final
{
public:
    explicit TaskStore(const Database &database);

    Status insert(const Task &task);
    // Writes every column of `task`. NotFound when the id is unknown.
    Status update(const Task &task);
    // NotFound when the id is unknown.
    Result<Task> get(const QString &id) const;
    // What queuing a run needs, without reading the schedule and pipeline: id, title, status,
    // priority, version and dedupe key are set. NotFound when the id is unknown.
    Result<Task> header(const QString &id) const;
    Result<TaskPage> list(std::optional<TaskStatus> status, int limit, int offset) const;
    // Newest first (created_at DESC, id DESC), under the filter; `total` ignores the cursor.
    Result<TaskPage> list(const TaskFilter &filter) const;
    // Removes the task, its versions and its pending queue rows; runs stay as history.
    Status remove(const QString &id);
    Status setNextRunAt(const QString &id, const QDateTime &nextRunAt);
    // The task document saved as `version` (the shape of Task::toJson). NotFound if absent.
    Result<Json> versionDocument(const QString &taskId, int version) const;
    // The same document as stored text, unparsed (for callers that cache what they parse).
    Result<QByteArray> versionText(const QString &taskId, int version) const;
    Status insertVersion(const QString &taskId, int version, const Json &document,
                         const QString &actor, const QDateTime &at);
    // The task's saved versions, newest first. An unknown task has none.
    Result<TaskVersionPage> versions(const QString &taskId, int limit, int offset) const;
    // The runs of the task that have not ended: waiting in the queue (queued, retrying, paused)
    // or being worked on (not those already being canceled). Oldest first.
    Result<QStringList> openRunIds(const QString &taskId) const;

    // Active tasks whose next_run_at is at or before `now`, earliest first.
    Result<std::vector<Task>> due(const QDateTime &now, int limit) const;
    // The earliest next_run_at over active tasks; invalid when none is scheduled.
    Result<QDateTime> earliestNextRun() const;

private:
    const Database &m_database;
};

} // namespace ordinaut
