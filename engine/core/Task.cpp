// Task serialization in the API's shape.
#include "Task.h"

namespace ordinaut {

Json Task::toJson() const
{
    return Json{
        {"id", id},
        {"title", title},
        {"description", description},
        {"created_by", createdBy},
        {"schedule_kind", toString(schedule.kind)},
        {"schedule_expr", schedule.expression},
        {"timezone", schedule.timezone},
        {"dtstart", schedule.dtstart.isEmpty() ? Json(nullptr) : Json(schedule.dtstart)},
        {"payload", pipeline.toJson()},
        {"priority", priority},
        {"max_retries", maxRetries},
        {"status", toString(status)},
        {"version", version},
        {"next_run_at", instantJson(nextRunAt)},
        {"created_at", instantJson(createdAt)},
        {"updated_at", instantJson(updatedAt)},
    };
}

QString toString(TaskStatus status)
{
    return status == TaskStatus::Active ? QStringLiteral("active") : QStringLiteral("paused");
}

std::optional<TaskStatus> taskStatusFromString(const QString &text)
{
    if (text == QLatin1String("active"))
        return TaskStatus::Active;
    if (text == QLatin1String("paused"))
        return TaskStatus::Paused;
    return std::nullopt;
}

} // namespace ordinaut
