// Task: a schedule plus a pipeline, owned by the agent or person who created it.
#pragma once

#include "Pipeline.h"
#include "RetryPolicy.h"
#include "Schedule.h"

#include <QDateTime>

#include <optional>

namespace ordinaut {

// Only active tasks are scheduled. A proposed task (made by an agent whose settings say so) waits
// for the owner's acceptance; an archived one (canceled) stopped for good but stays in history.
enum class TaskStatus { Active, Paused, Proposed, Archived };

// What happens to occurrences missed while Ordinaut was not running (or the machine slept):
// RunOnce coalesces them into one late run, RunAll runs each (up to a cap), Skip drops them.
enum class MisfirePolicy { RunOnce, RunAll, Skip };

// What happens to a scheduled occurrence that comes due while the task's previous run is still
// going (running, being canceled, or paused): Skip records it `skipped`; QueueOne keeps one
// waiting behind the running run and records further ones `skipped`; Allow runs it alongside;
// CancelPrevious cancels the previous runs and starts once they have ended. Except under Allow,
// runs of the task (whatever their trigger) start one at a time.
enum class OverlapPolicy { Skip, QueueOne, Allow, CancelPrevious };

struct Task
{
    // What a key gets when its number is not given.
    static constexpr int kDefaultConcurrencyLimit = 1;
    static constexpr int kDefaultDedupeWindowSeconds = 3600;

    QString id;
    QString title;
    QString description;
    QString createdBy;
    Schedule schedule;
    Pipeline pipeline;
    TaskStatus status = TaskStatus::Active;
    int priority = 5;  // 1 .. 9 (most urgent): due work starts highest first, then by due time
    RetryPolicy retry; // what happens to a failed run
    MisfirePolicy misfirePolicy = MisfirePolicy::RunOnce;
    int misfireGraceSeconds = 60; // this late still counts as on time
    // Runs of all tasks sharing the key (on every engine of the database) that may go on at
    // once; the limit is 0 when there is no key.
    QString concurrencyKey;
    int concurrencyLimit = 0;
    OverlapPolicy overlapPolicy = OverlapPolicy::QueueOne;
    // A run-now or scheduled occurrence within the window after a run queued under the same key
    // is answered with that run; the window is 0 when there is no key.
    QString dedupeKey;
    int dedupeWindowSeconds = 0;
    std::optional<int> timeoutSeconds; // each run's deadline; none when empty
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
QString toString(OverlapPolicy policy);
std::optional<OverlapPolicy> overlapPolicyFromString(const QString &text);

} // namespace ordinaut
