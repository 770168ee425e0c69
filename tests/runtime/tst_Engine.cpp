// Engine end to end in one process: a manual run and a scheduled `once` run are claimed by the
// worker pool and recorded with their steps; tasks created after start need no restart.
#include "support/TempDataDir.h"

#include "runtime/Engine.h"
#include "service/Services.h"

#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

class tst_Engine final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void runNowIsExecutedAndRecorded();
    void onceTaskCreatedAfterStartFires();
    void failingRunIsRecordedAsFailed();
    void stoppedEngineLeavesQueuedWorkAlone();

private:
    RunStatus statusOf(const QString &runId);
    Result<Task> createEchoTask();

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

void tst_Engine::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_Engine::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 2, nullptr});
    QVERIFY(engine);
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_engine->start();
    QVERIFY(m_engine->isRunning());
    QCOMPARE(m_engine->workerCount(), 2);
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

Result<Task> tst_Engine::createEchoTask()
{
    return m_services->tasks.create(
        Json::parse(R"({"title":"echo","payload":{"pipeline":[{"id":"e","uses":"debug.echo",
            "with":{"x":1}}]}})"),
        QStringLiteral("t"));
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
    const QString at = QDateTime::currentDateTimeUtc().addSecs(1).toString(Qt::ISODateWithMs);
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

void tst_Engine::failingRunIsRecordedAsFailed()
{
    // The template is valid at save time (params.v exists) but reads a key inside it that the
    // value lacks, so the step fails at run time.
    Result<Task> task = m_services->tasks.create(
        Json::parse(R"({"title":"broken","payload":{"params":{"v":{}},"pipeline":[
            {"id":"a","uses":"debug.echo","with":{"x":"${params.v.missing}"}},
            {"id":"b","uses":"debug.echo","with":{}}]}})"),
        QStringLiteral("t"));
    QVERIFY2(task, qPrintable(task ? QString() : task.error().describe()));
    Result<Run> queued = m_services->runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("t"));
    QVERIFY(queued);
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(queued->id) == RunStatus::Failed, 10000);
    Result<Run> run = m_services->runs.get(queued->id, true);
    QVERIFY(run);
    QVERIFY2(run->error.contains(QLatin1String("params.v.missing does not exist")),
             qPrintable(run->error));
    QCOMPARE(int(run->steps.size()), 1); // b never ran
    QVERIFY(run->steps[0].status == StepStatus::Failed);
}

void tst_Engine::stoppedEngineLeavesQueuedWorkAlone()
{
    m_engine->stop();
    QVERIFY(!m_engine->isRunning());
    m_engine->stop(); // a second stop is harmless
    Result<Task> task = createEchoTask();
    QVERIFY(task);
    Result<Run> queued = m_services->runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("t"));
    QVERIFY(queued);
    // A worker still alive would have been woken by the run.queued event and claimed it.
    QTest::qWait(1200);
    QVERIFY(statusOf(queued->id) == RunStatus::Queued);
}

QTEST_GUILESS_MAIN(tst_Engine)
#include "tst_Engine.moc"
