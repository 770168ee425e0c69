// Engine end to end in one process: a manual run and a scheduled `once` run are claimed by the
// worker pool and recorded with their steps; tasks created after start need no restart.
#include "support/TempDataDir.h"

#include "runtime/Engine.h"
#include "service/Services.h"

#include <QTest>

using namespace ordinaut;

class tst_Engine final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void runNowIsExecutedAndRecorded();
    void onceTaskCreatedAfterStartFires();

private:
    RunStatus statusOf(const QString &runId);

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

void tst_Engine::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 2, nullptr});
    QVERIFY(engine);
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_engine->start();
}

void tst_Engine::cleanup()
{
    m_engine->stop();
    m_services.reset();
    m_engine.reset();
    m_dir.reset();
}

RunStatus tst_Engine::statusOf(const QString &runId)
{
    Result<Run> run = m_services->runs.get(runId, false);
    return run ? run->status : RunStatus::Canceled;
}

void tst_Engine::runNowIsExecutedAndRecorded()
{
    Result<Task> task
        = m_services->tasks.create(Json::parse(R"({"title":"echo","payload":{"params":{"v":5},
            "pipeline":[{"id":"e","uses":"debug.echo","with":{"v":"${params.v}","run":"${run.id}"}}]}})"),
                                   QStringLiteral("t"));
    QVERIFY(task);
    Result<Run> queued = m_services->runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("t"));
    QVERIFY(queued);
    QVERIFY(queued->status == RunStatus::Queued);
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(queued->id) == RunStatus::Succeeded, 10000);

    Result<Run> run = m_services->runs.get(queued->id, true);
    QVERIFY(run);
    QVERIFY(run->trigger == RunTrigger::Manual);
    QCOMPARE(run->taskVersion, 1);
    QVERIFY(run->startedAt.isValid() && run->finishedAt >= run->startedAt);
    QCOMPARE(int(run->steps.size()), 1);
    QVERIFY(run->steps[0].input == run->steps[0].output);
    QVERIFY(run->steps[0].output["v"] == 5);
    QVERIFY(run->steps[0].output["run"] == run->id.toStdString());
}

void tst_Engine::onceTaskCreatedAfterStartFires()
{
    const QString at = QDateTime::currentDateTimeUtc().addMSecs(800).toString(Qt::ISODateWithMs);
    Result<Task> task = m_services->tasks.create(
        Json::parse(QStringLiteral(R"({"title":"soon","schedule_kind":"once","schedule_expr":"%1",
            "payload":{"pipeline":[{"id":"e","uses":"debug.echo","with":{}}]}})")
                        .arg(at)
                        .toStdString()),
        QStringLiteral("t"));
    QVERIFY(task);
    RunFilter filter;
    filter.taskId = task->id;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            Result<RunPage> page = m_services->runs.list(filter);
            return page && page->total == 1 && page->items[0].status == RunStatus::Succeeded;
        }(),
        10000);
    Result<RunPage> page = m_services->runs.list(filter);
    QVERIFY(page->items[0].trigger == RunTrigger::Schedule);
    // Never early: it started at or after its instant.
    QVERIFY(page->items[0].startedAt >= *parseInstant(at));
    QCOMPARE(page->items[0].scheduledFor, *parseInstant(at));
}

QTEST_GUILESS_MAIN(tst_Engine)
#include "tst_Engine.moc"
