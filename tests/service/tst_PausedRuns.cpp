// tst_PausedRuns: time.wait and human.approve pause a run without holding a worker, and the
// run resumes at the paused step — after its time, on approval, on rejection or at the timeout.
#include "support/EngineHarness.h"

#include "store/AuditLog.h"

#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

class tst_PausedRuns final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void waitFreesTheWorkerAndResumesWithEarlierResults();
    void approvalResumesTheRun();
    void rejectionFailsTheStep();
    void noAnswerInTimeRejects();

private:
    QString createTask(const char *pipeline) { return m_h->createTask(Json::parse(pipeline)); }
    Run startAndSettle(const QString &taskId) { return m_h->runAndSettle(taskId); }

    // One worker: a paused run that kept it would block every other run.
    std::unique_ptr<test::EngineHarness> m_h;
    Services *m_services = nullptr;
};

void tst_PausedRuns::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_PausedRuns::init()
{
    m_h = std::make_unique<test::EngineHarness>(1);
    m_services = &m_h->services();
}

void tst_PausedRuns::cleanup()
{
    m_services = nullptr;
    m_h.reset();
}

void tst_PausedRuns::waitFreesTheWorkerAndResumesWithEarlierResults()
{
    const QString waiting = createTask(R"j([
        {"id": "a", "uses": "debug.echo", "with": {"v": 41}},
        {"id": "nap", "uses": "time.wait", "with": {"hours": 1}},
        {"id": "b", "uses": "debug.echo", "with": {"v": "${steps.a.v}"}}])j");
    Run run = startAndSettle(waiting);
    QVERIFY(run.status == RunStatus::Waiting);
    QCOMPARE(int(run.steps.size()), 2);
    QVERIFY(run.steps[1].status == StepStatus::Waiting);

    // The only worker is free: another run goes through meanwhile.
    const Run other
        = startAndSettle(createTask(R"j([{"id": "x", "uses": "debug.echo", "with": {}}])j"));
    QVERIFY(other.status == RunStatus::Succeeded);
    QVERIFY(m_services->runs.get(run.id, false)->status == RunStatus::Waiting);

    m_h->clock().set(m_h->clock().now().addSecs(3600));
    m_h->poke();
    QTRY_VERIFY_WITH_TIMEOUT(m_services->runs.get(run.id, false)->isFinished(), 10000);
    run = *m_services->runs.get(run.id, true);
    QVERIFY2(run.status == RunStatus::Succeeded, qPrintable(run.error));
    QCOMPARE(int(run.steps.size()), 3);
    QVERIFY(run.steps[1].status == StepStatus::Succeeded);
    QCOMPARE(run.steps[1].output["waited_ms"].get<qint64>(), 3600 * 1000);
    QVERIFY(run.steps[2].output == (Json{{"v", 41}}));
    QVERIFY(run.resume.is_null());
}

void tst_PausedRuns::approvalResumesTheRun()
{
    const QString task = createTask(R"j([
        {"id": "ask", "uses": "human.approve",
         "with": {"title": "Send the report?", "details": {"pages": 3}}},
        {"id": "after", "uses": "debug.echo", "with": {"by": "${steps.ask.by}",
                                                       "note": "${steps.ask.comment}"}}])j");
    Run run = startAndSettle(task);
    QVERIFY(run.status == RunStatus::WaitingApproval);
    Result<std::vector<Approval>> pending
        = m_services->approvals.list(QStringLiteral("pending"), 10);
    QVERIFY(pending && pending->size() == 1);
    const Approval asked = pending->front();
    QCOMPARE(asked.title, QStringLiteral("Send the report?"));
    QVERIFY(asked.details == (Json{{"pages", 3}}));
    QCOMPARE(asked.runId, run.id);
    QCOMPARE(asked.stepId, QStringLiteral("ask"));
    QCOMPARE(asked.expiresAt, m_h->clock().now().addSecs(24 * 3600));

    Result<Approval> decided
        = m_services->approvals.decide(asked.id, ApprovalDecision::Approve,
                                       QStringLiteral("looks good"), QStringLiteral("agent:ana"));
    QVERIFY2(decided, qPrintable(decided ? QString() : decided.error().describe()));
    QCOMPARE(decided->status, QStringLiteral("approved"));
    QTRY_VERIFY_WITH_TIMEOUT(m_services->runs.get(run.id, false)->isFinished(), 10000);
    run = *m_services->runs.get(run.id, true);
    QVERIFY2(run.status == RunStatus::Succeeded, qPrintable(run.error));
    QVERIFY(run.steps[1].output == (Json{{"by", "agent:ana"}, {"note", "looks good"}}));
    QVERIFY(run.steps[0].output["approved"] == true);

    const auto audit = AuditLog(m_h->engine().database()).forSubject(asked.id);
    QVERIFY(audit && audit->size() == 1);
    QCOMPARE(audit->front().action, QStringLiteral("approval.approved"));
    Result<Approval> again = m_services->approvals.decide(asked.id, ApprovalDecision::Reject,
                                                          QString(), QStringLiteral("agent:bo"));
    QVERIFY(!again);
    QVERIFY(again.error().code == ErrorCode::Conflict);
    QCOMPARE(again.error().message,
             QStringLiteral("approval %1 is already approved").arg(asked.id));
}

