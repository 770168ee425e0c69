// tst_RunControl: controlling runs from outside — cancel (a queued or paused run ends at once, a
// running one has its child process killed), retry (the whole run, or from a step reusing the
// outputs before it), graceful shutdown (leases released so the next engine takes the run over
// at once) and the notification of a run that failed for good. Real clock, real child processes.
#include "support/TempDataDir.h"

#include "runtime/Engine.h"
#include "service/Services.h"
#include "store/Database.h"
#include "store/RunQueue.h"
#include "store/Sql.h"
#include "tools/Notifier.h"
#include "tools/ToolEnvironment.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QMutex>
#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

namespace {

class RecordingNotifier final : public Notifier
{
public:
    void notify(const QString &title, const QString &body, NotificationUrgency urgency) override
    {
        QMutexLocker lock(&mutex);
        titles << title;
        bodies << body;
        critical = critical && urgency == NotificationUrgency::Critical;
    }
    QString channel() const override { return QStringLiteral("test"); }
    int count() const
    {
        QMutexLocker lock(&mutex);
        return static_cast<int>(titles.size());
    }

    mutable QMutex mutex;
    QStringList titles;
    QStringList bodies;
    bool critical = true;
};

} // namespace

class tst_RunControl final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cancelStopsARunningChildPromptly();
    void cancelEndsAPausedRunAtOnce();
    void retryRunsAgainAndFromAStepReusesEarlierOutputs();
    void shutdownReleasesTheLeaseForTheNextEngine();
    void finalFailureIsNotifiedOnce();
    void taskTimeoutStopsTheRun();

private:
    std::unique_ptr<Engine> startEngine(qint64 graceMs = 10000);
    QString createTask(const Json &pipeline, const Json &extra = Json::object());
    Run waitFor(const QString &runId, const std::function<bool(const Run &)> &done,
                int timeoutMs = 10000);

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

void tst_RunControl::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

std::unique_ptr<Engine> tst_RunControl::startEngine(qint64 graceMs)
{
    EngineOptions options{m_dir->path(), 2, nullptr};
    options.shutdownGraceMs = graceMs;
    Result<std::unique_ptr<Engine>> engine = Engine::create(options);
    if (!engine)
        qFatal("%s", qPrintable(engine.error().describe()));
    return std::move(*engine);
}

void tst_RunControl::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    m_engine = startEngine();
    m_services = std::make_unique<Services>(*m_engine);
    QVERIFY(m_services->settings.update(
        Json{{"tools.shell.enabled", true}, {"tools.shell.allowed_programs", {"sleep", "cat"}}},
        QStringLiteral("test")));
    m_engine->start();
}

void tst_RunControl::cleanup()
{
    if (m_engine)
        m_engine->stop();
    m_services.reset();
    m_engine.reset();
    m_dir.reset();
}

QString tst_RunControl::createTask(const Json &pipeline, const Json &extra)
{
    Json body{
        {"title", "control"}, {"schedule_kind", "manual"}, {"payload", {{"pipeline", pipeline}}}};
    body.update(extra);
    Result<Task> task = m_services->tasks.create(body, QStringLiteral("test"));
    if (!task)
        qFatal("%s", qPrintable(task.error().describe()));
    return task->id;
}

Run tst_RunControl::waitFor(const QString &runId, const std::function<bool(const Run &)> &done,
                            int timeoutMs)
{
    QElapsedTimer waited;
    waited.start();
    for (;;) {
        Result<Run> run = m_services->runs.get(runId, true);
        if (!run)
            qFatal("%s", qPrintable(run.error().describe()));
        if (done(*run) || waited.elapsed() > timeoutMs)
            return *run;
        QTest::qWait(10);
    }
}

