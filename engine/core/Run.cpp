// Run serialization and status names.
#include "Run.h"

namespace ordinaut {

namespace {
const char *const kRunStatusNames[]
    = {"queued",  "running",          "succeeded", "failed",    "canceled",
       "waiting", "waiting_approval", "abandoned", "timed_out", "skipped"};
const char *const kTriggerNames[] = {"schedule", "manual", "api", "retry", "event"};
} // namespace

Json Run::toJson(bool withSteps) const
{
    Json node{
        {"id", id},
        {"task_id", taskId},
        {"task_title", taskTitle},
        {"task_version", taskVersion},
        {"attempt", attempt},
        {"trigger", toString(trigger)},
        {"status", toString(status)},
        {"scheduled_for", instantJson(scheduledFor)},
        {"queued_at", instantJson(queuedAt)},
        {"started_at", instantJson(startedAt)},
        {"finished_at", instantJson(finishedAt)},
        {"duration_ms", startedAt.isValid() && finishedAt.isValid()
                            ? Json(startedAt.msecsTo(finishedAt))
                            : Json(nullptr)},
        {"error", error.isEmpty() ? Json(nullptr) : Json(error)},
        {"output", output},
        {"worker", worker.isEmpty() ? Json(nullptr) : Json(worker)},
        {"late", lateMs > 0},
        {"late_ms", lateMs},
        {"coalesced", coalesced},
        {"context", context},
        {"request_id", requestId.isEmpty() ? Json(nullptr) : Json(requestId)},
    };
    if (withSteps) {
        Json list = Json::array();
        for (const StepRecord &step : steps)
            list.push_back(step.toJson());
        node["steps"] = std::move(list);
    }
    return node;
}

QString toString(RunStatus status)
{
    return QString::fromLatin1(kRunStatusNames[static_cast<int>(status)]);
}

std::optional<RunStatus> runStatusFromString(const QString &text)
{
    for (int i = 0; i < int(std::size(kRunStatusNames)); ++i) {
        if (text == QLatin1String(kRunStatusNames[i]))
            return static_cast<RunStatus>(i);
    }
    return std::nullopt;
}

QString toString(RunTrigger trigger)
{
    return QString::fromLatin1(kTriggerNames[static_cast<int>(trigger)]);
}

std::optional<RunTrigger> runTriggerFromString(const QString &text)
{
    for (int i = 0; i < int(std::size(kTriggerNames)); ++i) {
        if (text == QLatin1String(kTriggerNames[i]))
            return static_cast<RunTrigger>(i);
    }
    return std::nullopt;
}

} // namespace ordinaut
