// Engine: owns and starts/stops the parts that work without a screen — database, event bus,
// scheduler (on the engine thread), worker pool and tool registry. The app composes it with
// the service layer and the API.
#pragma once

#include "core/Result.h"

#include <QObject>

#include <memory>
#include <vector>

class QThread;

namespace ordinaut {

class Budgets;
class Clock;
struct Event;
class Database;
class EventBus;
class ExternalChanges;
class Metrics;
class Scheduler;
class Tool;
class ToolEnvironment;
class ToolRegistry;
class WorkerPool;

struct EngineOptions
{
    QString dataDir;
    int workers = 0;              // 0: WorkerPool::defaultSize()
    const Clock *clock = nullptr; // nullptr: the system clock
    // How long a claimed run's lease lasts without renewal: how soon another worker takes over
    // a run whose process died. Renewed every third of it.
    qint64 leaseMs = 30000;
    // At stop, how long runs in progress may take to finish before they are stopped and their
    // leases released for another engine.
    qint64 shutdownGraceMs = 10000;
    // Tools registered next to the built-in ones (an embedder's own, a benchmark's probe). One
    // named like a built-in replaces it; one with an unusable schema is left out with a warning.
    std::vector<std::shared_ptr<Tool>> extraTools = {};
};

class Engine final : public QObject
{
    Q_OBJECT
public:
    ~Engine() override;
    Q_DISABLE_COPY_MOVE(Engine)

    // Opens the database in the data folder (see Database::open for its errors) and reads the
    // settings stored in it (EngineSettings).
    static Result<std::unique_ptr<Engine>> create(const EngineOptions &options);

    // Starts the scheduler and the workers. Once stopped, an Engine cannot be started again.
    void start();
    void stop();
    bool isRunning() const { return m_running; }

    const Database &database() const { return *m_database; }
    std::shared_ptr<Database> sharedDatabase() const { return m_database; }
    EventBus &eventBus() const { return *m_bus; }
    const ToolRegistry &tools() const { return *m_tools; }
    // Where the app plugs in the secret store, the notifier and the orchestrator.
    ToolEnvironment &toolEnvironment() const { return *m_toolEnvironment; }
    const Clock &clock() const { return *m_clock; }
    // The engine's instruments (runs, steps, schedule lateness, workers) that the API adds its
    // own to and /metrics exposes.
    Metrics &metrics() const { return *m_metrics; }
    // Each agent's daily runs and language-model tokens (setting api.agent_budgets): the
    // scheduler, llm.chat and the services that queue runs ask it.
    const Budgets &budgets() const { return *m_budgets; }
    QString dataDir() const { return m_dataDir; }
    QString id() const { return m_id; }
    int workerCount() const;

private:
    Engine(const EngineOptions &options, std::shared_ptr<Database> database);
    // On the thread that owns the engine, for a run.finished event.
    void notifyFailure(const Event &event);

    QString m_id;
    QString m_dataDir;
    const Clock *m_clock;
    std::unique_ptr<Metrics> m_metrics;
    std::shared_ptr<Database> m_database;
    std::shared_ptr<ToolEnvironment> m_toolEnvironment;
    std::shared_ptr<ToolRegistry> m_tools;
    std::unique_ptr<EventBus> m_bus;
    std::unique_ptr<Budgets> m_budgets;
    std::unique_ptr<QThread> m_engineThread;
    Scheduler *m_scheduler = nullptr;             // lives on m_engineThread
    ExternalChanges *m_externalChanges = nullptr; // lives on m_engineThread
    std::unique_ptr<WorkerPool> m_pool;
    qint64 m_shutdownGraceMs;
    bool m_running = false;
};

} // namespace ordinaut
