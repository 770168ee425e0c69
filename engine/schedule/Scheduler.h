// Scheduler: the engine's only timer. It arms one precise QTimer for the earliest due instant —
// a task's next occurrence or a queued retry's run_at — and, when it fires, turns due
// occurrences into run_queue rows (idempotently), advances each task's next_run_at and tells
// the workers when queued work may start. The queue applies the task's overlap_policy and
// dedupe_key to each occurrence. Lives on the engine thread; an idle engine wakes once per
// kMaxSleepMs.
#pragma once

#include "core/Event.h"
#include "core/Result.h"

#include <QObject>
#include <QTimer>

#include <functional>
#include <vector>

namespace ordinaut {

class Clock;
class Database;
struct PlannedRun;
struct Task;

class Scheduler final : public QObject
{
    Q_OBJECT
public:
    // `runAllCap`: the most runs one task may queue at once under misfire policy run_all.
    Scheduler(const Database &database, const Clock &clock, int runAllCap = kDefaultRunAllCap,
              QObject *parent = nullptr);
    ~Scheduler() override;
    Q_DISABLE_COPY_MOVE(Scheduler)

    // The timer never waits longer than this, so a suspended laptop or a clock step is noticed.
    static constexpr int kMaxSleepMs = 60 * 1000;
    static constexpr int kDefaultRunAllCap = 10;
    // The timer is armed to the millisecond; at most this much is then waited out precisely.
    static constexpr qint64 kFinalWaitUs = 2000;

    // Materializes everything due now, then re-arms. Returns how many runs were queued.
    int tick();
    QDateTime armedFor() const { return m_armedFor; }
    int runAllCap() const { return m_runAllCap; }
    // Times the timer has fired since construction.
    qint64 wakeUps() const { return m_wakeUps; }
    // Asked before each occurrence is queued: a reason to record it `skipped` instead (the
    // task's creator has used up its daily runs), or empty. Called on the scheduler's thread.
    using Admission = std::function<QString(const Task &task)>;
    void setAdmission(Admission admission) { m_admission = std::move(admission); }

public slots:
    void start();
    void stop();
    // Something changed (a task was created, edited, paused…): look again at once.
    void rescan();
    void setRunAllCap(int cap) { m_runAllCap = cap; }

signals:
    // A run was queued; the event is already stored in the event log.
    void runQueued(const ordinaut::Event &event);
    // Another event the scheduler stored with its changes: a scheduled occurrence recorded
    // `skipped` (run.finished), or a run canceled for a newer occurrence under overlap_policy
    // cancel_previous (run.finished when it had not started, run.cancel_requested when its
    // worker must stop it). To be announced like runQueued's.
    void eventStored(const ordinaut::Event &event);
    // Queued work may start now (a retry's backoff ended, another process queued a run, or a
    // wake-up was lost): workers should look.
    void workDue();
    void errorOccurred(const QString &message);

private:
    void arm();
    void onTimeout();
    // Queues one planned occurrence of `task` (or records it skipped, cancels earlier runs)
    // inside the caller's transaction; the events stored for it, none when it was already
    // materialized or answered by the task's dedupe_key.
    Result<std::vector<Event>> materialize(const Task &task, const PlannedRun &planned,
                                           const QDateTime &now);

    const Database &m_database;
    const Clock &m_clock;
    int m_runAllCap;
    Admission m_admission;
    QTimer m_timer;
    QDateTime m_armedFor;
    bool m_running = false;
    qint64 m_wakeUps = 0;
};

} // namespace ordinaut
