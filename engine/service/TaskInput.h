// TaskInput: reads a task body in the API's field names (title, description, schedule_kind,
// schedule_expr, timezone, dtstart, payload, priority, max_retries, flow control…) onto a Task,
// and a task list's query (filters, limit/offset or cursor) onto a TaskFilter, with errors that
// name the field.
#pragma once

#include "core/Result.h"
#include "core/Task.h"
#include "store/TaskStore.h"

class QUrlQuery;

namespace ordinaut {

class PipelineChecker;

enum class TaskInputMode {
    Create, // required fields must be present
    Update, // absent fields keep their current value
};

struct TaskInputResult
{
    Task task;
    bool scheduleChanged = false;
    std::optional<int> expectedVersion; // "version" sent with an update
};

class TaskInput final
{
public:
    // InvalidArgument naming the field for every rule broken; MalformedInput when `body` is not
    // an object.
    static Result<TaskInputResult> apply(const Json &body, Task base, TaskInputMode mode,
                                         const PipelineChecker &checker);

    // status, schedule_kind, created_by, q, limit (1..maxLimit, default 50) and offset, or
    // cursor instead of offset. InvalidArgument naming the parameter: an unknown status or kind,
    // q over TaskService::kMaxQueryText characters, a cursor listCursor() did not make, offset
    // together with cursor.
    static Result<TaskFilter> listFilter(const QUrlQuery &query, int maxLimit);
    // The opaque cursor (base64url) that continues a list after `task`.
    static QString listCursor(const Task &task);
};

} // namespace ordinaut
