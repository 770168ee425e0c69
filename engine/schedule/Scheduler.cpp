// Scheduler: due-work materialization.
#include "Scheduler.h"

#include "BusinessCalendar.h"
#include "MisfirePlanner.h"

#include "core/Clock.h"
#include "store/CalendarStore.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/RunQueue.h"
#include "store/Sql.h"
#include "store/TaskStore.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace ordinaut {

namespace {
constexpr int kBatch = 100;
}

Scheduler::Scheduler(const Database &database, const Clock &clock, int runAllCap, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_clock(clock)
    , m_runAllCap(runAllCap)
    , m_timer(this) // a child, so it moves to the engine thread with the scheduler
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &Scheduler::onTimeout);
}

Scheduler::~Scheduler() = default;

void Scheduler::start()
{
    m_running = true;
    rescan();
}

void Scheduler::stop()
{
    m_running = false;
    m_timer.stop();
}

void Scheduler::onTimeout()
{
    ++m_wakeUps;
    // Qt times in whole milliseconds, so the timer is armed up to one early (see arm()); the
    // rest is waited out here, to the microsecond. Never early, and not a millisecond late.
    if (m_armedFor.isValid()) {
        const qint64 earlyUs = m_armedFor.toMSecsSinceEpoch() * 1000 - m_clock.nowUs();
        if (earlyUs > 0 && earlyUs <= kFinalWaitUs)
            std::this_thread::sleep_for(std::chrono::microseconds(earlyUs));
    }
    rescan();
}

void Scheduler::rescan()
{
    if (!m_running)
        return;
    tick();
    arm();
}

int Scheduler::tick()
{
    TaskStore tasks(m_database);
    int queued = 0;
    const QDateTime now = m_clock.now();
    Result<std::vector<Task>> due = tasks.due(now, kBatch);
    if (!due) {
        emit errorOccurred(due.error().describe());
        return 0;
    }
    for (const Task &candidate : *due) {
        sql::Transaction tx(m_database.connection(), sql::TransactionMode::Immediate);
        if (!tx.isOpen()) {
            emit errorOccurred(tx.error().describe());
            return queued;
        }
        // Re-read inside the write transaction: the task may have been edited or paused, or
        // another scheduler may already have advanced it.
        Result<Task> task = tasks.get(candidate.id);
        if (!task || task->status != TaskStatus::Active || !task->nextRunAt.isValid()
            || task->nextRunAt > now)
            continue;

        std::optional<BusinessCalendar> calendar;
        if (!task->schedule.calendar.isEmpty()) {
            Result<BusinessCalendar> loaded = loadCalendar(m_database, task->schedule.calendar);
            if (loaded)
                calendar = std::move(*loaded);
        }
        Result<MisfirePlan> plan = MisfirePlanner::plan(
            task->schedule, task->misfirePolicy, task->misfireGraceSeconds, task->nextRunAt, now,
            m_runAllCap, calendar ? &*calendar : nullptr);
        if (!plan) {
            // An unexpandable schedule must not fire forever: park it and say why.
            emit errorOccurred(
                QStringLiteral("task %1: %2").arg(task->id, plan.error().describe()));
            plan = MisfirePlan{};
        }
        std::vector<Event> stored;
        bool failed = false;
        for (const PlannedRun &planned : plan->runs) {
            Result<std::vector<Event>> made = materialize(*task, planned, now);
            if (!made) {
                emit errorOccurred(made.error().describe());
                failed = true;
                break;
            }
            stored.insert(stored.end(), made->begin(), made->end());
        }
        if (failed)
            continue;
        if (!plan->runs.empty() || plan->missed > 0) {
            if (plan->missed > static_cast<int>(plan->runs.size()))
                qInfo("task %s: %d missed occurrence(s), %d run(s) queued (misfire policy %s)",
                      qPrintable(task->id), plan->missed, int(plan->runs.size()),
                      qPrintable(toString(task->misfirePolicy)));
        }
        if (Status advanced = tasks.setNextRunAt(task->id, plan->next); !advanced) {
            emit errorOccurred(advanced.error().describe());
            continue;
        }
        if (Status committed = tx.commit(); !committed) {
            emit errorOccurred(committed.error().describe());
            continue;
        }
        for (const Event &event : stored) {
            if (event.topic == QLatin1String("run.queued")) {
                ++queued;
                emit runQueued(event);
            } else {
                emit eventStored(event);
            }
        }
    }
    // A full batch means more may be due: come back at once.
    if (static_cast<int>(due->size()) == kBatch)
        QTimer::singleShot(0, this, &Scheduler::rescan);
    return queued;
}

