// TaskStore: the tasks and task_versions tables. Callers group calls in a sql::Transaction on
// the same thread when several must commit together.
#pragma once

#include "core/Result.h"
#include "core/Task.h"

#include <optional>
#include <vector>

namespace ordinaut {

class Database;

struct TaskPage
{
    std::vector<Task> items;
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
    // Removes the task, its versions and its pending queue rows; runs stay as history.
    Status remove(const QString &id);
    Status setNextRunAt(const QString &id, const QDateTime &nextRunAt);
    // The task document saved as `version` (the shape of Task::toJson). NotFound if absent.
    Result<Json> versionDocument(const QString &taskId, int version) const;
    // The same document as stored text, unparsed (for callers that cache what they parse).
    Result<QByteArray> versionText(const QString &taskId, int version) const;
    Status insertVersion(const QString &taskId, int version, const Json &document,
                         const QString &actor, const QDateTime &at);

    // Active tasks whose next_run_at is at or before `now`, earliest first.
    Result<std::vector<Task>> due(const QDateTime &now, int limit) const;
    // The earliest next_run_at over active tasks; invalid when none is scheduled.
    Result<QDateTime> earliestNextRun() const;

private:
    const Database &m_database;
};

} // namespace ordinaut
