// StepRecord: what one step of a run received and produced.
#pragma once

#include "Json.h"

#include <QDateTime>

namespace ordinaut {

// Waiting: the step paused its run (time.wait, human.approve) and runs again on resume.
// TimedOut: its deadline (or the run's) passed and the tool was stopped; Canceled: the run was
// canceled while the step went on, and the tool was stopped.
enum class StepStatus { Succeeded, Failed, Skipped, Waiting, TimedOut, Canceled };

struct StepRecord
{
    QString runId;
    int index = 0;
    QString stepId;
    QString uses;
    StepStatus status = StepStatus::Succeeded;
    Json input;  // the rendered `with`
    Json output; // the tool's result (null on failure or when skipped)
    QString error;
    QDateTime startedAt;
    QDateTime finishedAt;

    Json toJson() const;
};

QString toString(StepStatus status);
// Unknown text reads as Failed.
StepStatus stepStatusFromString(const QString &text);

} // namespace ordinaut
