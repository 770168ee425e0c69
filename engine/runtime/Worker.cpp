// Worker: claim → execute → record.
#include "Worker.h"

#include "EventBus.h"
#include "LeaseKeeper.h"
#include "SideEffectRecords.h"

#include "core/Clock.h"
#include "core/Id.h"
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
#include <QThread>

namespace ordinaut {

Worker::Worker(QString id, const Database &database, const Clock &clock, const ToolRegistry &tools,
               EventBus &bus, LeaseKeeper &leases, const std::atomic_bool &stopping)
    : m_id(std::move(id))
    , m_database(database)
    , m_clock(clock)
    , m_tools(tools)
    , m_bus(bus)
    , m_leases(leases)
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
    do {
        m_wakePending = false;
        while (!m_stopping.load()) {
            // From here a wake-up queues another drain: nothing queued after this claim looked
            // is missed.
            m_wakeQueued = false;
            std::vector<Event> events;
            // The previous run's outcome usually claimed this one in the same commit.
            Result<std::optional<Claim>> claim = std::optional<Claim>();
            if (m_next) {
                claim = std::exchange(m_next, std::nullopt);
                events = std::exchange(m_nextEvents, {});
            } else {
                claim = claimNext(&events);
            }
            if (!claim) {
                qWarning("worker %s: cannot claim work: %s", qPrintable(m_id),
                         qPrintable(claim.error().describe()));
                break;
            }
            if (!claim->has_value())
                break;
            for (const Event &event : events)
                m_bus.announce(event);
            // Renewed while the run goes on, released once it is recorded. The cancellation is
            // set when someone cancels the run, the lease is lost or the engine shuts down.
            auto cancellation = std::make_shared<Cancellation>();
            m_leases.hold(**claim, cancellation);
            process(**claim, *cancellation);
            m_leases.release((*claim)->queueId);
        }
    } while (m_wakePending && !m_stopping.load());
    // Claimed with the last outcome but stopping: hand it back untouched.
    if (m_next) {
        const Claim unused = *std::exchange(m_next, std::nullopt);
        m_nextEvents.clear();
        if (Status back = m_database.writer().write(
                Durability::Relaxed, [&] { return RunQueue(m_database).unclaim(unused); });
            !back)
            qWarning("worker %s: cannot hand back run %s (taken over when its lease ends): %s",
                     qPrintable(m_id), qPrintable(unused.runId),
                     qPrintable(back.error().describe()));
    }
    m_busy = false;
    if (m_stopping.load())
        QThread::currentThread()->quit();
}

Result<std::optional<Claim>> Worker::claimNext(std::vector<Event> *events)
{
    // Claims share the writer's commits with other workers' claims and results (group
    // commit); a claim needs no fsync — one lost to a power cut is claimed again.
    Result<std::optional<Claim>> claim = std::optional<Claim>();
    Status written = m_database.writer().write(Durability::Relaxed, [&]() -> Status {
        claim = claimInPiece(events);
        return claim ? Status() : Status(claim.error());
    });
    if (!written)
        return written.error();
    return claim;
}

Result<std::optional<Claim>> Worker::claimInPiece(std::vector<Event> *events)
{
    events->clear();
    Result<std::optional<Claim>> claim
        = RunQueue(m_database).claim(m_id, m_clock.now(), m_leases.leaseMs());
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
    Result<Event> started = log.append(
        m_bus.make(QStringLiteral("run.started"),
                   Json{{"run_id", got.runId}, {"task_id", got.taskId}, {"worker", m_id}}, m_id));
    if (!started)
        return started.error();
    events->push_back(*started);
    return claim;
}

void Worker::finish()
{
    // Quitting the thread now would also end a tool's nested event loop and fail the run in
    // progress; a busy worker quits when drain() returns.
    if (!m_busy)
        QThread::currentThread()->quit();
}

