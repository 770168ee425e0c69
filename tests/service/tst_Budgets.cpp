// Daily budgets (api.agent_budgets): an agent's tasks queue at most its runs per local day —
// further occurrences are recorded skipped, saying why — and their llm.chat steps stop once its
// tokens are spent; the budget renews at local midnight; the person's own tasks have none.
#include "support/EngineHarness.h"
#include "support/LlmStubServer.h"

#include "runtime/Budgets.h"
#include "store/UsageStore.h"

#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

namespace {

const QString kAgent = QStringLiteral("agent:budgeted");

} // namespace

class tst_Budgets final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void allowancesComeFromTheSettingWithOverridesById();
    void occurrencesPastTheRunBudgetAreSkippedSayingWhy();
    void theRunBudgetRenewsAtLocalMidnight();
    void llmStepsStopOnceTheTokensAreSpent();
    void theSettingIsValidated();

private:
    static void setBudgets(test::EngineHarness &harness, const Json &budgets);
};

void tst_Budgets::setBudgets(test::EngineHarness &harness, const Json &budgets)
{
    Result<Json> set = harness.services().settings.update(Json{{"api.agent_budgets", budgets}},
                                                          QStringLiteral("user"));
    QVERIFY2(set, set ? "" : qPrintable(set.error().describe()));
}

void tst_Budgets::allowancesComeFromTheSettingWithOverridesById()
{
    test::EngineHarness harness;
    const Budgets &budgets = harness.engine().budgets();
    // No limits by default.
    QCOMPARE(budgets.allowanceOf(kAgent).runsPerDay, 0);
    QVERIFY(budgets.admitRun(kAgent));
    setBudgets(harness, Json{{"runs_per_day", 100},
                             {"llm_tokens_per_day", 5000},
                             {"agents", {{"budgeted", {{"runs_per_day", 3}}}}}});
    QCOMPARE(budgets.allowanceOf(kAgent).runsPerDay, 3);
    QCOMPARE(budgets.allowanceOf(kAgent).llmTokensPerDay, 5000);
    QCOMPARE(budgets.allowanceOf(QStringLiteral("agent:other")).runsPerDay, 100);
    // The person's tasks (created by the user, the CLI, tests) have no budget.
    QCOMPARE(budgets.allowanceOf(QStringLiteral("user")).runsPerDay, 0);
    QCOMPARE(budgets.allowanceOf(QStringLiteral("user")).llmTokensPerDay, 0);
}

void tst_Budgets::occurrencesPastTheRunBudgetAreSkippedSayingWhy()
{
    test::EngineHarness harness(1, QStringLiteral("2026-06-10T12:00:30Z"));
    setBudgets(harness, Json{{"runs_per_day", 0},
                             {"llm_tokens_per_day", 0},
                             {"agents", {{"budgeted", {{"runs_per_day", 2}}}}}});
    const Json document{{"title", "every minute"},      {"schedule_kind", "cron"},
                        {"schedule_expr", "* * * * *"}, {"timezone", "UTC"},
                        {"misfire_policy", "run_all"},  {"payload", {{"pipeline", Json::array()}}}};
    Result<Task> agents = harness.services().tasks.create(document, kAgent);
    QVERIFY2(agents, agents ? "" : qPrintable(agents.error().describe()));
    Result<Task> users = harness.services().tasks.create(document, QStringLiteral("user"));
    QVERIFY(users);

    // Four occurrences come due at once (12:01 … 12:04).
    harness.clock().advanceMs(4 * 60 * 1000);
    harness.poke();
    auto runsOf = [&](const QString &taskId) {
        RunFilter filter;
        filter.taskId = taskId;
        filter.limit = 50;
        Result<RunPage> page = harness.services().runs.list(filter);
        return page ? page->items : std::vector<Run>();
    };
    QTRY_COMPARE_WITH_TIMEOUT(int(runsOf(agents->id).size()), 4, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(int(runsOf(users->id).size()), 4, 10000);
    int skipped = 0;
    for (const Run &run : runsOf(agents->id)) {
        if (run.status != RunStatus::Skipped)
            continue;
        ++skipped;
        QVERIFY2(run.error.contains(QLatin1String("api.agent_budgets"))
                     && run.error.contains(QLatin1String("2 of its 2 runs")),
                 qPrintable(run.error));
    }
    QCOMPARE(skipped, 2);
    // The user's task has no budget: nothing skipped.
    for (const Run &run : runsOf(users->id))
        QVERIFY2(run.status != RunStatus::Skipped, qPrintable(run.error));
    // Skipped occurrences do not count as used runs.
    Result<qint64> used = UsageStore(harness.engine().database())
                              .runsSince(kAgent, harness.engine().budgets().dayStart());
    QVERIFY(used);
    QCOMPARE(*used, 2);
    Status refused = harness.engine().budgets().admitRun(kAgent);
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, ErrorCode::RateLimited);
    QVERIFY2(refused.error().message.contains(QLatin1String("local midnight")),
             qPrintable(refused.error().message));
}