void tst_PausedRuns::rejectionFailsTheStep()
{
    const QString task = createTask(R"j([
        {"id": "ask", "uses": "human.approve", "with": {"title": "Delete the backups?"}},
        {"id": "after", "uses": "debug.echo", "with": {}}])j");
    Run run = startAndSettle(task);
    QVERIFY(run.status == RunStatus::WaitingApproval);
    const Approval asked = m_services->approvals.list(QStringLiteral("pending"), 10)->front();
    QVERIFY(m_services->approvals.decide(asked.id, ApprovalDecision::Reject,
                                         QStringLiteral("not today"), QStringLiteral("user")));
    QTRY_VERIFY_WITH_TIMEOUT(m_services->runs.get(run.id, false)->isFinished(), 10000);
    run = *m_services->runs.get(run.id, true);
    QVERIFY(run.status == RunStatus::Failed);
    QCOMPARE(run.error, QStringLiteral("step 'ask' (human.approve) failed: user rejected "
                                       "'Delete the backups?': not today"));
    QCOMPARE(int(run.steps.size()), 1); // the run stopped there
}

void tst_PausedRuns::noAnswerInTimeRejects()
{
    const QString task = createTask(R"j([
        {"id": "ask", "uses": "human.approve", "with": {"title": "Pay?", "timeout_seconds": 60}}])j");
    Run run = startAndSettle(task);
    QVERIFY(run.status == RunStatus::WaitingApproval);
    const Approval asked = m_services->approvals.list(QStringLiteral("pending"), 10)->front();

    m_h->clock().set(m_h->clock().now().addSecs(61));
    // Too late for an answer, even before the run has noticed.
    Result<Approval> late = m_services->approvals.decide(asked.id, ApprovalDecision::Approve,
                                                         QString(), QStringLiteral("user"));
    QVERIFY(!late);
    QVERIFY(late.error().code == ErrorCode::Conflict);
    m_h->poke();
    QTRY_VERIFY_WITH_TIMEOUT(m_services->runs.get(run.id, false)->isFinished(), 10000);
    run = *m_services->runs.get(run.id, true);
    // No answer in time is the step's deadline passing.
    QCOMPARE(toString(run.status), QStringLiteral("timed_out"));
    QCOMPARE(toString(run.steps.back().status), QStringLiteral("timed_out"));
    QVERIFY2(run.error.contains(QLatin1String("nobody approved 'Pay?' in time")),
             qPrintable(run.error));
    QCOMPARE(m_services->approvals.get(asked.id)->status, QStringLiteral("timed_out"));
    const auto audit = AuditLog(m_h->engine().database()).forSubject(asked.id);
    QVERIFY(audit && audit->size() == 1);
    QCOMPARE(audit->front().action, QStringLiteral("approval.timed_out"));
}

QTEST_GUILESS_MAIN(tst_PausedRuns)
#include "tst_PausedRuns.moc"
