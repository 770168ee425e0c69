// tst_Leases: a worker busy with a long step keeps its run — the heartbeat renews the lease —
// while a run whose worker stopped renewing is taken over by another worker as a new attempt.
#include "support/TempDataDir.h"

#include "runtime/Engine.h"
#include "service/Services.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"

#include <QStandardPaths>
#include <QTest>
#include <QTimer>

using namespace ordinaut;

class tst_Leases final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void longStepKeepsItsLease();
    void deadWorkersRunIsTakenOver();

private:
    QString createTask(const char *pipeline);

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

namespace {
constexpr qint64 kLeaseMs = 600; // renewed every 200 ms
}

void tst_Leases::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_Leases::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    // The real clock: leases run out in real time here.
    EngineOptions options{m_dir->path(), 2, nullptr};
    options.leaseMs = kLeaseMs;
    Result<std::unique_ptr<Engine>> engine = Engine::create(options);
    QVERIFY(engine);
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    QVERIFY(m_services->settings.update(
        Json{{"tools.shell.enabled", true}, {"tools.shell.allowed_programs", {"sleep"}}},
        QStringLiteral("test")));
}

void tst_Leases::cleanup()
{
    m_engine->stop();
    m_services.reset();
    m_engine.reset();
    m_dir.reset();
}

QString tst_Leases::createTask(const char *pipeline)
{
    Result<Task> task
        = m_services->tasks.create(Json{{"title", "slow"},
                                        {"schedule_kind", "manual"},
                                        {"payload", {{"pipeline", Json::parse(pipeline)}}}},
                                   QStringLiteral("test"));
    if (!task)
        qFatal("%s", qPrintable(task.error().describe()));
    return task->id;
}

void tst_Leases::longStepKeepsItsLease()
{
    m_engine->start();
    const QString task = createTask(
        R"j([{"id": "nap", "uses": "shell.run", "with": {"program": "sleep", "args": ["2"]}}])j");
    Result<Run> run = m_services->runs.runNow(task, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(run);
    // Keep the scheduler looking at the queue (any task change makes it): an expired lease
    // would be taken over at once by the idle second worker.
    QTimer poke;
    connect(&poke, &QTimer::timeout, this, [this] { createTask("[]"); });
    poke.start(50);
    QTRY_VERIFY_WITH_TIMEOUT(m_services->runs.get(run->id, false)->isFinished(), 10000);
    poke.stop();
    const Run done = *m_services->runs.get(run->id, false);
    QVERIFY2(done.status == RunStatus::Succeeded, qPrintable(done.error));
    QCOMPARE(done.attempt, 1);
    // Three lease lengths long, yet the idle second worker never took it over.
    QCOMPARE(m_services->runs.list(RunFilter{task, std::nullopt, 10, 0})->total, 1);
}

void tst_Leases::deadWorkersRunIsTakenOver()
{
    const QString task = createTask(
        R"j([{"id": "hi", "uses": "debug.echo", "with": {"attempt": "${run.attempt}"}}])j");
    Result<Run> queued = m_services->runs.runNow(task, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(queued);
    // A worker of a process that died: it claimed the run, then nothing more.
    Result<std::optional<Claim>> dead
        = RunQueue(m_engine->database())
              .claim(QStringLiteral("dead-engine/w1"), QDateTime::currentDateTimeUtc(), kLeaseMs);
    QVERIFY(dead && dead->has_value());
    m_engine->start();
    QTRY_VERIFY_WITH_TIMEOUT(
        m_services->runs.get(queued->id, false)->status == RunStatus::Abandoned, 10000);
    const std::vector<Run> runs
        = m_services->runs.list(RunFilter{task, std::nullopt, 10, 0})->items;
    QCOMPARE(int(runs.size()), 2);
    const Run &next = runs.front(); // newest first
    QTRY_VERIFY_WITH_TIMEOUT(m_services->runs.get(next.id, false)->status == RunStatus::Succeeded,
                             10000);
    QVERIFY(m_services->runs.get(next.id, false)->output == (Json{{"attempt", 2}}));
    // The dead worker's late completion is refused (fencing).
    QVERIFY(RunQueue(m_engine->database()).complete(**dead).error().code == ErrorCode::Conflict);
}

QTEST_GUILESS_MAIN(tst_Leases)
#include "tst_Leases.moc"
