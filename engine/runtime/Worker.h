// Worker: lives on its own thread with its own database connection; takes claimed runs one at a
// time, runs their pipelines and records the results.
//
// A run's outcome is handed to the group-commit writer without waiting: the worker goes on to
// the next run (claimed for the pool in the same commit as an earlier outcome, see ClaimBuffer)
// while the outcome is committed. The run's lease is held until its outcome is durable, and its
// run.finished is announced only then. An outcome the writer could not record comes back to the
// worker, which records it again (with backoff) before anything else.
#pragma once

#include "ClaimBuffer.h"

#include "core/Event.h"
#include "core/Pipeline.h"
#include "core/Result.h"
#include "core/StepRecord.h"
#include "store/RunQueue.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QObject>

#include <nlohmann/json.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>

class QTimer;

namespace ordinaut {

class Cancellation;
class Clock;
class Database;
class EventBus;
class LeaseKeeper;
class Metrics;
class ToolRegistry;
struct Run;
struct RunContext;
struct RunOutcome;
struct StepRecord;

class Worker final : public QObject
{
    Q_OBJECT
public:
    // `wakePool` wakes every worker of the pool (runs were claimed into `buffer`).
    Worker(QString id, const Database &database, const Clock &clock, const ToolRegistry &tools,
           EventBus &bus, Metrics &metrics, LeaseKeeper &leases, ClaimBuffer &buffer,
           std::function<void()> wakePool, const std::atomic_bool &stopping);
    Q_DISABLE_COPY_MOVE(Worker)

    static constexpr int kRecordAttempts = 10;
    // A run going on longer than this has its steps written as they finish; a shorter one has
    // them written with its outcome.
    static constexpr qint64 kLiveProgressAfterMs = 20;
    // The worker's count of processed runs is added to the workers table at most this often
    // (and when it runs out of work), not with every run.
    static constexpr qint64 kProcessedSaveMs = 1000;
    // Task versions whose parsed documents the worker keeps.
    static constexpr std::size_t kParsedVersions = 8;

    // Any thread: makes the worker look for ready work (queues drain() unless one is queued).
    void wake();
    // Neither running nor about to look for work (no wake-up queued): waking it starts a drain
    // at once. Any thread.
    bool isIdle() const { return !m_draining.load() && !m_wakeQueued.load(); }

public slots:
    void start();
    // Claims and runs until nothing is ready.
    void drain();
    // Ends the worker's thread once the run in progress (if any) is recorded. Call after the
    // pool's stopping flag is set.
    void finish();

private:
    // A run that ended, with everything needed to record it (now or again later).
    struct Finished;
    // What a posted outcome's commit produced, for its completion.
    struct Posted;

    // Claims the next ready run through the writer (and, in the same commit, runs for the
    // buffer's free places), recording `last` (the outcome of the run before, if any) in the
    // same piece. The claimed runs' leases are held.
    Result<std::optional<ClaimedRun>> claimNext(std::shared_ptr<Finished> last);
    // Inside a writer piece: records `finished` (if any) and marks `start` running (if any),
    // collecting what to announce in `posted`.
    Status recordInPiece(const std::shared_ptr<Finished> &finished,
                         const std::optional<Claim> &start, Posted &posted);
    // Once that piece is committed (or failed): announces, releases the lease, hands the runs
    // claimed for the buffer over; a failed outcome goes back to be recorded again.
    void completeRecorded(const Status &written, const std::shared_ptr<Finished> &finished,
                          Posted &posted);
    // Inside a writer piece: claims up to `most` runs, each with its run.started event (and the
    // run.finished of an attempt it took over). Stops at the first that cannot be claimed; the
    // error only when none was.
    Status claimRuns(int most, std::vector<ClaimedRun> *claimed, bool startFirst);
    Result<std::optional<Claim>> claimInPiece(std::vector<Event> *events,
                                              RunQueue::ClaimStart start);
    // Marks a run claimed ahead running, with its run.started event (inside a writer piece).
    Status startInPiece(const Claim &claim, std::vector<Event> *events);
    // Holds the leases of freshly committed claims.
    void holdLeases(std::vector<ClaimedRun> &claimed);
    // Writes `steps` (inside a writer piece); their events go to `events`.
    Status saveSteps(const std::vector<StepRecord> &steps, std::vector<Event> *events);
    // Runs the pipeline. Returns the outcome to record, or null when there is none to record
    // (the run was stopped for another engine) or it was recorded already (a pause).
    std::shared_ptr<Finished> process(const ClaimedRun &claimed);
    void recordStep(const StepRecord &step);
    // Hands the last run's outcome (if any) and the start of the next run (if claimed ahead)
    // to the writer, in one piece, and returns at once.
    void post(std::shared_ptr<Finished> finished, const ClaimedRun *starting);
    // Records the outcome (or pause) now, retrying with backoff, then releases the lease.
    void recordNow(Finished &finished);
    // Records again the outcomes whose posted write failed.
    void recordReturned();
    // Waits until every posted outcome is recorded (before the worker ends).
    void settle();
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

    // A task version as stored and as parsed. Versions never change, so a worker parses each
    // once; it still reads the stored text for every run (a removed task or version shows).
    struct ParsedVersion
    {
        QString taskId;
        int version = 0;
        QByteArray text;
        Result<Json> document = Json();
        Result<Pipeline> pipeline = Pipeline();
    };
    // The version's parsed document and pipeline (either may hold the parse error); an error
    // when the stored text cannot be read.
    Result<const ParsedVersion *> parsedVersion(const QString &taskId, int version);
    // Adds runs processed to the workers table (inside a writer piece).
    Status saveProcessed(qint64 count);
    // Adds the runs processed since the last save, through the writer (the worker is idle).
    void saveProcessedNow();

    QString m_id;
    const Database &m_database;
    const Clock &m_clock;
    const ToolRegistry &m_tools;
    EventBus &m_bus;
    Metrics &m_metrics;
    LeaseKeeper &m_leases;
    ClaimBuffer &m_buffer;
    std::function<void()> m_wakePool;
    const std::atomic_bool &m_stopping;
    bool m_busy = false;
    std::atomic_bool m_draining{false}; // m_busy, for other threads
    bool m_wakePending = false;
    std::atomic_bool m_wakeQueued{false};
    std::vector<StepRecord> m_unsavedSteps;
    QElapsedTimer m_runTimer;
    std::deque<ParsedVersion> m_parsed; // most recently used first
    qint64 m_processedUnsaved = 0;
    QElapsedTimer m_processedSaved;
    QTimer *m_processedTimer = nullptr; // saves the count once an idle interval is over
    std::atomic_int m_posted{0};        // outcomes handed to the writer, not yet answered
    QMutex m_returnedMutex;
    std::vector<std::shared_ptr<Finished>> m_returned; // posted, not recorded: to do again
};

} // namespace ordinaut
