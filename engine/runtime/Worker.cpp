// Worker: claim → execute → record.
#include "Worker.h"

#include "EventBus.h"
#include "SideEffectRecords.h"

#include "core/Clock.h"
#include "pipeline/Executor.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/Sql.h"
#include "store/TaskStore.h"
#include "store/WorkerStore.h"

#include <QCoreApplication>
#include <QHostInfo>
#include <QThread>

namespace ordinaut {

Worker::Worker(QString id, const Database &database, const Clock &clock, const ToolRegistry &tools,
               EventBus &bus, const std::atomic_bool &stopping)
    : m_id(std::move(id))
    , m_database(database)
    , m_clock(clock)
    , m_tools(tools)
    , m_bus(bus)
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

void Worker::drain()
{
    // A tool waiting on its own event loop lets queued wake-ups in; remember them instead of
    // starting a second run on this thread.
    if (m_busy) {
        m_wakePending = true;
        return;
    }
    m_busy = true;
    RunQueue queue(m_database);
    do {
        m_wakePending = false;
        while (!m_stopping.load()) {
            Result<std::optional<Claim>> claim = queue.claim(m_id, m_clock.now(), kLeaseMs);
            if (!claim) {
                qWarning("worker %s: cannot claim work: %s", qPrintable(m_id),
                         qPrintable(claim.error().describe()));
                break;
            }
            if (!claim->has_value())
                break;
            process(**claim);
        }
    } while (m_wakePending && !m_stopping.load());
    m_busy = false;
    if (m_stopping.load())
        QThread::currentThread()->quit();
}

void Worker::finish()
{
    // Quitting the thread now would also end a tool's nested event loop and fail the run in
    // progress; a busy worker quits when drain() returns.
    if (!m_busy)
        QThread::currentThread()->quit();
}

void Worker::publish(const QString &topic, Json payload)
{
    // Progress events are informative: a failure to store one must not fail the run.
    if (Result<Event> event = m_bus.publish(topic, std::move(payload), m_id); !event)
        qWarning("worker %s: cannot store event %s: %s", qPrintable(m_id), qPrintable(topic),
                 qPrintable(event.error().describe()));
}

void Worker::recordStep(const StepRecord &step)
{
    // The step and its event commit together: one durable write per step.
    sql::Transaction tx(m_database.connection(), sql::TransactionMode::Immediate);
    Status stored = tx.isOpen() ? RunStore(m_database).insertStep(step) : Status(tx.error());
    Result<Event> event = Error::internal(QString());
    if (stored) {
        event = EventLog(m_database)
                    .append(m_bus.make(QStringLiteral("run.step_finished"),
                                       Json{{"run_id", step.runId},
                                            {"step_id", step.stepId},
                                            {"index", step.index},
                                            {"status", toString(step.status)}},
                                       m_id));
        stored = event ? tx.commit() : Status(event.error());
    }
    if (!stored) {
        qWarning("run %s: cannot record step %s: %s", qPrintable(step.runId),
                 qPrintable(step.stepId), qPrintable(stored.error().describe()));
        return;
    }
    m_bus.announce(*event);
}

void Worker::process(const Claim &claim)
{
    RunStore runs(m_database);
    TaskStore tasks(m_database);
    Result<Run> run = runs.get(claim.runId, false);

    RunOutcome outcome;
    if (!run) {
        outcome = RunOutcome{RunStatus::Failed, run.error().describe(), nullptr};
    } else {
        publish(QStringLiteral("run.started"),
                Json{{"run_id", claim.runId}, {"task_id", claim.taskId}, {"worker", m_id}});
        // Run the pipeline exactly as it was in the version the run was queued for.
        Result<Json> document = tasks.versionDocument(claim.taskId, run->taskVersion);
        Result<Pipeline> pipeline
            = document ? Pipeline::fromJson((*document)["payload"], QStringLiteral("payload"))
                       : Result<Pipeline>(document.error());
        if (!pipeline) {
            outcome = RunOutcome{document ? RunStatus::Failed : RunStatus::Canceled,
                                 document
                                     ? pipeline.error().describe()
                                     : QStringLiteral("the task or its version %1 no longer exists")
                                           .arg(run->taskVersion),
                                 nullptr};
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
            Executor executor(m_tools, m_clock);
            outcome = executor.execute(*pipeline, context,
                                       [&](const StepRecord &step) { recordStep(step); });
        }
    }

    // The outcome must not be lost to a busy database: retry with backoff (about a minute in
    // all). Only a lost lease (Conflict) is final — another worker owns the run now.
    for (int attempt = 0;; ++attempt) {
        Result<Event> event = recordOutcome(claim, outcome);
        if (event) {
            m_bus.announce(*event);
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

Result<Event> Worker::recordOutcome(const Claim &claim, const RunOutcome &outcome)
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
                       {"error", outcome.error.isEmpty() ? Json(nullptr) : Json(outcome.error)}},
                  m_id));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    return event;
}

} // namespace ordinaut
