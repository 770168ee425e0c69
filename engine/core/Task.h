// Task: a schedule plus a pipeline, owned by the agent or person who created it.
#pragma once

#include "Pipeline.h"
#include "Schedule.h"

#include <QDateTime>

namespace ordinaut {

enum class TaskStatus { Active, Paused };

struct Task
{
    QString id;
    QString title;
    QString description;
    QString createdBy;
    Schedule schedule;
    Pipeline pipeline;
    TaskStatus status = TaskStatus::Active;
    int priority = 5;   // 1 (most urgent) .. 9
    int maxRetries = 0; // attempts after the first; retries themselves arrive with the run engine
    QDateTime nextRunAt;
    int version = 1;
    QDateTime createdAt;
    QDateTime updatedAt;

    // The API shape: the seed's field names plus dtstart, id, status, version, next_run_at…
    Json toJson() const;
};

QString toString(TaskStatus status);
std::optional<TaskStatus> taskStatusFromString(const QString &text);

} // namespace ordinaut
