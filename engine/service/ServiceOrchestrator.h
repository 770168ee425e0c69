// ServiceOrchestrator: the Orchestrator the orchestrator.* tools call — the same TaskService and
// RunService the API uses, so a pipeline's requests are validated and audited like anyone's.
// Owned by the engine's ToolEnvironment; called from worker threads.
#pragma once

#include "RunService.h"
#include "TaskService.h"

#include "tools/Orchestrator.h"

namespace ordinaut {

class Engine;

class ServiceOrchestrator final : public Orchestrator
{
public:
    explicit ServiceOrchestrator(Engine &engine);
    Q_DISABLE_COPY_MOVE(ServiceOrchestrator)

    // Builds one and hands it to the engine's tools.
    static void install(Engine &engine);

    Result<Json> scheduleTask(const Json &document, const QString &actor) override;
    Result<Json> runTask(const QString &taskId, const QString &actor) override;
    Result<Json> emitEvent(const QString &topic, const Json &payload,
                           const QString &actor) override;

private:
    Engine &m_engine;
    TaskService m_tasks;
    RunService m_runs;
};

} // namespace ordinaut
