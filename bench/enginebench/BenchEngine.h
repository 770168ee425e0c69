// BenchEngine: what every scenario starts from — a whole engine with its services on a fresh
// data folder (the normal database), bench.mark registered and one manual task of one
// bench.mark step; on request, the REST API on 127.0.0.1 with a bearer token.
#pragma once

#include "core/Result.h"
#include "core/Run.h"

#include <QTemporaryDir>

#include <memory>

namespace ordinaut {
class Engine;
class HttpApi;
struct Services;
} // namespace ordinaut

namespace ordinaut::bench {

class MarkTool;

class BenchEngine final
{
public:
    // Creates and starts the engine with `workers` worker threads. Unavailable when the
    // temporary folder cannot be made; the engine's and the task service's own errors.
    static Result<std::unique_ptr<BenchEngine>> create(int workers);
    ~BenchEngine();
    Q_DISABLE_COPY_MOVE(BenchEngine)

    Engine &engine() { return *m_engine; }
    Services &services() { return *m_services; }
    const MarkTool &marks() const { return *m_marks; }
    QString dataDir() const { return m_dir.path(); }
    // The no-op task the scenarios run.
    QString taskId() const { return m_taskId; }

    // Serves the API on 127.0.0.1 (any free port) for an agent with every scope; the base URL
    // ("http://127.0.0.1:<port>") then, and token(). HttpApi::start's and AgentService's errors.
    Result<QString> startApi();
    QString token() const { return m_token; }

    // Runs `count` runs of a separate task one after another and waits for them, so the first
    // measured run does not pay for cold caches and lazily opened connections; returns that
    // task's id. Internal when one does not succeed within `timeoutMs`.
    Result<QString> warmUp(int count, int timeoutMs);
    // How many runs of the benchmark task the database holds with this status, or at all.
    Result<int> countRuns(std::optional<RunStatus> status) const;
    // Succeeded runs of the benchmark task whose one step has no succeeded record: the engine
    // recorded the outcome but lost the step. RunService's errors.
    Result<int> countRunsMissingStep() const;
    // The journal mode and the writer's synchronous level, read back, and how acknowledgements
    // are made durable: the report states what was measured, not what was meant.
    Result<QString> durability() const;

private:
    BenchEngine() = default;
    // A manual task whose pipeline is one bench.mark step; its id.
    Result<QString> createTask(const QString &title);

    QTemporaryDir m_dir; // destroyed last: everything below writes into it
    std::shared_ptr<MarkTool> m_marks;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
    std::unique_ptr<HttpApi> m_api;
    QString m_taskId;
    QString m_token;
};

} // namespace ordinaut::bench
