// Engine: composition and lifecycle of the engine's parts.
#include "Engine.h"

#include "Budgets.h"

#include "EngineSettings.h"
#include "EventBus.h"
#include "ExternalChanges.h"
#include "WorkerPool.h"

#include "core/Clock.h"
#include "core/Id.h"
#include "core/Metrics.h"
#include "schedule/Scheduler.h"
#include "store/DataDir.h"
#include "store/Database.h"
#include "store/TaskStore.h"
#include "tools/Notifier.h"
#include "tools/ToolEnvironment.h"
#include "tools/ToolRegistry.h"

#include <QThread>

namespace ordinaut {

Engine::Engine(const EngineOptions &options, std::shared_ptr<Database> database)
    : m_id(QStringLiteral("engine-") + newId().left(13))
    , m_dataDir(options.dataDir)
    , m_clock(options.clock ? options.clock : &SystemClock::instance())
    , m_metrics(std::make_unique<Metrics>())
    , m_database(std::move(database))
    , m_toolEnvironment(std::make_shared<ToolEnvironment>())
    , m_tools(ToolRegistry::withBuiltins(m_toolEnvironment))
    , m_bus(std::make_unique<EventBus>(*m_database, *m_clock))
    , m_budgets(std::make_unique<Budgets>(*m_database, *m_clock, *m_toolEnvironment))
    , m_engineThread(std::make_unique<QThread>())
    , m_shutdownGraceMs(options.shutdownGraceMs)
{
    m_engineThread->setObjectName(QStringLiteral("ordinaut-engine"));
    Result<EngineSettings> settings = EngineSettings::load(*m_database);
    if (!settings)
        qWarning("engine: %s; using the default settings", qPrintable(settings.error().describe()));
    m_toolEnvironment->setSettings(settings ? settings->toJson() : EngineSettings{}.toJson());
    for (const std::shared_ptr<Tool> &tool : options.extraTools) {
        if (Status added = m_tools->add(tool); !added)
            qWarning("engine: tool %s left out: %s", qPrintable(tool->name()),
                     qPrintable(added.error().describe()));
    }
    m_scheduler = new Scheduler(*m_database, *m_clock,
                                settings ? settings->runAllCap : EngineSettings{}.runAllCap);
    m_scheduler->moveToThread(m_engineThread.get());
    // Daily budgets: an agent's occurrences past its runs are recorded skipped; its steps stop
    // calling language models past its tokens.
    m_scheduler->setAdmission([budgets = m_budgets.get()](const Task &task) {
        const Status admitted = budgets->admitRun(task.createdBy);
        return admitted ? QString() : admitted.error().message;
    });
    m_toolEnvironment->setLlmAdmission([budgets = m_budgets.get()](const QString &taskId) {
        return budgets->admitLlmForTask(taskId);
    });
    connect(m_engineThread.get(), &QThread::finished, m_scheduler, &QObject::deleteLater);

    // Commits by other processes (another engine on this database) wake the workers and the
    // scheduler too.
    m_externalChanges = new ExternalChanges(*m_database);
    m_externalChanges->moveToThread(m_engineThread.get());
    connect(m_engineThread.get(), &QThread::finished, m_externalChanges, &QObject::deleteLater);

    m_pool = std::make_unique<WorkerPool>(
        options.workers > 0 ? options.workers : WorkerPool::defaultSize(), m_id, *m_database,
        *m_clock, *m_tools, *m_bus, *m_metrics, options.leaseMs);
    m_metrics->setWorkers(m_pool->size());

    // Task changes re-arm the scheduler at once; queued runs wake the workers. Events are
    // sorted on the publishing thread (direct connections): only those that matter cross to
    // the engine thread, however many runs go by.
    connect(
        m_bus.get(), &EventBus::eventPublished, m_scheduler,
        [this](const Event &event) {
            // A paused run waits in the queue: the scheduler arms for its time at once.
            if (event.topic.startsWith(QLatin1String("task."))
                || event.topic.startsWith(QLatin1String("calendar."))
                || event.topic == QLatin1String("run.waiting")
                || event.topic == QLatin1String("approval.requested")
                || (event.topic == QLatin1String("run.queued")
                    && event.payload.contains("retry_of")))
                QMetaObject::invokeMethod(m_scheduler, &Scheduler::rescan, Qt::QueuedConnection);
            if (event.topic == QLatin1String("settings.changed")) {
                if (Result<EngineSettings> changed = EngineSettings::load(*m_database)) {
                    QMetaObject::invokeMethod(
                        m_scheduler,
                        [scheduler = m_scheduler, cap = changed->runAllCap] {
                            scheduler->setRunAllCap(cap);
                        },
                        Qt::QueuedConnection);
                    m_toolEnvironment->setSettings(changed->toJson());
                } else
                    qWarning("engine: %s", qPrintable(changed.error().describe()));
            }
        },
        Qt::DirectConnection);
    connect(m_scheduler, &Scheduler::runQueued, m_bus.get(), &EventBus::announce);
    // Schedule lateness: when the occurrence was queued against when it was due.
    connect(
        m_scheduler, &Scheduler::runQueued, this,
        [this](const Event &event) {
            if (const std::optional<QDateTime> due
                = parseInstant(qs(event.payload.value("scheduled_for", std::string()))))
                m_metrics->occurrenceFired(double(due->msecsTo(event.createdAt)) / 1000.0);
        },
        Qt::DirectConnection);
    // Occurrences skipped or runs canceled by an overlap policy.
    connect(m_scheduler, &Scheduler::eventStored, m_bus.get(), &EventBus::announce);
    connect(m_scheduler, &Scheduler::errorOccurred, m_bus.get(),
            [](const QString &message) { qWarning("scheduler: %s", qPrintable(message)); });
    connect(m_externalChanges, &ExternalChanges::changed, m_scheduler, &Scheduler::rescan);
    connect(
        m_externalChanges, &ExternalChanges::changed, m_pool.get(), [this] { m_pool->wake(); },
        Qt::DirectConnection);
    // Workers have no timers of their own: the scheduler says when queued work may start.
    connect(m_scheduler, &Scheduler::workDue, m_pool.get(), [this] { m_pool->wake(); });
    connect(
        m_bus.get(), &EventBus::eventPublished, m_pool.get(),
        [this](const Event &event) {
            // A decided approval makes its paused run ready at once.
            if (event.topic == QLatin1String("run.queued")
                || event.topic == QLatin1String("approval.decided"))
                m_pool->wake();
            // A run canceled while a worker here is on it stops at once (another engine's worker
            // notices at its next lease renewal).
            if (event.topic == QLatin1String("run.cancel_requested"))
                m_pool->cancel(qs(event.payload.value("run_id", std::string())),
                               qs(event.payload.value("message", std::string("canceled"))));
            // The person at the machine hears about a run that failed for good.
            if (event.topic == QLatin1String("run.finished")
                && !event.payload.value("will_retry", true)
                && (event.payload.value("status", std::string()) == "failed"
                    || event.payload.value("status", std::string()) == "timed_out"))
                notifyFailure(event);
        },
        Qt::DirectConnection);
}

Engine::~Engine()
{
    stop();
    if (!m_engineThread->isFinished()) {
        delete m_scheduler; // never started: no thread will delete them
        delete m_externalChanges;
    }
}

Result<std::unique_ptr<Engine>> Engine::create(const EngineOptions &options)
{
    Result<std::shared_ptr<Database>> database = Database::open(databaseFile(options.dataDir));
    if (!database)
        return database.error();
    return std::unique_ptr<Engine>(new Engine(options, std::move(*database)));
}

void Engine::start()
{
    // The scheduler and workers are deleted with their threads at stop(): no restart.
    if (m_running || m_engineThread->isFinished()) {
        if (!m_running)
            qWarning("Engine::start: an engine cannot be started again after stop()");
        return;
    }
    m_running = true;
    m_engineThread->start();
    QMetaObject::invokeMethod(m_scheduler, &Scheduler::start, Qt::QueuedConnection);
    QMetaObject::invokeMethod(m_externalChanges, &ExternalChanges::start, Qt::QueuedConnection);
    m_pool->start();
}

void Engine::stop()
{
    if (!m_running)
        return;
    m_running = false;
    QMetaObject::invokeMethod(m_scheduler, &Scheduler::stop, Qt::BlockingQueuedConnection);
    m_engineThread->quit();
    m_engineThread->wait();
    m_pool->stop(m_shutdownGraceMs);
}

void Engine::notifyFailure(const Event &event)
{
    const QString taskId = qs(event.payload.value("task_id", std::string()));
    Result<Task> task = TaskStore(*m_database).get(taskId);
    const QString title = task ? task->title : taskId;
    const bool timedOut = event.payload.value("status", std::string()) == "timed_out";
    m_toolEnvironment->notifier()->notify(timedOut ? QStringLiteral("“%1” timed out").arg(title)
                                                   : QStringLiteral("“%1” failed").arg(title),
                                          qs(event.payload.value("error", Json("")).is_string()
                                                 ? event.payload["error"].get<std::string>()
                                                 : std::string()),
                                          NotificationUrgency::Critical);
}

int Engine::workerCount() const
{
    return m_pool->size();
}

} // namespace ordinaut
