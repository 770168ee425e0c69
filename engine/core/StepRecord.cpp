// StepRecord serialization.
#include "StepRecord.h"

namespace ordinaut {

Json StepRecord::toJson() const
{
    return Json{
        {"index", index},
        {"id", stepId},
        {"uses", uses},
        {"status", toString(status)},
        {"input", input},
        {"output", output},
        {"error", error.isEmpty() ? Json(nullptr) : Json(error)},
        {"started_at", instantJson(startedAt)},
        {"finished_at", instantJson(finishedAt)},
        {"duration_ms", startedAt.isValid() && finishedAt.isValid()
                            ? Json(startedAt.msecsTo(finishedAt))
                            : Json(nullptr)},
    };
}

QString toString(StepStatus status)
{
    return status == StepStatus::Succeeded ? QStringLiteral("succeeded") : QStringLiteral("failed");
}

} // namespace ordinaut
