// Worker: lives on its own thread with its own database connection; claims ready queue rows
// one at a time, runs their pipelines and records the results.
#pragma once

#include "core/Event.h"
#include "core/Result.h"
#include "core/StepRecord.h"
#include "store/RunQueue.h"

#include <QElapsedTimer>
#include <QObject>

#include <nlohmann/json.hpp>

#include <atomic>

namespace ordinaut {

class Cancellation;
class Clock;
class Database;
class EventBus;
class LeaseKeeper;
class ToolRegistry;
struct Run;
struct RunContext;
struct RunOutcome;
struct StepRecord;

class Worker final : public QObject
{
    Q_OBJECT
public:
    Worker(QString id, const Database &database, const Clock &clock, const ToolRegistry &tools,
           EventBus &bus, LeaseKeeper &leases, const std::atomic_bool &stopping);
    Q_DISABLE_COPY_MOVE(Worker)

    static constexpr int kRecordAttempts = 10;
    // A run going on longer than this has its steps written as they finish; a shorter one has
    // them written with its outcome.
    static constexpr qint64 kLiveProgressAfterMs = 20;

    // Any thread: makes the worker look for ready work (queues drain() unless one is queued).
    void wake();

public slots:
    void start();
    // Claims and runs until nothing is ready.
    void drain();
    // Ends the worker's thread once the run in progress (if any) is recorded. Call after the
    // pool's stopping flag is set.
    void finish();

private:
    // Claims the next ready run through the writer, with its run.started event (and the
    // run.finished of an attempt it took over) for `events`, to announce after the commit.
    Result<std::optional<Claim>> claimNext(std::vector<Event> *events);
    // The claim itself, inside a writer piece.
    Result<std::optional<Claim>> claimInPiece(std::vector<Event> *events);
    // Writes the steps not yet written (inside a writer piece); their events go to `events`.
    Status saveSteps(std::vector<Event> *events);
    void process(const Claim &claim, const Cancellation &cancellation);
    void recordStep(const StepRecord &step);
    // Records the outcome, and queues `retry` (a failed attempt's next one) with it; the
    // retry's own event goes to `more`.
    Result<Event> recordOutcome(const Claim &claim, const RunOutcome &outcome,
                                const std::optional<EnqueueRequest> &retry,
                                std::vector<Event> *more);
    // A run paused by a step: back to the queue until its time, with what it needs to resume.
    Result<Event> recordPause(const Claim &claim, const Run &run, const RunOutcome &outcome);
    // Fills the context of a paused run that is due again: the steps before the pause and
    // what the paused step waited for (an approval's decision, or its timing out).
    Status prepareResume(const Run &run, RunContext &context);

    QString m_id;
    const Database &m_database;
    const Clock &m_clock;
    const ToolRegistry &m_tools;
    EventBus &m_bus;
    LeaseKeeper &m_leases;
    const std::atomic_bool &m_stopping;
    bool m_busy = false;
    bool m_wakePending = false;
    std::atomic_bool m_wakeQueued{false};
    std::vector<StepRecord> m_unsavedSteps;
    QElapsedTimer m_runTimer;
    // Claimed together with the previous run's outcome, with its events to announce.
    std::optional<Claim> m_next;
    std::vector<Event> m_nextEvents;
};

} // namespace ordinaut
