// tst_OrchestratorTools: pipelines that create, start and announce — through a whole engine and
// its services, so what they do is validated and audited like an API call.
#include "support/EngineHarness.h"

#include "store/AuditLog.h"
#include "store/EventLog.h"

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
    Run runPipeline(const QString &pipeline, const Json &params = Json::object())
    {
        return m_h->runAndSettle(m_h->createTask(Json::parse(pipeline.toStdString()), params));
    }

    std::unique_ptr<test::EngineHarness> m_h;
    Services *m_services = nullptr;
};

void tst_OrchestratorTools::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_OrchestratorTools::init()
{
    m_h = std::make_unique<test::EngineHarness>(1);
    m_services = &m_h->services();
}

void tst_OrchestratorTools::cleanup()
{
    m_services = nullptr;
    m_h.reset();
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
    QCOMPARE(followUp->nextRunAt, m_h->clock().now().addSecs(hours * 3600));
    QCOMPARE(out["next_run_at"].get<QString>(), formatInstant(followUp->nextRunAt));
    const auto audit = AuditLog(m_h->engine().database()).forSubject(followUp->id);
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
    const auto events = EventLog(m_h->engine().database()).since(id - 1, 1);
    QVERIFY(events && events->size() == 1);
    QCOMPARE(events->front().topic, QStringLiteral("report.ready"));
    QVERIFY(events->front().payload == (Json{{"pages", 3}, {"run", run.id}}));
    QCOMPARE(events->front().source, QStringLiteral("run:") + run.id);
    const auto audit
        = AuditLog(m_h->engine().database()).forSubject(QStringLiteral("report.ready"));
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
    QCOMPARE(m_services->tasks.list(std::nullopt, 100, 0)->total,
             before + 1); // only the planning task itself
}

QTEST_GUILESS_MAIN(tst_OrchestratorTools)
#include "tst_OrchestratorTools.moc"