void tst_RunControl::cancelStopsARunningChildPromptly()
{
    const QString taskId = createTask(
        Json::parse(R"j([{"id":"nap","uses":"shell.run","with":{"program":"sleep","args":["30"]}},
                         {"id":"after","uses":"debug.echo","with":{}}])j"));
    Result<Run> queued
        = m_services->runs.runNow(taskId, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(queued);
    Run running = waitFor(queued->id, [](const Run &r) { return r.status == RunStatus::Running; });
    QVERIFY(running.status == RunStatus::Running);
    QTest::qWait(100); // the child is started

    QElapsedTimer stopping;
    stopping.start();
    Result<Run> asked = m_services->runs.cancel(queued->id, QStringLiteral("ada"));
    QVERIFY2(asked, asked ? "" : qPrintable(asked.error().describe()));
    const Run canceled = waitFor(queued->id, [](const Run &r) { return r.isFinished(); });
    // Far below the 30 s nap: the child was killed, not waited for.
    QVERIFY2(stopping.elapsed() < 3000, qPrintable(QString::number(stopping.elapsed())));
    QCOMPARE(toString(canceled.status), QStringLiteral("canceled"));
    QVERIFY2(canceled.error.contains(QLatin1String("canceled by ada")), qPrintable(canceled.error));
    QCOMPARE(int(canceled.steps.size()), 1); // "after" never started
    QCOMPARE(toString(canceled.steps[0].status), QStringLiteral("canceled"));

    // A finished run cannot be canceled again.
    Result<Run> again = m_services->runs.cancel(queued->id, QStringLiteral("ada"));
    QVERIFY(!again);
    QVERIFY(again.error().code == ErrorCode::Conflict);
    QVERIFY2(again.error().message.contains(QLatin1String("already finished (canceled)")),
             qPrintable(again.error().message));
}

void tst_RunControl::cancelEndsAPausedRunAtOnce()
{
    const QString taskId
        = createTask(Json::parse(R"j([{"id":"later","uses":"time.wait","with":{"hours":1}},
                         {"id":"after","uses":"debug.echo","with":{}}])j"));
    Result<Run> queued
        = m_services->runs.runNow(taskId, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(queued);
    const Run paused
        = waitFor(queued->id, [](const Run &r) { return r.status == RunStatus::Waiting; });
    QCOMPARE(toString(paused.status), QStringLiteral("waiting"));

    Result<Run> canceled = m_services->runs.cancel(queued->id, QStringLiteral("ada"));
    QVERIFY2(canceled, canceled ? "" : qPrintable(canceled.error().describe()));
    // No worker is involved: it is canceled by the time the call returns.
    QCOMPARE(toString(canceled->status), QStringLiteral("canceled"));
    QVERIFY(canceled->finishedAt.isValid());
    Result<QSqlQuery> row
        = sql::exec(m_engine->database().connection(),
                    QStringLiteral("SELECT state FROM run_queue WHERE run_id=?"), {queued->id});
    QVERIFY(row && row->next());
    QCOMPARE(row->value(0).toString(), QStringLiteral("done"));
    // The audit log says who.
    Result<QSqlQuery> audit = sql::exec(
        m_engine->database().connection(),
        QStringLiteral("SELECT actor FROM audit_log WHERE action='run.cancel' AND subject=?"),
        {queued->id});
    QVERIFY(audit && audit->next());
    QCOMPARE(audit->value(0).toString(), QStringLiteral("ada"));
}

void tst_RunControl::retryRunsAgainAndFromAStepReusesEarlierOutputs()
{
    const QString file = QDir(m_dir->path()).filePath(QStringLiteral("input.txt"));
    const QString taskId = createTask(Json{
        {{"id", "first"}, {"uses", "debug.echo"}, {"with", {{"attempt", "${run.attempt}"}}}},
        {{"id", "read"}, {"uses", "shell.run"}, {"with", {{"program", "cat"}, {"args", {file}}}}}});
    Result<Run> queued
        = m_services->runs.runNow(taskId, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(queued);
    const Run failed = waitFor(queued->id, [](const Run &r) { return r.isFinished(); });
    QCOMPARE(toString(failed.status), QStringLiteral("failed")); // the file is missing

    // Unknown step, and a run that is still going, are refused with the reason.
    Result<Run> unknown
        = m_services->runs.retry(queued->id, QStringLiteral("nope"), QStringLiteral("ada"));
    QVERIFY(!unknown);
    QCOMPARE(unknown.error().field, QStringLiteral("from_step"));
    QVERIFY2(unknown.error().message.contains(QLatin1String("steps: first, read")),
             qPrintable(unknown.error().message));

    QFile input(file);
    QVERIFY(input.open(QIODevice::WriteOnly));
    input.write("hello\n");
    input.close();

    Result<Run> fromStep
        = m_services->runs.retry(queued->id, QStringLiteral("read"), QStringLiteral("ada"));
    QVERIFY2(fromStep, fromStep ? "" : qPrintable(fromStep.error().describe()));
    QCOMPARE(fromStep->attempt, 2);
    QCOMPARE(toString(fromStep->trigger), QStringLiteral("retry"));
    QVERIFY(fromStep->scheduledFor == failed.scheduledFor); // the same occurrence
    const Run second = waitFor(fromStep->id, [](const Run &r) { return r.isFinished(); });
    QCOMPARE(toString(second.status), QStringLiteral("succeeded"));
    QCOMPARE(int(second.steps.size()), 2);
    // "first" was not run again: its output still says attempt 1.
    QVERIFY2(second.steps[0].output == Json({{"attempt", 1}}),
             second.steps[0].output.dump().c_str());
    QVERIFY(second.steps[1].output["stdout"] == "hello\n");

    // A whole retry runs every step: "first" now sees attempt 3.
    Result<Run> whole = m_services->runs.retry(second.id, QString(), QStringLiteral("ada"));
    QVERIFY(whole);
    const Run third = waitFor(whole->id, [](const Run &r) { return r.isFinished(); });
    QCOMPARE(toString(third.status), QStringLiteral("succeeded"));
    QCOMPARE(third.attempt, 3);
    QVERIFY2(third.steps[0].output == Json({{"attempt", 3}}), third.steps[0].output.dump().c_str());

    // A run still going cannot be retried.
    const QString slow = createTask(Json::parse(
        R"j([{"id":"nap","uses":"shell.run","with":{"program":"sleep","args":["30"]}}])j"));
    Result<Run> napping = m_services->runs.runNow(slow, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(napping);
    Result<Run> early = m_services->runs.retry(napping->id, QString(), QStringLiteral("ada"));
    QVERIFY(!early);
    QVERIFY(early.error().code == ErrorCode::Conflict);
    QVERIFY(m_services->runs.cancel(napping->id, QStringLiteral("test")));
    waitFor(napping->id, [](const Run &r) { return r.isFinished(); });
}

void tst_RunControl::shutdownReleasesTheLeaseForTheNextEngine()
{
    // Restart with a short grace period and a lease far longer than the test.
    m_engine->stop();
    m_services.reset();
    m_engine = startEngine(200);
    m_services = std::make_unique<Services>(*m_engine);
    m_engine->start();
    const QString taskId = createTask(Json::parse(
        R"j([{"id":"nap","uses":"shell.run","with":{"program":"sleep","args":["30"]}}])j"));
    Result<Run> queued
        = m_services->runs.runNow(taskId, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(queued);
    waitFor(queued->id, [](const Run &r) { return r.status == RunStatus::Running; });
    QTest::qWait(100);

    QElapsedTimer stopping;
    stopping.start();
    m_engine->stop();
    QVERIFY2(stopping.elapsed() < 5000, qPrintable(QString::number(stopping.elapsed())));
    // Not recorded as finished by the engine that gave up, and its lease has ended.
    Result<Run> left = m_services->runs.get(queued->id, false);
    QVERIFY(left);
    QCOMPARE(toString(left->status), QStringLiteral("running"));
    Result<Json> health = RunQueue(m_engine->database()).health(QDateTime::currentDateTimeUtc());
    QVERIFY(health);
    QCOMPARE((*health)["expired_leases"].get<int>(), 1);

    // The next engine takes the run over at once instead of after 30 s.
    m_services.reset();
    m_engine = startEngine();
    m_services = std::make_unique<Services>(*m_engine);
    QElapsedTimer takeover;
    takeover.start();
    m_engine->start();
    const Run abandoned = waitFor(
        queued->id, [](const Run &r) { return r.status == RunStatus::Abandoned; }, 5000);
    QCOMPARE(toString(abandoned.status), QStringLiteral("abandoned"));
    QVERIFY2(takeover.elapsed() < 3000, qPrintable(QString::number(takeover.elapsed())));
    Result<RunPage> page = m_services->runs.list(RunFilter{taskId, RunStatus::Running, 10, 0});
    QVERIFY(page);
    QCOMPARE(int(page->items.size()), 1);
    QCOMPARE(page->items[0].attempt, 2);
    QVERIFY(m_services->runs.cancel(page->items[0].id, QStringLiteral("test")));
    waitFor(page->items[0].id, [](const Run &r) { return r.isFinished(); });
}

void tst_RunControl::finalFailureIsNotifiedOnce()
{
    auto notifier = std::make_shared<RecordingNotifier>();
    m_engine->toolEnvironment().setNotifier(notifier);
    const QString missing = QDir(m_dir->path()).filePath(QStringLiteral("missing.txt"));
    const QString taskId = createTask(Json{{{"id", "read"},
                                            {"uses", "shell.run"},
                                            {"with", {{"program", "cat"}, {"args", {missing}}}}}},
                                      Json{{"title", "Morning report"},
                                           {"max_retries", 1},
                                           {"backoff_strategy", "fixed"},
                                           {"retry_base_ms", 50}});
    Result<Run> queued
        = m_services->runs.runNow(taskId, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(queued);
    const Run first = waitFor(queued->id, [](const Run &r) { return r.isFinished(); });
    QCOMPARE(toString(first.status), QStringLiteral("failed"));
    // The second attempt fails too; only then is the person told, once.
    QTRY_COMPARE_WITH_TIMEOUT(notifier->count(), 1, 10000);
    Result<RunPage> failures = m_services->runs.list(RunFilter{taskId, RunStatus::Failed, 10, 0});
    QVERIFY(failures);
    QCOMPARE(int(failures->items.size()), 2);
    QTest::qWait(200);
    QCOMPARE(notifier->count(), 1);
    QCOMPARE(notifier->titles.value(0), QStringLiteral("“Morning report” failed"));
    QVERIFY2(notifier->bodies.value(0).contains(QLatin1String("missing.txt")),
             qPrintable(notifier->bodies.value(0)));
    QVERIFY(notifier->critical);
}

void tst_RunControl::taskTimeoutStopsTheRun()
{
    // The task's timeout_seconds is the run's deadline: the 30 s nap is killed after 1 s.
    const QString taskId = createTask(
        Json::parse(R"j([{"id":"nap","uses":"shell.run","with":{"program":"sleep","args":["30"]}},
                         {"id":"after","uses":"debug.echo","with":{}}])j"),
        Json{{"timeout_seconds", 1}});
    QElapsedTimer elapsed;
    elapsed.start();
    Result<Run> queued
        = m_services->runs.runNow(taskId, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(queued);
    const Run done = waitFor(queued->id, [](const Run &r) { return r.isFinished(); });
    QVERIFY2(elapsed.elapsed() < 10000, qPrintable(QString::number(elapsed.elapsed())));
    QCOMPARE(toString(done.status), QStringLiteral("timed_out"));
    QVERIFY2(done.error.contains(QLatin1String("the run's deadline")), qPrintable(done.error));
    QCOMPARE(int(done.steps.size()), 1);
    QCOMPARE(toString(done.steps[0].status), QStringLiteral("timed_out"));
}

QTEST_GUILESS_MAIN(tst_RunControl)
#include "tst_RunControl.moc"
