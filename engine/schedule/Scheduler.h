// Scheduler: arms one precise QTimer for the earliest due task and, when it fires, turns due
// occurrences into run_queue rows (idempotently) and advances each task's next_run_at.
// Lives on the engine thread.
#pragma once

#include "core/Event.h"

#include <QObject>
#include <QTimer>

namespace ordinaut {

class Clock;
class Database;

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

    // Materializes everything due now, then re-arms. Returns how many runs were queued.
    int tick();
    QDateTime armedFor() const { return m_armedFor; }

public slots:
    void start();
    void stop();
    // Something changed (a task was created, edited, paused…): look again at once.
    void rescan();

signals:
    // A run was queued; the event is already stored in the event log.
    void runQueued(const ordinaut::Event &event);
    void errorOccurred(const QString &message);

private:
    void arm();

    const Database &m_database;
    const Clock &m_clock;
    int m_runAllCap;
    QTimer m_timer;
    QDateTime m_armedFor;
    bool m_running = false;
};

} // namespace ordinaut
