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
    switch (status) {
    case StepStatus::Succeeded:
        return QStringLiteral("succeeded");
    case StepStatus::Failed:
        return QStringLiteral("failed");
    case StepStatus::Skipped:
        return QStringLiteral("skipped");
    case StepStatus::Waiting:
        return QStringLiteral("waiting");
    case StepStatus::TimedOut:
        return QStringLiteral("timed_out");
    case StepStatus::Canceled:
        return QStringLiteral("canceled");
    }
    return {};
}

StepStatus stepStatusFromString(const QString &text)
{
    if (text == QLatin1String("succeeded"))
        return StepStatus::Succeeded;
    if (text == QLatin1String("skipped"))
        return StepStatus::Skipped;
    if (text == QLatin1String("waiting"))
        return StepStatus::Waiting;
    if (text == QLatin1String("timed_out"))
        return StepStatus::TimedOut;
    if (text == QLatin1String("canceled"))
        return StepStatus::Canceled;
    return StepStatus::Failed;
}

} // namespace ordinaut
