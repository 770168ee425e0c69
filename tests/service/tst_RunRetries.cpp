// tst_RunRetries: a failed run of a task with max_retries is queued again after its backoff —
// a future run_at, no worker held — until an attempt succeeds or the retries are used up.
#include "support/EngineHarness.h"

#include "store/RunStore.h"

#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

class tst_RunRetries final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void failedAttemptsAreRetriedAfterTheirBackoff();
    void aLaterAttemptCanSucceed();
    void retrySettingsAreValidated();

private:
    QString createTask(const Json &extra, const char *pipeline);
    std::vector<Run> runsOf(const QString &taskId);

    std::unique_ptr<test::EngineHarness> m_h;
};

void tst_RunRetries::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_RunRetries::init()
{
    m_h = std::make_unique<test::EngineHarness>(1);
}

void tst_RunRetries::cleanup()
{
    m_h.reset();
}

QString tst_RunRetries::createTask(const Json &extra, const char *pipeline)
{
    Json document{{"title", "flaky"},
                  {"schedule_kind", "manual"},
                  {"payload", {{"pipeline", Json::parse(pipeline)}}}};
    document.update(extra);
    Result<Task> task = m_h->services().tasks.create(document, QStringLiteral("test"));
    if (!task)
        qFatal("%s", qPrintable(task.error().describe()));
    return task->id;
}

std::vector<Run> tst_RunRetries::runsOf(const QString &taskId)
{
    std::vector<Run> runs
        = m_h->services().runs.list(RunFilter{taskId, std::nullopt, 50, 0})->items;
    std::reverse(runs.begin(), runs.end()); // oldest first
    return runs;
}

void tst_RunRetries::failedAttemptsAreRetriedAfterTheirBackoff()
{
    const QString task = createTask(
        Json{{"max_retries", 2}, {"backoff_strategy", "fixed"}, {"retry_base_ms", 60000}},
        R"j([{"id": "boom", "uses": "debug.echo", "with": {"x": "${fromJson('nope')}"}}])j");
    const Run first = m_h->runAndSettle(task);
    QVERIFY(first.status == RunStatus::Failed);
    std::vector<Run> runs = runsOf(task);
    QCOMPARE(int(runs.size()), 2);
    QVERIFY(runs[1].status == RunStatus::Queued);
    QCOMPARE(runs[1].attempt, 2);
    QVERIFY(runs[1].trigger == RunTrigger::Retry);
    QCOMPARE(runs[1].scheduledFor, first.scheduledFor); // the same occurrence

    // Not before its backoff has passed.
    m_h->poke();
    QTest::qWait(200);
    QVERIFY(runsOf(task)[1].status == RunStatus::Queued);

    for (int attempt = 2; attempt <= 3; ++attempt) {
        m_h->clock().set(m_h->clock().now().addSecs(60));
        m_h->poke();
        QTRY_VERIFY_WITH_TIMEOUT(runsOf(task)[attempt - 1].isFinished(), 10000);
        QVERIFY(runsOf(task)[attempt - 1].status == RunStatus::Failed);
    }
    QTest::qWait(200);
    runs = runsOf(task);
    QCOMPARE(int(runs.size()), 3); // the first and two retries, no more
    QCOMPARE(runs[2].attempt, 3);
}

void tst_RunRetries::aLaterAttemptCanSucceed()
{
    const QString task = createTask(
        Json{{"max_retries", 3}, {"backoff_strategy", "linear"}, {"retry_base_ms", 1000}},
        R"j([{"id": "boom", "uses": "debug.echo", "if": "run.attempt < 2",
              "with": {"x": "${fromJson('nope')}"}},
             {"id": "ok", "uses": "debug.echo", "with": {"attempt": "${run.attempt}"}}])j");
    QVERIFY(m_h->runAndSettle(task).status == RunStatus::Failed);
    m_h->clock().set(m_h->clock().now().addSecs(1));
    m_h->poke();
    QTRY_VERIFY_WITH_TIMEOUT(runsOf(task).size() == 2 && runsOf(task)[1].isFinished(), 10000);
    const std::vector<Run> runs = runsOf(task);
    QVERIFY2(runs[1].status == RunStatus::Succeeded, qPrintable(runs[1].error));
    QVERIFY(runs[1].output == (Json{{"attempt", 2}}));
    QTest::qWait(200);
    QCOMPARE(int(runsOf(task).size()), 2); // success ends the retries
}

void tst_RunRetries::retrySettingsAreValidated()
{
    TaskService &tasks = m_h->services().tasks;
    const Json base{
        {"title", "t"}, {"schedule_kind", "manual"}, {"payload", {{"pipeline", Json::array()}}}};
    auto refused = [&](const Json &extra) {
        Json document = base;
        document.update(extra);
        Result<Task> task = tasks.create(document, QStringLiteral("test"));
        return task ? QString() : task.error().describe();
    };
    QCOMPARE(refused(Json{{"backoff_strategy", "random"}}),
             QStringLiteral("backoff_strategy: must be exponential_jitter, linear or fixed"));
    QCOMPARE(refused(Json{{"retry_base_ms", 5000}, {"retry_max_ms", 1000}}),
             QStringLiteral("retry_max_ms: must be at least retry_base_ms (5000)"));
    QVERIFY(refused(Json{{"max_retries", 101}}).startsWith(QLatin1String("max_retries:")));
    Result<Task> task = tasks.create(Json{{"title", "t"},
                                          {"schedule_kind", "manual"},
                                          {"payload", {{"pipeline", Json::array()}}},
                                          {"max_retries", 4},
                                          {"backoff_strategy", "linear"},
                                          {"retry_base_ms", 250}},
                                     QStringLiteral("test"));
    QVERIFY(task);
    const Json shown = task->toJson();
    QVERIFY(shown["max_retries"] == 4);
    QVERIFY(shown["backoff_strategy"] == "linear");
    QVERIFY(shown["retry_base_ms"] == 250);
    QVERIFY(shown["retry_max_ms"] == 300000);
}

QTEST_GUILESS_MAIN(tst_RunRetries)
#include "tst_RunRetries.moc"
