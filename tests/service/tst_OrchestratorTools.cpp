// tst_OrchestratorTools: pipelines that create, start and announce — through a whole engine and
// its services, so what they do is validated and audited like an API call.
#include "support/TempDataDir.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "service/Services.h"
#include "store/AuditLog.h"
#include "store/EventLog.h"
#include "store/RunStore.h"

#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

class tst_OrchestratorTools final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void followUpDelayComesFromAnExpression_data();
    void followUpDelayComesFromAnExpression();
    void runTaskStartsAnotherTaskButNotItself();
    void emitEventIsStoredAndAudited();
    void badFollowUpFailsTheStepAndCreatesNothing();

private:
    Run runPipeline(const QString &pipeline, const Json &params = Json::object());

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

void tst_OrchestratorTools::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_OrchestratorTools::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    m_clock = std::make_unique<ManualClock>(*parseInstant(QStringLiteral("2026-06-10T12:00:00Z")));
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, m_clock.get()});
    QVERIFY(engine);
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_engine->start();
}

void tst_OrchestratorTools::cleanup()
{
    m_engine->stop();
    m_services.reset();
    m_engine.reset();
    m_clock.reset();
    m_dir.reset();
}

Run tst_OrchestratorTools::runPipeline(const QString &pipeline, const Json &params)
{
    Json document{
        {"title", "planner"},
        {"schedule_kind", "manual"},
        {"payload", {{"pipeline", Json::parse(pipeline.toStdString())}, {"params", params}}}};
    Result<Task> task = m_services->tasks.create(document, QStringLiteral("test"));
    if (!task)
        qFatal("%s", qPrintable(task.error().describe()));
    Result<Run> run = m_services->runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("test"));
    if (!run)
        qFatal("%s", qPrintable(run.error().describe()));
    Run finished;
    (void)QTest::qWaitFor(
        [&] {
            finished = *m_services->runs.get(run->id, true);
            return finished.isFinished();
        },
        10000);
    return finished;
}

void tst_OrchestratorTools::followUpDelayComesFromAnExpression_data()
{
    QTest::addColumn<QString>("level");
    QTest::addColumn<int>("hours");
    QTest::newRow("high") << QStringLiteral("high") << 2;
    QTest::newRow("low") << QStringLiteral("low") << 24;
}

void tst_OrchestratorTools::followUpDelayComesFromAnExpression()
{
    QFETCH(QString, level);
    QFETCH(int, hours);
    const Run run = runPipeline(
        QStringLiteral(
            R"j([{"id": "p", "uses": "debug.echo", "with": {"level": "${params.level}"}},
                {"id": "later", "uses": "orchestrator.schedule_task", "with": {
                   "title": "Check again (${steps.p.level})",
                   "delay_hours": "${if(steps.p.level == 'high', 2, 24)}",
                   "pipeline": [{"id": "n", "uses": "notify.desktop",
                                 "with": {"title": "again"}}]}}])j"),
        Json{{"level", level}});
    QVERIFY2(run.status == RunStatus::Succeeded, qPrintable(run.error));
    const Json out = run.steps.at(1).output;
    Result<Task> followUp = m_services->tasks.get(out["task_id"].get<QString>());
    QVERIFY(followUp);
    QCOMPARE(followUp->title, QStringLiteral("Check again (%1)").arg(level));
    QCOMPARE(followUp->createdBy, QStringLiteral("run:") + run.id);
    QCOMPARE(followUp->nextRunAt, m_clock->now().addSecs(hours * 3600));
    QCOMPARE(out["next_run_at"].get<QString>(), formatInstant(followUp->nextRunAt));
    const auto audit = AuditLog(m_engine->database()).forSubject(followUp->id);
    QVERIFY(audit && !audit->empty());
    QCOMPARE(audit->front().actor, QStringLiteral("run:") + run.id);
}

void tst_OrchestratorTools::runTaskStartsAnotherTaskButNotItself()
{
    Result<Task> other
        = m_services->tasks.create(Json::parse(R"j({"title": "other", "schedule_kind": "manual",
                        "payload": {"pipeline": [{"id": "e", "uses": "debug.echo", "with": {}}]}})j"),
                                   QStringLiteral("test"));
    QVERIFY(other);
    const Run run = runPipeline(QStringLiteral(R"j([{"id": "go", "uses": "orchestrator.run_task",
                            "with": {"task_id": "${params.other}"}}])j"),
                                Json{{"other", other->id}});
    QVERIFY2(run.status == RunStatus::Succeeded, qPrintable(run.error));
    const QString started = run.steps.at(0).output["run_id"].get<QString>();
    QTRY_VERIFY_WITH_TIMEOUT(m_services->runs.get(started, false)->status == RunStatus::Succeeded,
                             10000);
    QCOMPARE(m_services->runs.get(started, false)->taskId, other->id);

    const Run self = runPipeline(QStringLiteral(
        R"j([{"id": "loop", "uses": "orchestrator.run_task", "with": {"task_id": "${task.id}"}}])j"));
    QVERIFY(self.status == RunStatus::Failed);
    QVERIFY2(self.error.contains(QLatin1String("with.task_id: a task cannot start itself")),
             qPrintable(self.error));
}

void tst_OrchestratorTools::emitEventIsStoredAndAudited()
{
    const Run run = runPipeline(QStringLiteral(
        R"j([{"id": "tell", "uses": "orchestrator.emit_event",
             "with": {"topic": "report.ready", "payload": {"pages": 3, "run": "${run.id}"}}}])j"));
    QVERIFY2(run.status == RunStatus::Succeeded, qPrintable(run.error));
    const qint64 id = run.steps.at(0).output["event_id"].get<qint64>();
    const auto events = EventLog(m_engine->database()).since(id - 1, 1);
    QVERIFY(events && events->size() == 1);
    QCOMPARE(events->front().topic, QStringLiteral("report.ready"));
    QVERIFY(events->front().payload == (Json{{"pages", 3}, {"run", run.id}}));
    QCOMPARE(events->front().source, QStringLiteral("run:") + run.id);
    const auto audit = AuditLog(m_engine->database()).forSubject(QStringLiteral("report.ready"));
    QVERIFY(audit && audit->size() == 1);

    const Run reserved = runPipeline(QStringLiteral(
        R"j([{"id": "lie", "uses": "orchestrator.emit_event", "with": {"topic": "run.finished"}}])j"));
    QVERIFY(reserved.status == RunStatus::Failed);
    QVERIFY2(reserved.error.contains(QLatin1String("topics under 'run.' are the engine's own")),
             qPrintable(reserved.error));
}

void tst_OrchestratorTools::badFollowUpFailsTheStepAndCreatesNothing()
{
    const int before = m_services->tasks.list(std::nullopt, 100, 0)->total;
    const Run run = runPipeline(QStringLiteral(
        R"j([{"id": "later", "uses": "orchestrator.schedule_task", "with": {
               "title": "x", "delay_hours": 1,
               "pipeline": [{"id": "n", "uses": "no.such.tool", "with": {}}]}}])j"));
    QVERIFY(run.status == RunStatus::Failed);
    QVERIFY2(run.error.contains(QLatin1String("unknown tool 'no.such.tool'")),
             qPrintable(run.error));
    QCOMPARE(m_services->tasks.list(std::nullopt, 100, 0)->total, before + 1); // only "planner"
}

QTEST_GUILESS_MAIN(tst_OrchestratorTools)
#include "tst_OrchestratorTools.moc"
