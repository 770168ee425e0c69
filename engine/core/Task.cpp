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
        {"calendar", schedule.calendar.isEmpty() ? Json(nullptr) : Json(schedule.calendar)},
        {"payload", pipeline.toJson()},
        {"priority", priority},
        {"max_retries", retry.maxRetries},
        {"backoff_strategy", toString(retry.strategy)},
        {"retry_base_ms", retry.baseDelayMs},
        {"retry_max_ms", retry.maxDelayMs},
        {"misfire_policy", toString(misfirePolicy)},
        {"misfire_grace_seconds", misfireGraceSeconds},
        {"concurrency_key", concurrencyKey.isEmpty() ? Json(nullptr) : Json(concurrencyKey)},
        {"concurrency_limit", concurrencyKey.isEmpty() ? Json(nullptr) : Json(concurrencyLimit)},
        {"overlap_policy", toString(overlapPolicy)},
        {"dedupe_key", dedupeKey.isEmpty() ? Json(nullptr) : Json(dedupeKey)},
        {"dedupe_window_seconds", dedupeKey.isEmpty() ? Json(nullptr) : Json(dedupeWindowSeconds)},
        {"timeout_seconds", timeoutSeconds ? Json(*timeoutSeconds) : Json(nullptr)},
        {"status", toString(status)},
        {"version", version},
        {"next_run_at", instantJson(nextRunAt)},
        {"created_at", instantJson(createdAt)},
        {"updated_at", instantJson(updatedAt)},
    };
}

QString toString(TaskStatus status)
{
    switch (status) {
    case TaskStatus::Active:
        return QStringLiteral("active");
    case TaskStatus::Paused:
        return QStringLiteral("paused");
    case TaskStatus::Proposed:
        return QStringLiteral("proposed");
    case TaskStatus::Archived:
        return QStringLiteral("archived");
    }
    return {};
}

QString toString(MisfirePolicy policy)
{
    switch (policy) {
    case MisfirePolicy::RunOnce:
        return QStringLiteral("run_once");
    case MisfirePolicy::RunAll:
        return QStringLiteral("run_all");
    case MisfirePolicy::Skip:
        return QStringLiteral("skip");
    }
    return {};
}

std::optional<MisfirePolicy> misfirePolicyFromString(const QString &text)
{
    for (const MisfirePolicy policy :
         {MisfirePolicy::RunOnce, MisfirePolicy::RunAll, MisfirePolicy::Skip}) {
        if (text == toString(policy))
            return policy;
    }
    return std::nullopt;
}

QString toString(OverlapPolicy policy)
{
    switch (policy) {
    case OverlapPolicy::Skip:
        return QStringLiteral("skip");
    case OverlapPolicy::QueueOne:
        return QStringLiteral("queue_one");
    case OverlapPolicy::Allow:
        return QStringLiteral("allow");
    case OverlapPolicy::CancelPrevious:
        return QStringLiteral("cancel_previous");
    }
    return {};
}

std::optional<OverlapPolicy> overlapPolicyFromString(const QString &text)
{
    for (const OverlapPolicy policy : {OverlapPolicy::Skip, OverlapPolicy::QueueOne,
                                       OverlapPolicy::Allow, OverlapPolicy::CancelPrevious}) {
        if (text == toString(policy))
            return policy;
    }
    return std::nullopt;
}

std::optional<TaskStatus> taskStatusFromString(const QString &text)
{
    for (const TaskStatus status :
         {TaskStatus::Active, TaskStatus::Paused, TaskStatus::Proposed, TaskStatus::Archived}) {
        if (text == toString(status))
            return status;
    }
    return std::nullopt;
}

} // namespace ordinaut
