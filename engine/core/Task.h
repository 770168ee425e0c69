// Task: a schedule plus a pipeline, owned by the agent or person who created it.
#pragma once

#include "Pipeline.h"
#include "RetryPolicy.h"
#include "Schedule.h"

#include <QDateTime>

namespace ordinaut {

enum class TaskStatus { Active, Paused };

// What happens to occurrences missed while Ordinaut was not running (or the machine slept):
// RunOnce coalesces them into one late run, RunAll runs each (up to a cap), Skip drops them.
enum class MisfirePolicy { RunOnce, RunAll, Skip };

struct Task
{
    QString id;
    QString title;
    QString description;
    QString createdBy;
    Schedule schedule;
    Pipeline pipeline;
    TaskStatus status = TaskStatus::Active;
    int priority = 5;  // 1 (most urgent) .. 9
    RetryPolicy retry; // what happens to a failed run
    MisfirePolicy misfirePolicy = MisfirePolicy::RunOnce;
    int misfireGraceSeconds = 60; // this late still counts as on time
    QDateTime nextRunAt;
    int version = 1;
    QDateTime createdAt;
    QDateTime updatedAt;

    // The API shape: the seed's field names plus dtstart, id, status, version, next_run_at…
    Json toJson() const;
};

QString toString(TaskStatus status);
std::optional<TaskStatus> taskStatusFromString(const QString &text);
QString toString(MisfirePolicy policy);
std::optional<MisfirePolicy> misfirePolicyFromString(const QString &text);

} // namespace ordinaut