void Worker::recordStep(const StepRecord &step)
{
    // A short run's steps are written with its outcome, in the same commit; once a run has
    // gone on for a while its steps are written as they finish, so progress shows live.
    m_unsavedSteps.push_back(step);
    if (m_runTimer.elapsed() < kLiveProgressAfterMs)
        return;
    std::vector<Event> events;
    Status stored = m_database.writer().write(Durability::Relaxed, [&]() -> Status {
        events.clear();
        return saveSteps(&events);
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

Status Worker::saveSteps(std::vector<Event> *events)
{
    for (const StepRecord &step : m_unsavedSteps) {
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

void Worker::process(const Claim &claim, const Cancellation &cancellation)
{
    m_unsavedSteps.clear();
    m_runTimer.start();
    RunStore runs(m_database);
    TaskStore tasks(m_database);
    Result<Run> run = runs.get(claim.runId, false);

    RunOutcome outcome;
    if (!run) {
        outcome.status = RunStatus::Failed;
        outcome.error = run.error().describe();
    } else {
        // Run the pipeline exactly as it was in the version the run was queued for.
        Result<Json> document = tasks.versionDocument(claim.taskId, run->taskVersion);
        Result<Pipeline> pipeline
            = document ? Pipeline::fromJson((*document)["payload"], QStringLiteral("payload"))
                       : Result<Pipeline>(document.error());
        if (!pipeline) {
            outcome.status = document ? RunStatus::Failed : RunStatus::Canceled;
            outcome.error = document ? pipeline.error().describe()
                                     : QStringLiteral("the task or its version %1 no longer exists")
                                           .arg(run->taskVersion);
        } else {
            RunContext context;
            context.runId = run->id;
            context.taskId = run->taskId;
            context.taskTitle = qs((*document).value("title", std::string()));
            context.taskTimezone = qs((*document).value("timezone", std::string("UTC")));
            context.scheduledFor = run->scheduledFor;
            context.attempt = run->attempt;
            context.trigger = run->trigger;
            SideEffectRecords ledger(m_database, m_clock);
            context.ledger = &ledger;
            context.effectScope = QStringLiteral("%1@%2").arg(
                run->taskId, QString::number(run->scheduledFor.toMSecsSinceEpoch()));
            context.cancellation = &cancellation;
            // The run's deadline counts from this start; a paused run's wait is not counted.
            if (const Json timeout = (*document).value("timeout_seconds", Json());
                timeout.is_number() && timeout.get<double>() > 0)
                context.deadline
                    = m_clock.now().addMSecs(static_cast<qint64>(timeout.get<double>() * 1000));
            Status resumable = run->resume.is_object() ? prepareResume(*run, context) : Status();
            if (!resumable) {
                outcome.status = RunStatus::Failed;
                outcome.error = QStringLiteral("cannot resume: ") + resumable.error().describe();
            } else {
                Executor executor(m_tools, m_clock);
                outcome = executor.execute(*pipeline, context,
                                           [&](const StepRecord &step) { recordStep(step); });
            }
        }
    }

    // Stopped because this engine shuts down (its lease is released: the next claim takes the
    // run over) or another worker owns it now: nothing to record here.
    if (outcome.status == RunStatus::Canceled
        && (cancellation.reason() == Cancellation::Reason::Shutdown
            || cancellation.reason() == Cancellation::Reason::LeaseLost)) {
        qInfo("run %s: stopped (%s); not recorded here", qPrintable(claim.runId),
              qPrintable(cancellation.message()));
        return;
    }
    // The outcome must not be lost to a busy database: retry with backoff (about a minute in
    // all). Only a lost lease (Conflict) is final — another worker owns the run now.
    // A failed or timed-out attempt of a task that allows more is queued again after its
    // backoff; a canceled one is not.
    std::optional<EnqueueRequest> retry;
    if ((outcome.status == RunStatus::Failed || outcome.status == RunStatus::TimedOut) && run) {
        if (Result<Task> task = tasks.get(claim.taskId);
            task && task->retry.allowsAnotherAfter(run->attempt)) {
            const qint64 delayMs = task->retry.delayMsAfter(
                run->attempt, QRandomGenerator::global()->generateDouble());
            retry = EnqueueRequest{claim.taskId,
                                   run->taskVersion,
                                   run->scheduledFor,
                                   m_clock.now().addMSecs(delayMs),
                                   task->priority,
                                   run->attempt + 1,
                                   RunTrigger::Retry,
                                   0,
                                   1};
        }
    }
    for (int attempt = 0;; ++attempt) {
        std::vector<Event> events;
        Result<Event> event = Error::internal(QString());
        // Durable: once this returns the outcome survives power loss. Other workers' outcomes
        // share the commit.
        std::vector<Event> stepEvents;
        std::optional<Claim> next;
        std::vector<Event> nextEvents;
        if (Status written = m_database.writer().write(
                Durability::Durable,
                [&]() -> Status {
                    events.clear();
                    stepEvents.clear();
                    next.reset();
                    if (Status saved = saveSteps(&stepEvents); !saved)
                        return saved;
                    event = outcome.suspension && run
                                ? recordPause(claim, *run, outcome)
                                : recordOutcome(claim, outcome, retry, &events);
                    if (!event)
                        return event.error();
                    // The next run is claimed in the same commit (one writer round trip per
                    // run); if that fails, the outcome stands and the loop claims again.
                    if (!m_stopping.load()) {
                        sql::Transaction claiming(m_database.connection());
                        Result<std::optional<Claim>> more = claimInPiece(&nextEvents);
                        if (more && more->has_value() && claiming.commit())
                            next = **more;
                    }
                    return {};
                });
            !written)
            event = written.error();
        if (event) {
            m_unsavedSteps.clear();
            m_next = std::move(next);
            m_nextEvents = std::move(nextEvents);
            for (const Event &stepEvent : stepEvents)
                m_bus.announce(stepEvent);
        }
        // Canceled while the pausing step went on: the run ends canceled instead of pausing.
        if (!event && event.error().code == ErrorCode::Canceled && outcome.suspension) {
            outcome.suspension.reset();
            outcome.status = RunStatus::Canceled;
            outcome.error = event.error().message;
            retry.reset();
            continue;
        }
        if (event) {
            m_bus.announce(*event);
            for (const Event &more : events)
                m_bus.announce(more);
            return;
        }
        if (event.error().code == ErrorCode::Conflict || attempt == kRecordAttempts - 1) {
            qWarning("run %s: result not recorded: %s", qPrintable(claim.runId),
                     qPrintable(event.error().describe()));
            return;
        }
        QThread::msleep(static_cast<unsigned long>(100) << std::min(attempt, 8));
    }
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
    if (Status done = WorkerStore(m_database).recordProcessed(m_id, finishedAt); !done)
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
