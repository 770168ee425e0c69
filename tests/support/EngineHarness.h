// EngineHarness: a whole engine with its services on a fresh data folder and a manual clock, for
// tests that drive runs end to end. Stops the engine before anything it uses goes away.
#pragma once

#include "TempDataDir.h"

#include "core/Clock.h"
#include "core/Run.h"
#include "runtime/Engine.h"
#include "service/Services.h"

#include <memory>

namespace ordinaut::test {

class EngineHarness final
{
public:
    // Fails the test (qFatal) when the engine cannot be created.
    explicit EngineHarness(int workers = 1,
                           const QString &start = QStringLiteral("2026-06-10T12:00:00Z"));
    ~EngineHarness();
    Q_DISABLE_COPY_MOVE(EngineHarness)

    ManualClock &clock() { return *m_clock; }
    Engine &engine() { return *m_engine; }
    Services &services() { return *m_services; }

    // A manual task with this pipeline (and params); its id.
    QString createTask(const Json &pipeline, const Json &params = Json::object());
    // Queues a run of the task now and waits (up to 10 s) until it is neither queued nor
    // running: finished, or paused by a step.
    Run runAndSettle(const QString &taskId);
    // Waits (up to 10 s) until the run is finished; returns it with its steps.
    Run waitFinished(const QString &runId);
    // Makes the scheduler look at the clock again (any task change does).
    void poke();

private:
    TempDataDir m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

} // namespace ordinaut::test