void tst_Budgets::theRunBudgetRenewsAtLocalMidnight()
{
    test::EngineHarness harness;
    setBudgets(harness,
               Json{{"runs_per_day", 1}, {"llm_tokens_per_day", 0}, {"agents", Json::object()}});
    const Json document{{"title", "by hand"},
                        {"schedule_kind", "manual"},
                        {"payload", {{"pipeline", Json::array()}}}};
    Result<Task> task = harness.services().tasks.create(document, kAgent);
    QVERIFY(task);
    const Budgets &budgets = harness.engine().budgets();
    QVERIFY(budgets.admitRun(kAgent));
    const Run first = harness.runAndSettle(task->id);
    QCOMPARE(toString(first.status), toString(RunStatus::Succeeded));
    QVERIFY(!budgets.admitRun(kAgent));
    // Run-now (the API, MCP, the GUI) is refused, saying why, and queues nothing.
    Result<Run> refused
        = harness.services().runs.runNow(task->id, RunTrigger::Api, QStringLiteral("user"));
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, ErrorCode::RateLimited);
    QVERIFY2(refused.error().message.contains(QLatin1String("1 of its 1 runs")),
             qPrintable(refused.error().message));
    // An event its task listens to queues nothing for it either, and says so; the event is kept.
    const Json listener{{"title", "on mail"},
                        {"schedule_kind", "event"},
                        {"schedule_expr", "mail.received"},
                        {"payload", {{"pipeline", Json::array()}}}};
    Result<Task> listening = harness.services().tasks.create(listener, kAgent);
    Result<Task> usersListening = harness.services().tasks.create(listener, QStringLiteral("user"));
    QVERIFY(listening && usersListening);
    Result<PostedEvent> posted = harness.services().events.post(
        Json{{"topic", "mail.received"}, {"payload", Json::object()}}, QStringLiteral("user"));
    QVERIFY2(posted, posted ? "" : qPrintable(posted.error().describe()));
    QCOMPARE(int(posted->runs.size()), 1);
    QCOMPARE(posted->runs.front().taskId, usersListening->id);
    QCOMPARE(int(posted->overBudget.size()), 1);
    QCOMPARE(posted->overBudget.front().first, listening->id);
    // One millisecond before midnight still today; at midnight a new day.
    const QDateTime midnight = budgets.nextDayStart();
    harness.clock().set(midnight.addMSecs(-1));
    QVERIFY(!budgets.admitRun(kAgent));
    harness.clock().set(midnight);
    QVERIFY(budgets.admitRun(kAgent));
    QCOMPARE(budgets.dayStart(), midnight);
}

void tst_Budgets::llmStepsStopOnceTheTokensAreSpent()
{
    test::LlmStubServer stub; // 11 + 7 tokens a reply
    test::EngineHarness harness;
    Result<Json> providers = harness.services().settings.update(
        Json{{"tools.llm.providers",
              {{"stub",
                {{"api", "openai"}, {"base_url", stub.baseUrl().toStdString()}, {"model", "m"}}}}}},
        QStringLiteral("user"));
    QVERIFY2(providers, providers ? "" : qPrintable(providers.error().describe()));
    setBudgets(harness, Json{{"runs_per_day", 0},
                             {"llm_tokens_per_day", 0},
                             {"agents", {{"budgeted", {{"llm_tokens_per_day", 30}}}}}});
    const Json document{
        {"title", "ask"},
        {"schedule_kind", "manual"},
        {"payload",
         {{"pipeline",
           Json::array({Json{{"id", "ask"},
                             {"uses", "llm.chat"},
                             {"with", {{"provider", "stub"}, {"prompt", "hello"}}}}})}}}};
    Result<Task> agents = harness.services().tasks.create(document, kAgent);
    Result<Task> users = harness.services().tasks.create(document, QStringLiteral("user"));
    QVERIFY(agents && users);

    // 0 and then 18 tokens used: both under 30, both called.
    QCOMPARE(toString(harness.runAndSettle(agents->id).status), toString(RunStatus::Succeeded));
    QCOMPARE(toString(harness.runAndSettle(agents->id).status), toString(RunStatus::Succeeded));
    Result<qint64> used = UsageStore(harness.engine().database())
                              .llmTokensSince(kAgent, harness.engine().budgets().dayStart());
    QVERIFY(used);
    QCOMPARE(*used, 36);
    const int calls = int(stub.requests().size());
    QCOMPARE(calls, 2);
    // 36 of 30: the step fails before calling the model, saying why.
    const Run refused = harness.runAndSettle(agents->id);
    QCOMPARE(toString(refused.status), toString(RunStatus::Failed));
    QVERIFY2(refused.error.contains(QLatin1String("language-model tokens"))
                 && refused.error.contains(QLatin1String("36 of its 30")),
             qPrintable(refused.error));
    QCOMPARE(int(stub.requests().size()), calls);
    // The person's task with the same step still runs.
    QCOMPARE(toString(harness.runAndSettle(users->id).status), toString(RunStatus::Succeeded));
    QCOMPARE(int(stub.requests().size()), calls + 1);
}

void tst_Budgets::theSettingIsValidated()
{
    test::EngineHarness harness;
    for (const Json &bad :
         {Json{{"runs_per_day", -1}, {"llm_tokens_per_day", 0}, {"agents", Json::object()}},
          Json{{"runs_per_day", 1}, {"llm_tokens_per_day", 0}, {"agents", {{"x", {{"runs", 1}}}}}},
          Json{{"runs_per_day", "many"}, {"llm_tokens_per_day", 0}, {"agents", Json::object()}}}) {
        Result<Json> set = harness.services().settings.update(Json{{"api.agent_budgets", bad}},
                                                              QStringLiteral("user"));
        QVERIFY2(!set, bad.dump().c_str());
        QVERIFY2(set.error().describe().contains(QLatin1String("api.agent_budgets")),
                 qPrintable(set.error().describe()));
    }
    QCOMPARE(harness.engine().budgets().allowanceOf(kAgent).runsPerDay, 0);
}

QTEST_GUILESS_MAIN(tst_Budgets)
#include "tst_Budgets.moc"