Result<std::vector<Event>> Scheduler::materialize(const Task &task, const PlannedRun &planned,
                                                  const QDateTime &now)
{
    EnqueueRequest request;
    request.taskId = task.id;
    request.taskVersion = task.version;
    request.scheduledFor = planned.scheduledFor;
    request.runAt = now;
    request.priority = task.priority;
    request.trigger = RunTrigger::Schedule;
    request.lateMs = planned.lateMs;
    request.coalesced = planned.coalesced;
    if (m_admission)
        request.skipReason = m_admission(task);
    EnqueueReport report;
    Result<std::optional<Run>> run = RunQueue(m_database).enqueue(request, now, &report);
    if (!run)
        return run.error();
    // Already materialized (another engine, a restart), or answered by the run queued under
    // the task's dedupe_key: nothing new to tell.
    if (!run->has_value() || report.effect == EnqueueEffect::Deduplicated)
        return std::vector<Event>();

    std::vector<std::pair<QString, Json>> told; // topic, payload
    if (report.effect == EnqueueEffect::Skipped) {
        told.emplace_back(QStringLiteral("run.finished"),
                          Json{{"run_id", (*run)->id},
                               {"task_id", task.id},
                               {"scheduled_for", instantJson(planned.scheduledFor)},
                               {"status", toString(RunStatus::Skipped)},
                               {"error", (*run)->error},
                               {"still_going", report.goingRunId},
                               {"will_retry", false}});
    } else {
        told.emplace_back(QStringLiteral("run.queued"),
                          Json{{"run_id", (*run)->id},
                               {"task_id", task.id},
                               {"scheduled_for", instantJson(planned.scheduledFor)},
                               {"trigger", "schedule"},
                               {"late_ms", planned.lateMs},
                               {"coalesced", planned.coalesced}});
    }
    // overlap_policy cancel_previous: as RunService::cancel tells of a cancellation.
    for (const auto &[runId, effect] : report.canceled) {
        if (effect == CancelEffect::Stopping) {
            told.emplace_back(
                QStringLiteral("run.cancel_requested"),
                Json{{"run_id", runId}, {"task_id", task.id}, {"message", report.cancelMessage}});
        } else if (effect == CancelEffect::Canceled) {
            told.emplace_back(QStringLiteral("run.finished"),
                              Json{{"run_id", runId},
                                   {"task_id", task.id},
                                   {"status", toString(RunStatus::Canceled)},
                                   {"error", report.cancelMessage},
                                   {"will_retry", false}});
        }
    }
    EventLog events(m_database);
    std::vector<Event> stored;
    for (auto &[topic, payload] : told) {
        Event event;
        event.topic = topic;
        event.payload = std::move(payload);
        event.source = QStringLiteral("scheduler");
        event.createdAt = now;
        Result<Event> appended = events.append(event);
        if (!appended)
            return appended.error();
        stored.push_back(*appended);
    }
    return stored;
}

void Scheduler::arm()
{
    if (!m_running)
        return;
    const QDateTime now = m_clock.now();
    Result<QDateTime> earliest = TaskStore(m_database).earliestNextRun();
    if (!earliest) {
        emit errorOccurred(earliest.error().describe());
        earliest = QDateTime();
    }
    Result<RunQueue::Outlook> queued = RunQueue(m_database).outlook(now);
    if (!queued) {
        emit errorOccurred(queued.error().describe());
        queued = RunQueue::Outlook{};
    }
    if (queued->readyNow)
        emit workDue();
    m_armedFor = *earliest;
    if (queued->nextLater.isValid() && (!m_armedFor.isValid() || queued->nextLater < m_armedFor))
        m_armedFor = queued->nextLater;
    qint64 delayMs = kMaxSleepMs;
    if (m_armedFor.isValid()) {
        // Rounded down: onTimeout() waits out the fraction. A timer that fires late is caught
        // by the rescan (everything due is materialized, whatever the delay).
        const qint64 remainingUs = m_armedFor.toMSecsSinceEpoch() * 1000 - m_clock.nowUs();
        delayMs = std::clamp<qint64>(remainingUs / 1000, 0, kMaxSleepMs);
    }
    m_timer.start(static_cast<int>(delayMs));
}

} // namespace ordinaut
