// TaskInput: reads a task body in the API's field names (title, description, schedule_kind,
// schedule_expr, timezone, dtstart, payload, priority, max_retries, flow control…) onto a Task,
// with errors that name the field.
#pragma once

#include "core/Result.h"
#include "core/Task.h"

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
};

} // namespace ordinaut
