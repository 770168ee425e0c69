// Scheduler: due-work materialization.
#include "Scheduler.h"

#include "Recurrence.h"

#include "core/Clock.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/RunQueue.h"
#include "store/Sql.h"
#include "store/TaskStore.h"

#include <algorithm>

namespace ordinaut {

namespace {
constexpr int kBatch = 100;
}

Scheduler::Scheduler(const Database &database, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_clock(clock)
    , m_timer(this) // a child, so it moves to the engine thread with the scheduler
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &Scheduler::rescan);
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
    RunQueue queue(m_database);
    EventLog events(m_database);
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

        EnqueueRequest request;
        request.taskId = task->id;
        request.taskVersion = task->version;
        request.scheduledFor = task->nextRunAt;
        request.runAt = now;
        request.priority = task->priority;
        request.trigger = RunTrigger::Schedule;
        Result<std::optional<Run>> run = queue.enqueue(request, now);
        if (!run) {
            emit errorOccurred(run.error().describe());
            continue;
        }

        // Missed occurrences coalesce into this one late run (misfire policy run_once).
        Result<QDateTime> next
            = Recurrence::nextAfter(task->schedule, std::max(task->nextRunAt, now));
        if (!next) {
            emit errorOccurred(
                QStringLiteral("task %1: %2").arg(task->id, next.error().describe()));
            next = QDateTime();
        }
        if (Status advanced = tasks.setNextRunAt(task->id, *next); !advanced) {
            emit errorOccurred(advanced.error().describe());
            continue;
        }
        std::optional<Event> stored;
        if (run->has_value()) {
            Event event;
            event.topic = QStringLiteral("run.queued");
            event.payload = Json{{"run_id", (*run)->id},
                                 {"task_id", task->id},
                                 {"scheduled_for", instantJson(task->nextRunAt)},
                                 {"trigger", "schedule"}};
            event.source = QStringLiteral("scheduler");
            event.createdAt = now;
            Result<Event> appended = events.append(event);
            if (!appended) {
                emit errorOccurred(appended.error().describe());
                continue;
            }
            stored = *appended;
        }
        if (Status committed = tx.commit(); !committed) {
            emit errorOccurred(committed.error().describe());
            continue;
        }
        if (stored) {
            ++queued;
            emit runQueued(*stored);
        }
    }
    // A full batch means more may be due: come back at once.
    if (static_cast<int>(due->size()) == kBatch)
        QTimer::singleShot(0, this, &Scheduler::rescan);
    return queued;
}

void Scheduler::arm()
{
    if (!m_running)
        return;
    Result<QDateTime> earliest = TaskStore(m_database).earliestNextRun();
    const QDateTime now = m_clock.now();
    qint64 delayMs = kMaxSleepMs;
    m_armedFor = QDateTime();
    if (earliest && earliest->isValid()) {
        m_armedFor = *earliest;
        // Round up so the timer never fires before the instant; a late-firing timer is caught
        // by the next rescan.
        delayMs = std::clamp<qint64>(now.msecsTo(*earliest) + 1, 0, kMaxSleepMs);
    }
    m_timer.start(static_cast<int>(delayMs));
}

} // namespace ordinaut
