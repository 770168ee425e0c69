// Worker: claim → execute → record.
#include "Worker.h"

#include "EventBus.h"
#include "LeaseKeeper.h"
#include "SideEffectRecords.h"

#include "core/Clock.h"
#include "core/Id.h"
#include "core/Log.h"
#include "core/Metrics.h"
#include "pipeline/Executor.h"
#include "store/ApprovalStore.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/Sql.h"
#include "store/TaskStore.h"
#include "store/WorkerStore.h"
#include "store/WriteQueue.h"

#include <QCoreApplication>
#include <QHostInfo>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QThread>
#include <QTimer>

#include <algorithm>

namespace ordinaut {

struct Worker::Finished
{
    ClaimedRun claimed;
    std::optional<Run> run; // absent when it could not be read
    RunOutcome outcome;
    std::optional<EnqueueRequest> retry;
    std::vector<StepRecord> steps; // not yet written
    qint64 processed = 0;          // runs to add to the worker's count with this record
};

struct Worker::Posted
{
    std::vector<Event> startEvents; // of the run starting next
    std::vector<Event> stepEvents;
    std::optional<Event> finished;
    std::vector<Event> more;
    int reserved = 0;
    std::vector<ClaimedRun> claimed;
};

Worker::Worker(QString id, const Database &database, const Clock &clock, const ToolRegistry &tools,
               EventBus &bus, Metrics &metrics, LeaseKeeper &leases, ClaimBuffer &buffer,
               std::function<void()> wakePool, const std::atomic_bool &stopping)
    : m_id(std::move(id))
    , m_database(database)
    , m_clock(clock)
    , m_tools(tools)
    , m_bus(bus)
    , m_metrics(metrics)
    , m_leases(leases)
    , m_buffer(buffer)
    , m_wakePool(std::move(wakePool))
    , m_stopping(stopping)
{}

void Worker::start()
{
    if (Status registered = WorkerStore(m_database)
                                .upsert(m_id, QHostInfo::localHostName(),
                                        QCoreApplication::applicationPid(), m_clock.now());
        !registered)
        qWarning("worker %s: cannot register: %s", qPrintable(m_id),
                 qPrintable(registered.error().describe()));
    drain();
}

void Worker::wake()
{
    // One queued drain at a time: wake-ups while one is queued (or before a running drain's
    // next claim) add nothing.
    if (!m_wakeQueued.exchange(true))
        QMetaObject::invokeMethod(this, &Worker::drain, Qt::QueuedConnection);
}

void Worker::drain()
{
    // A tool waiting on its own event loop lets queued wake-ups in; remember them instead of
    // starting a second run on this thread.
    if (m_busy) {
        m_wakePending = true;
        return;
    }
    m_busy = true;
    m_draining = true;
    do {
        m_wakePending = false;
        // The last run's outcome, posted with the next run's start (one writer piece).
        std::shared_ptr<Finished> last;
        while (!m_stopping.load()) {
            // From here a wake-up queues another drain: nothing queued after this claim looked
            // is missed.
            m_wakeQueued = false;
            recordReturned();
            // Usually claimed for the pool with an earlier outcome; otherwise claimed now.
            std::optional<ClaimedRun> next = m_buffer.take();
            if (next) {
                // More waiting than this worker takes: another one helps.
                if (m_buffer.size() > 0)
                    m_wakePool();
                post(std::exchange(last, nullptr), &*next);
            } else {
                Result<std::optional<ClaimedRun>> claimed = claimNext(std::exchange(last, nullptr));
                if (!claimed) {
                    qWarning("worker %s: cannot claim work: %s", qPrintable(m_id),
                             qPrintable(claimed.error().describe()));
                    break;
                }
                if (!claimed->has_value())
                    break;
                next = std::move(**claimed);
                for (const Event &event : next->events)
                    m_bus.announce(event);
            }
            last = process(*next);
        }
        if (last)
            post(std::exchange(last, nullptr), nullptr);
    } while (m_wakePending && !m_stopping.load());
    recordReturned();
    m_busy = false;
    m_draining = false;
    // Out of work: the runs processed since the last save are added once the interval since
    // that save is over (at once when stopping), not with every run of a quiet period.
    if (m_processedUnsaved > 0) {
        const qint64 waited
            = m_processedSaved.isValid() ? m_processedSaved.elapsed() : kProcessedSaveMs;
        if (m_stopping.load() || waited >= kProcessedSaveMs) {
            saveProcessedNow();
        } else {
            if (!m_processedTimer) {
                m_processedTimer = new QTimer(this);
                m_processedTimer->setSingleShot(true);
                connect(m_processedTimer, &QTimer::timeout, this, &Worker::saveProcessedNow);
            }
            m_processedTimer->start(static_cast<int>(kProcessedSaveMs - waited));
        }
    }
    if (m_stopping.load()) {
        settle();
        QThread::currentThread()->quit();
    }
}

Result<std::optional<ClaimedRun>> Worker::claimNext(std::shared_ptr<Finished> last)
{
    // Claims share the writer's commits with other workers' claims and results (group
    // commit); a claim needs no fsync — one lost to a power cut is claimed again. The last
    // run's outcome goes in the same piece (then durable): one piece, not two.
    const int reserved = m_buffer.reserve(m_buffer.capacity());
    std::vector<ClaimedRun> claimed;
    Posted recorded;
    Status written = m_database.writer().write(
        last ? Durability::Durable : Durability::Relaxed, [&]() -> Status {
            claimed.clear();
            recorded = Posted{};
            if (!last)
                return claimRuns(1 + reserved, &claimed, true);
            if (Status done = recordInPiece(last, std::nullopt, recorded); !done)
                return done;
            // The outcome stands even when nothing can be claimed.
            (void)claimRuns(1 + reserved, &claimed, true);
            return {};
        });
    if (last)
        completeRecorded(written, last, recorded);
    if (!written || claimed.empty()) {
        m_buffer.forget(reserved);
        if (!written)
            return written.error();
        return std::optional<ClaimedRun>();
    }
    holdLeases(claimed);
    ClaimedRun mine = std::move(claimed.front());
    claimed.erase(claimed.begin());
    const bool more = !claimed.empty();
    m_buffer.deliver(std::move(claimed), reserved);
    if (more)
        m_wakePool();
    return std::optional<ClaimedRun>(std::move(mine));
}

Status Worker::claimRuns(int most, std::vector<ClaimedRun> *claimed, bool startFirst)
{
    // One claim in its own savepoint: one that fails leaves the others.
    auto claimOne = [&](bool start) -> Result<bool> {
        sql::Transaction claiming(m_database.connection());
        ClaimedRun run;
        run.started = start;
        Result<std::optional<Claim>> claim = claimInPiece(
            &run.events, start ? RunQueue::ClaimStart::Now : RunQueue::ClaimStart::Later);
        if (!claim)
            return claim.error();
        if (!claim->has_value())
            return false;
        if (Status committed = claiming.commit(); !committed)
            return committed.error();
        run.claim = std::move(**claim);
        claimed->push_back(std::move(run));
        return true;
    };
    auto failed = [&](const Error &error) { return claimed->empty() ? Status(error) : Status(); };
    if (startFirst && most > 0) {
        Result<bool> first = claimOne(true);
        if (!first)
            return failed(first.error());
        if (!*first)
            return {};
        --most;
    }
    if (most <= 0)
        return {};
    // The claims taken ahead, many at once; a lease that ran out is taken over one by one.
    Result<RunQueue::ClaimedAhead> ahead
        = RunQueue(m_database).claimAhead(m_id, m_clock.now(), m_leases.leaseMs(), most);
    if (!ahead)
        return failed(ahead.error());
    if (!ahead->leaseExpired) {
        for (Claim &claim : ahead->claims) {
            ClaimedRun run;
            run.started = false;
            run.claim = std::move(claim);
            claimed->push_back(std::move(run));
        }
        return {};
    }
    for (int i = 0; i < most; ++i) {
        Result<bool> next = claimOne(false);
        if (!next)
            return failed(next.error());
        if (!*next)
            return {};
    }
    return {};
}

void Worker::holdLeases(std::vector<ClaimedRun> &claimed)
{
    // Renewed while the run waits and goes on, released once it is recorded. The cancellation
    // is set when someone cancels the run, the lease is lost or the engine shuts down.
    for (ClaimedRun &run : claimed) {
        run.cancellation = std::make_shared<Cancellation>();
        m_leases.hold(run.claim, run.cancellation);
    }
}

Result<std::optional<Claim>> Worker::claimInPiece(std::vector<Event> *events,
                                                  RunQueue::ClaimStart start)
{
    events->clear();
    Result<std::optional<Claim>> claim
        = RunQueue(m_database).claim(m_id, m_clock.now(), m_leases.leaseMs(), start);
    if (!claim || !claim->has_value())
        return claim;
    const Claim &got = **claim;
    EventLog log(m_database);
    if (!got.abandonedRunId.isEmpty()) {
        Result<Event> abandoned
            = log.append(m_bus.make(QStringLiteral("run.finished"),
                                    Json{{"run_id", got.abandonedRunId},
                                         {"task_id", got.taskId},
                                         {"status", toString(RunStatus::Abandoned)},
                                         {"taken_over_by", got.runId},
                                         {"will_retry", true}},
                                    m_id));
        if (!abandoned)
            return abandoned.error();
        events->push_back(*abandoned);
    }
    if (start == RunQueue::ClaimStart::Now) {
        Result<Event> started = log.append(m_bus.make(
            QStringLiteral("run.started"),
            Json{{"run_id", got.runId}, {"task_id", got.taskId}, {"worker", m_id}}, m_id));
        if (!started)
            return started.error();
        events->push_back(*started);
    }
    return claim;
}

Status Worker::startInPiece(const Claim &claim, std::vector<Event> *events)
{
    if (Status marked = RunQueue(m_database).markStarted(claim, m_clock.now()); !marked)
        return marked;
    Result<Event> started = EventLog(m_database)
                                .append(m_bus.make(QStringLiteral("run.started"),
                                                   Json{{"run_id", claim.runId},
                                                        {"task_id", claim.taskId},
                                                        {"worker", claim.workerId}},
                                                   m_id));
    if (!started)
        return started.error();
    events->push_back(*started);
    return {};
}

void Worker::finish()
{
    // Quitting the thread now would also end a tool's nested event loop and fail the run in
    // progress; a busy worker quits when drain() returns.
    if (m_busy)
        return;
    recordReturned();
    settle();
    saveProcessedNow();
    QThread::currentThread()->quit();
}

void Worker::recordStep(const StepRecord &step)
{
    // A short run's steps are written with its outcome, in the same commit; once a run has
    // gone on for a while its steps are written as they finish, so progress shows live.
    m_metrics.stepFinished(step.uses, step.status,
                           double(step.startedAt.msecsTo(step.finishedAt)) / 1000.0);
    m_unsavedSteps.push_back(step);
    if (m_runTimer.elapsed() < kLiveProgressAfterMs)
        return;
    std::vector<Event> events;
    Status stored = m_database.writer().write(Durability::Relaxed, [&]() -> Status {
        events.clear();
        return saveSteps(m_unsavedSteps, &events);
    });
    if (!stored) {
        // Kept: they go with the outcome.
        qWarning("run %s: cannot record step %s yet: %s", qPrintable(step.runId),
                 qPrintable(step.stepId), qPrintable(stored.error().describe()));
        return;
    }
    m_unsavedSteps.clear();
    for (const Event &event : events)
        m_bus.announce(event);
}

Status Worker::saveSteps(const std::vector<StepRecord> &steps, std::vector<Event> *events)
{
    for (const StepRecord &step : steps) {
        if (Status inserted = RunStore(m_database).insertStep(step); !inserted)
            return inserted;
        Result<Event> event = EventLog(m_database)
                                  .append(m_bus.make(QStringLiteral("run.step_finished"),
                                                     Json{{"run_id", step.runId},
                                                          {"step_id", step.stepId},
                                                          {"index", step.index},
                                                          {"status", toString(step.status)}},
                                                     m_id));
        if (!event)
            return event.error();
        events->push_back(*event);
    }
    return {};
}

std::shared_ptr<Worker::Finished> Worker::process(const ClaimedRun &claimed)
{
    const Claim &claim = claimed.claim;
    const Cancellation &cancellation = *claimed.cancellation;
    m_unsavedSteps.clear();
    m_runTimer.start();
    // Busy from here to every return (utilization), however the run ends.
    m_metrics.workerBusy();
    const auto idle
        = qScopeGuard([this] { m_metrics.workerIdle(double(m_runTimer.nsecsElapsed()) / 1e9); });
    RunStore runs(m_database);
    TaskStore tasks(m_database);
    Result<Run> run = runs.get(claim.runId, false);
    // The run's lines (and its tools' qWarning()s) name it, its task and the request behind it.
    const LogContext logContext({run ? run->requestId : QString(), claim.runId, claim.taskId});

    auto finished = std::make_shared<Finished>();
    finished->claimed = claimed;
    RunOutcome &outcome = finished->outcome;
    if (!run) {
        outcome.status = RunStatus::Failed;
        outcome.error = run.error().describe();
    } else {
        finished->run = *run;
        // Run the pipeline exactly as it was in the version the run was queued for.
        Result<const ParsedVersion *> version = parsedVersion(claim.taskId, run->taskVersion);
        if (!version || !(*version)->document) {
            outcome.status = RunStatus::Canceled;
            outcome.error = QStringLiteral("the task or its version %1 no longer exists")
                                .arg(run->taskVersion);
        } else if (!(*version)->pipeline) {
            outcome.status = RunStatus::Failed;
            outcome.error = (*version)->pipeline.error().describe();
        } else {
            const Json &document = *(*version)->document;
            const Pipeline &pipeline = *(*version)->pipeline;
            RunContext context;
            context.runId = run->id;
            context.taskId = run->taskId;
            context.taskTitle = qs(document.value("title", std::string()));
            context.taskTimezone = qs(document.value("timezone", std::string("UTC")));
            context.scheduledFor = run->scheduledFor;
            context.attempt = run->attempt;
            context.trigger = run->trigger;
            // An event-triggered occurrence (every attempt of it) reads ${event.…}.
            if (run->context.is_object())
                context.event = run->context.value("event", Json());
            SideEffectRecords ledger(m_database, m_clock);
            context.ledger = &ledger;
            context.effectScope = QStringLiteral("%1@%2").arg(
                run->taskId, QString::number(run->scheduledFor.toMSecsSinceEpoch()));
            context.cancellation = &cancellation;
            // The run's deadline counts from this start; a paused run's wait is not counted.
            if (const Json timeout = document.value("timeout_seconds", Json());
                timeout.is_number() && timeout.get<double>() > 0)
                context.deadline
                    = m_clock.now().addMSecs(static_cast<qint64>(timeout.get<double>() * 1000));
            Status resumable = run->resume.is_object() ? prepareResume(*run, context) : Status();
            if (!resumable) {
                outcome.status = RunStatus::Failed;
                outcome.error = QStringLiteral("cannot resume: ") + resumable.error().describe();
            } else {
                Executor executor(m_tools, m_clock);
                outcome = executor.execute(pipeline, context,
                                           [&](const StepRecord &step) { recordStep(step); });
            }
        }
    }
    finished->steps = std::exchange(m_unsavedSteps, {});

    // Stopped because this engine shuts down (its lease is released: the next claim takes the
    // run over) or another worker owns it now: nothing to record here.
    if (outcome.status == RunStatus::Canceled
        && (cancellation.reason() == Cancellation::Reason::Shutdown
            || cancellation.reason() == Cancellation::Reason::LeaseLost)) {
        qInfo("run %s: stopped (%s); not recorded here", qPrintable(claim.runId),
              qPrintable(cancellation.message()));
        m_leases.release(claim.queueId);
        return nullptr;
    }
    // A failed or timed-out attempt of a task that allows more is queued again after its
    // backoff; a canceled one is not.
    if ((outcome.status == RunStatus::Failed || outcome.status == RunStatus::TimedOut) && run) {
        if (Result<Task> task = tasks.get(claim.taskId);
            task && task->retry.allowsAnotherAfter(run->attempt)) {
            const qint64 delayMs = task->retry.delayMsAfter(
                run->attempt, QRandomGenerator::global()->generateDouble());
            finished->retry = EnqueueRequest{claim.taskId,
                                             run->taskVersion,
                                             run->scheduledFor,
                                             m_clock.now().addMSecs(delayMs),
                                             task->priority,
                                             run->attempt + 1,
                                             RunTrigger::Retry,
                                             0,
                                             1,
                                             run->requestId,
                                             {}};
        }
    }
    if (outcome.suspension) {
        recordNow(*finished);
        return nullptr;
    }
    m_metrics.runFinished(outcome.status,
                          run ? std::optional<RunTrigger>(run->trigger) : std::nullopt,
                          double(m_runTimer.nsecsElapsed()) / 1e9);
    if (Log::enabled(LogLevel::Debug))
        Log::write(LogLevel::Debug, "worker",
                   QStringLiteral("run %1: %2").arg(claim.runId, toString(outcome.status)),
                   Json{{"status", toString(outcome.status)},
                        {"duration_ms", double(m_runTimer.nsecsElapsed()) / 1e6}});
    // The count of processed runs goes with an outcome about once a second.
    ++m_processedUnsaved;
    if (!m_processedSaved.isValid() || m_processedSaved.elapsed() >= kProcessedSaveMs) {
        finished->processed = std::exchange(m_processedUnsaved, 0);
        m_processedSaved.start();
    }
    return finished;
}

void Worker::post(std::shared_ptr<Finished> finished, const ClaimedRun *starting)
{
    auto posted = std::make_shared<Posted>();
    std::optional<Claim> start;
    if (starting) {
        start = starting->claim;
        posted->startEvents = starting->events; // recorded with the claim (a takeover's)
    }
    ++m_posted;
    // Durable when it records an outcome: that is acknowledged (announced, its lease released)
    // once it survives power loss. Other workers' outcomes share the commit, and so do the
    // pool's next claims.
    m_database.writer().post(
        finished ? Durability::Durable : Durability::Relaxed,
        [this, finished, start, posted]() -> Status {
            if (Status recorded = recordInPiece(finished, start, *posted); !recorded)
                return recorded;
            // Runs for the free places of the buffer, claimed in this commit; if that fails
            // the outcome stands and idle workers claim for themselves.
            if (!m_stopping.load()) {
                posted->reserved = m_buffer.reserve(m_buffer.capacity());
                if (posted->reserved > 0)
                    (void)claimRuns(posted->reserved, &posted->claimed, false);
            }
            return {};
        },
        [this, finished, posted](const Status &written) {
            completeRecorded(written, finished, *posted);
            --m_posted;
        });
}

Status Worker::recordInPiece(const std::shared_ptr<Finished> &finished,
                             const std::optional<Claim> &start, Posted &posted)
{
    if (finished) {
        const Claim &claim = finished->claimed.claim;
        if (Status saved = saveSteps(finished->steps, &posted.stepEvents); !saved)
            return saved;
        Result<Event> event
            = recordOutcome(claim, finished->outcome, finished->retry, &posted.more);
        if (!event)
            return event.error();
        posted.finished = *event;
        if (finished->processed > 0)
            if (Status saved = saveProcessed(finished->processed); !saved)
                return saved;
    }
    // The next run's start, on its own: if it cannot be marked, the run still goes on and its
    // outcome records it.
    if (start) {
        sql::Transaction marking(m_database.connection());
        std::vector<Event> events;
        if (startInPiece(*start, &events) && marking.commit())
            posted.startEvents.insert(posted.startEvents.end(), events.begin(), events.end());
    }
    return {};
}

void Worker::completeRecorded(const Status &written, const std::shared_ptr<Finished> &finished,
                              Posted &posted)
{
    if (written) {
        for (const Event &event : posted.stepEvents)
            m_bus.announce(event);
        if (posted.finished)
            m_bus.announce(*posted.finished);
        for (const Event &event : posted.more)
            m_bus.announce(event);
        for (const Event &event : posted.startEvents)
            m_bus.announce(event);
        if (finished)
            m_leases.release(finished->claimed.claim.queueId);
        const bool more = !posted.claimed.empty();
        holdLeases(posted.claimed);
        m_buffer.deliver(std::move(posted.claimed), posted.reserved);
        if (more)
            m_wakePool();
        return;
    }
    m_buffer.forget(posted.reserved);
    if (finished) {
        QMutexLocker lock(&m_returnedMutex);
        m_returned.push_back(finished);
    }
    wake();
}

void Worker::recordReturned()
{
    std::vector<std::shared_ptr<Finished>> returned;
    {
        QMutexLocker lock(&m_returnedMutex);
        returned.swap(m_returned);
    }
    for (const auto &finished : returned)
        recordNow(*finished);
}

void Worker::settle()
{
    // The writer answers posted pieces in order, before waking the caller of a later piece.
    while (m_posted.load() > 0) {
        if (!m_database.writer().write(Durability::Relaxed, [] { return Status(); }))
            QThread::msleep(1);
        recordReturned();
    }
    recordReturned();
}

void Worker::recordNow(Finished &finished)
{
    const Claim &claim = finished.claimed.claim;
    RunOutcome &outcome = finished.outcome;
    // The outcome must not be lost to a busy database: retry with backoff (about a minute in
    // all). Only a lost lease (Conflict) is final — another worker owns the run now.
    for (int attempt = 0;; ++attempt) {
        std::vector<Event> events;
        std::vector<Event> stepEvents;
        Result<Event> event = Error::internal(QString());
        // Durable: once this returns the outcome survives power loss.
        if (Status written = m_database.writer().write(
                Durability::Durable,
                [&]() -> Status {
                    events.clear();
                    stepEvents.clear();
                    if (Status saved = saveSteps(finished.steps, &stepEvents); !saved)
                        return saved;
                    event = outcome.suspension && finished.run
                                ? recordPause(claim, *finished.run, outcome)
                                : recordOutcome(claim, outcome, finished.retry, &events);
                    if (!event)
                        return event.error();
                    if (finished.processed > 0 && !outcome.suspension)
                        return saveProcessed(finished.processed);
                    return {};
                });
            !written)
            event = written.error();
        if (event) {
            for (const Event &stepEvent : stepEvents)
                m_bus.announce(stepEvent);
        }
        // Canceled while the pausing step went on: the run ends canceled instead of pausing.
        if (!event && event.error().code == ErrorCode::Canceled && outcome.suspension) {
            outcome.suspension.reset();
            outcome.status = RunStatus::Canceled;
            outcome.error = event.error().message;
            finished.retry.reset();
            continue;
        }
        if (event) {
            m_bus.announce(*event);
            for (const Event &more : events)
                m_bus.announce(more);
            break;
        }
        if (event.error().code == ErrorCode::Conflict || attempt == kRecordAttempts - 1) {
            qWarning("run %s: result not recorded: %s", qPrintable(claim.runId),
                     qPrintable(event.error().describe()));
            break;
        }
        QThread::msleep(static_cast<unsigned long>(100) << std::min(attempt, 8));
    }
    m_leases.release(claim.queueId);
}

Result<const Worker::ParsedVersion *> Worker::parsedVersion(const QString &taskId, int version)
{
    Result<QByteArray> text = TaskStore(m_database).versionText(taskId, version);
    if (!text)
        return text.error();
    const auto known = std::find_if(m_parsed.begin(), m_parsed.end(), [&](const ParsedVersion &p) {
        return p.version == version && p.taskId == taskId;
    });
    if (known != m_parsed.end() && known->text == *text) {
        std::rotate(m_parsed.begin(), known, known + 1);
        return &m_parsed.front();
    }
    if (known != m_parsed.end())
        m_parsed.erase(known);
    ParsedVersion parsed;
    parsed.taskId = taskId;
    parsed.version = version;
    parsed.text = *text;
    if (std::optional<Json> document = parseJson(*text))
        parsed.document = std::move(*document);
    else
        parsed.document = Error::internal(
            QStringLiteral("task %1 version %2 is unreadable").arg(taskId).arg(version));
    parsed.pipeline = parsed.document ? Pipeline::fromJson((*parsed.document)["payload"],
                                                           QStringLiteral("payload"))
                                      : Result<Pipeline>(parsed.document.error());
    m_parsed.push_front(std::move(parsed));
    if (m_parsed.size() > kParsedVersions)
        m_parsed.pop_back();
    return &m_parsed.front();
}

void Worker::saveProcessedNow()
{
    // A run going on (a tool's nested event loop let the timer in) saves it with its outcome.
    if (m_busy || m_processedUnsaved == 0)
        return;
    const qint64 count = m_processedUnsaved;
    if (Status saved
        = m_database.writer().write(Durability::Relaxed, [&] { return saveProcessed(count); });
        saved) {
        m_processedUnsaved = 0;
        m_processedSaved.start();
    }
}

Status Worker::saveProcessed(qint64 count)
{
    return WorkerStore(m_database).recordProcessed(m_id, count, m_clock.now());
}

Status Worker::prepareResume(const Run &run, RunContext &context)
{
    context.resumeIndex = run.resume.value("step_index", 0);
    Result<std::vector<StepRecord>> steps = RunStore(m_database).steps(run.id);
    if (!steps)
        return steps.error();
    context.previousSteps = std::move(*steps);
    // A retry from a step: the steps before it are reused, that step runs afresh.
    if (run.resume.value("kind", std::string()) == "from_step")
        return {};
    context.resumed = Json{{"until", run.resume.value("until", Json())},
                           {"request", run.resume.value("request", Json())},
                           {"decision", nullptr}};
    if (run.resume.value("kind", std::string()) != "approval")
        return {};
    const QString approvalId = qs(run.resume.value("approval_id", std::string()));
    ApprovalStore approvals(m_database);
    Result<Approval> approval = approvals.get(approvalId);
    if (!approval)
        return approval.error();
    // Nobody answered in time: the wait ends as a rejection, recorded like a decision.
    if (approval->status == QLatin1String("pending") && m_clock.now() >= approval->expiresAt) {
        sql::Transaction tx(m_database.connection(), sql::TransactionMode::Immediate);
        if (!tx.isOpen())
            return tx.error();
        const QDateTime now = m_clock.now();
        if (Status decided = approvals.decide(approvalId, QStringLiteral("timed_out"),
                                              QStringLiteral("engine"), QString(), now);
            !decided)
            return decided;
        if (Status audited = AuditLog(m_database)
                                 .append(AuditEntry{0, QStringLiteral("engine"),
                                                    QStringLiteral("approval.timed_out"),
                                                    approvalId, Json{{"run_id", run.id}}, now});
            !audited)
            return audited;
        if (Status committed = tx.commit(); !committed)
            return committed;
        approval = approvals.get(approvalId);
        if (!approval)
            return approval.error();
    }
    if (approval->status != QLatin1String("pending"))
        context.resumed["decision"] = Json{{"status", approval->status},
                                           {"by", approval->decidedBy},
                                           {"comment", approval->comment},
                                           {"decided_at", instantJson(approval->decidedAt)}};
    return {};
}

Result<Event> Worker::recordPause(const Claim &claim, const Run &run, const RunOutcome &outcome)
{
    const ToolSuspension &pause = *outcome.suspension;
    const QDateTime now = m_clock.now();
    sql::Transaction tx(m_database.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    Json resume{{"step_index", outcome.suspendedIndex},
                {"until", formatInstant(pause.until)},
                {"request", pause.request},
                {"kind", pause.kind == ToolSuspension::Kind::Approval ? "approval" : "wait"}};
    Json payload{{"run_id", claim.runId},
                 {"task_id", claim.taskId},
                 {"status", toString(outcome.status)},
                 {"until", formatInstant(pause.until)}};
    if (pause.kind == ToolSuspension::Kind::Approval) {
        Approval asked;
        asked.id = newId();
        asked.runId = run.id;
        asked.taskId = run.taskId;
        asked.stepIndex = outcome.suspendedIndex;
        asked.stepId = qs(pause.request.value("step_id", std::string()));
        asked.title = qs(pause.request.value("title", std::string("Approve?")));
        asked.details = pause.request.value("details", Json());
        asked.expiresAt = pause.until;
        asked.createdAt = now;
        Result<Approval> stored = ApprovalStore(m_database).ask(asked);
        if (!stored)
            return stored.error();
        resume["approval_id"] = stored->id;
        payload["approval_id"] = stored->id;
        payload["title"] = stored->title;
    }
    if (Status deferred = RunQueue(m_database).defer(claim, pause.until); !deferred)
        return deferred.error();
    if (Status paused = RunStore(m_database).suspend(claim.runId, outcome.status, resume); !paused)
        return paused.error();
    Result<Event> event = EventLog(m_database)
                              .append(m_bus.make(pause.kind == ToolSuspension::Kind::Approval
                                                     ? QStringLiteral("approval.requested")
                                                     : QStringLiteral("run.waiting"),
                                                 payload, m_id));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    return event;
}

Result<Event> Worker::recordOutcome(const Claim &claim, const RunOutcome &outcome,
                                    const std::optional<EnqueueRequest> &retry,
                                    std::vector<Event> *more)
{
    const QDateTime finishedAt = m_clock.now();
    sql::Transaction tx(m_database.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    if (Status done = RunQueue(m_database).complete(claim); !done)
        return done.error();
    if (Status done
        = RunStore(m_database)
              .finish(claim.runId, outcome.status, outcome.error, outcome.output, finishedAt);
        !done)
        return done.error();
    Result<Event> event
        = EventLog(m_database)
              .append(m_bus.make(
                  QStringLiteral("run.finished"),
                  Json{{"run_id", claim.runId},
                       {"task_id", claim.taskId},
                       {"status", toString(outcome.status)},
                       {"error", outcome.error.isEmpty() ? Json(nullptr) : Json(outcome.error)},
                       {"will_retry", retry.has_value()}},
                  m_id));
    if (!event)
        return event.error();
    if (retry) {
        // Idempotent through UNIQUE(task_id, scheduled_for, attempt): a repeated record of this
        // outcome cannot queue the retry twice.
        Result<std::optional<Run>> queued = RunQueue(m_database).enqueue(*retry, finishedAt);
        if (!queued)
            return queued.error();
        if (queued->has_value()) {
            Result<Event> announced
                = EventLog(m_database)
                      .append(m_bus.make(QStringLiteral("run.queued"),
                                         Json{{"run_id", (*queued)->id},
                                              {"task_id", claim.taskId},
                                              {"scheduled_for", instantJson(retry->scheduledFor)},
                                              {"trigger", toString(RunTrigger::Retry)},
                                              {"attempt", retry->attempt},
                                              {"run_at", instantJson(retry->runAt)},
                                              {"retry_of", claim.runId}},
                                         m_id));
            if (!announced)
                return announced.error();
            more->push_back(*announced);
        }
    }
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    return event;
}

} // namespace ordinaut
