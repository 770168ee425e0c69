// Run: one attempt at executing a task's pipeline, from queued to a final status.
#pragma once

#include "Json.h"
#include "StepRecord.h"

#include <QDateTime>
#include <QMetaType>

#include <vector>

namespace ordinaut {

// Waiting: paused by a step (time.wait) until its time; WaitingApproval: paused until a person
// approves or rejects (human.approve). Neither holds a worker.
// Abandoned: its worker stopped renewing the lease (crashed, killed, hung) or its engine shut
// down mid-run; another attempt took the run over.
// TimedOut: the run's or a step's deadline passed; the step was stopped.
// Skipped: an occurrence not run because the task's previous run was still going
// (overlap_policy).
enum class RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
    Waiting,
    WaitingApproval,
    Abandoned,
    TimedOut,
    Skipped
};
// Retry: queued again after a failed attempt (RetryPolicy). Event: an event with a topic the
// task listens to was posted (EventService).
enum class RunTrigger { Schedule, Manual, Api, Retry, Event };

struct Run
{
    QString id;
    QString taskId;
    QString taskTitle; // joined for display; empty when the task was deleted
    int taskVersion = 0;
    int attempt = 1;
    RunTrigger trigger = RunTrigger::Schedule;
    RunStatus status = RunStatus::Queued;
    QDateTime scheduledFor;
    QDateTime queuedAt;
    QDateTime startedAt;
    QDateTime finishedAt;
    QString error;
    Json output;
    QString worker;
    qint64 lateMs = 0; // queued this long after its occurrence, beyond the task's grace window
    int coalesced = 1; // missed occurrences this run stands for (misfire policy run_once)
    std::vector<StepRecord> steps; // filled only where asked for
    Json resume;                   // where a paused run goes on (RunStore::suspend); null otherwise
    // What the occurrence was started with, shared by all its attempts: {"event": {"id", "topic",
    // "payload", "source"}} for an event-triggered one; null otherwise.
    Json context;
    // The X-Request-Id of the API request that queued it (or the attempt it retries); empty
    // for runs the scheduler queued.
    QString requestId;

    bool isFinished() const
    {
        return status != RunStatus::Queued && status != RunStatus::Running
               && status != RunStatus::Waiting && status != RunStatus::WaitingApproval;
    }
    Json toJson(bool withSteps) const;
};

QString toString(RunStatus status);
std::optional<RunStatus> runStatusFromString(const QString &text);
QString toString(RunTrigger trigger);
std::optional<RunTrigger> runTriggerFromString(const QString &text);

} // namespace ordinaut

Q_DECLARE_METATYPE(ordinaut::Run)
