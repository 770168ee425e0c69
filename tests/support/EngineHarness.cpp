// EngineHarness: create, start, drive and stop.
#include "EngineHarness.h"

#include <QTest>

namespace ordinaut::test {

EngineHarness::EngineHarness(int workers, const QString &start)
    : m_clock(std::make_unique<ManualClock>(*parseInstant(start)))
{
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir.path(), workers, m_clock.get()});
    if (!engine)
        qFatal("engine: %s", qPrintable(engine.error().describe()));
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_engine->start();
}

EngineHarness::~EngineHarness()
{
    m_engine->stop();
    m_services.reset();
    m_engine.reset();
}

QString EngineHarness::createTask(const Json &pipeline, const Json &params)
{
    Json document{{"title", "test task"},
                  {"schedule_kind", "manual"},
                  {"payload", {{"pipeline", pipeline}, {"params", params}}}};
    Result<Task> task = m_services->tasks.create(document, QStringLiteral("test"));
    if (!task)
        qFatal("task: %s", qPrintable(task.error().describe()));
    return task->id;
}

Run EngineHarness::runAndSettle(const QString &taskId)
{
    Result<Run> queued
        = m_services->runs.runNow(taskId, RunTrigger::Manual, QStringLiteral("test"));
    if (!queued)
        qFatal("run: %s", qPrintable(queued.error().describe()));
    Run run;
    (void)QTest::qWaitFor(
        [&] {
            run = *m_services->runs.get(queued->id, true);
            return run.status != RunStatus::Queued && run.status != RunStatus::Running;
        },
        10000);
    return run;
}

Run EngineHarness::waitFinished(const QString &runId)
{
    Run run;
    (void)QTest::qWaitFor(
        [&] {
            run = *m_services->runs.get(runId, true);
            return run.isFinished();
        },
        10000);
    return run;
}

void EngineHarness::poke()
{
    createTask(Json::array());
}

} // namespace ordinaut::test
