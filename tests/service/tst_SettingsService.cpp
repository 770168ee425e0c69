// SettingsService: the engine settings read with defaults, changed with audit and an event, bad
// values refused without change, and a running engine applying a new run_all cap at once.
#include "support/TempDataDir.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "runtime/EngineSettings.h"
#include "service/Services.h"
#include "store/AuditLog.h"
#include "store/EventLog.h"
#include "store/RunStore.h"
#include "tools/ToolEnvironment.h"

#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

class tst_SettingsService final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void defaultsAreShown();
    void badChangesAreRefusedAndChangeNothing_data();
    void badChangesAreRefusedAndChangeNothing();
    void changeIsStoredAuditedAndAnnounced();
    void runningEngineAppliesTheRunAllCap();

private:
    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

void tst_SettingsService::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_SettingsService::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    m_clock = std::make_unique<ManualClock>(*parseInstant(QStringLiteral("2026-06-10T12:00:00Z")));
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, m_clock.get()});
    QVERIFY(engine);
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
}

void tst_SettingsService::cleanup()
{
    m_services.reset();
    m_engine.reset();
    m_clock.reset();
    m_dir.reset();
}

void tst_SettingsService::defaultsAreShown()
{
    Result<Json> values = m_services->settings.get();
    QVERIFY(values);
    QVERIFY(*values == EngineSettings{}.toJson());
    QCOMPARE((*values)["scheduler.run_all_cap"].get<int>(), 10);
    QCOMPARE((*values)["tools.shell.enabled"].get<bool>(), false);
    QVERIFY((*values)["tools.files.allowed_folders"] == Json::array());
}

void tst_SettingsService::badChangesAreRefusedAndChangeNothing_data()
{
    QTest::addColumn<QString>("patch");
    QTest::addColumn<QString>("described");
    QTest::newRow("zero") << QStringLiteral(R"({"scheduler.run_all_cap":0})")
                          << QStringLiteral("scheduler.run_all_cap: must be at least 1");
    QTest::newRow("too many") << QStringLiteral(R"({"scheduler.run_all_cap":1001})")
                              << QStringLiteral("scheduler.run_all_cap: must be at most 1000");
    QTest::newRow("text") << QStringLiteral(R"({"scheduler.run_all_cap":"5"})")
                          << QStringLiteral(
                                 "scheduler.run_all_cap: must be an integer, got a string");
    QTest::newRow("unknown")
        << QStringLiteral(R"({"scheduler.run_all_cap":5,"colour":"red"})")
        << QStringLiteral("colour: is not a setting (known: scheduler.run_all_cap, "
                          "api.rate_limit, api.agent_budgets, tools.shell.enabled, "
                          "tools.shell.allowed_programs, "
                          "tools.files.allowed_folders, tools.email.smtp, tools.llm.providers)");
    QTest::newRow("relative folder")
        << QStringLiteral(R"({"tools.files.allowed_folders":["/srv/a","notes"]})")
        << QStringLiteral(
               "tools.files.allowed_folders[1]: must be an absolute folder, got 'notes'");
    QTest::newRow("program not a string")
        << QStringLiteral(R"({"tools.shell.allowed_programs":["ls",3]})")
        << QStringLiteral("tools.shell.allowed_programs[1]: must be a string, got an integer");
    QTest::newRow("smtp security")
        << QStringLiteral("{\"tools.email.smtp\":{\"host\":\"h\",\"port\":25,"
                          "\"security\":\"ssl\",\"username\":\"\",\"from\":\"a@b\"}}")
        << QStringLiteral("tools.email.smtp.security: must be one of \"starttls\", \"tls\", "
                          "\"none\", got \"ssl\"");
    QTest::newRow("smtp missing field")
        << QStringLiteral(R"({"tools.email.smtp":{"host":"h","port":25,"security":"tls"}})")
        << QStringLiteral("tools.email.smtp.from: is required");
    QTest::newRow("provider api") << QStringLiteral(
        R"({"tools.llm.providers":{"x":{"api":"gpt","base_url":"h"}}})")
                                  << QStringLiteral(
                                         "tools.llm.providers.x.api: must be one of \"openai\", "
                                         "\"anthropic\", got \"gpt\"");
}

void tst_SettingsService::badChangesAreRefusedAndChangeNothing()
{
    QFETCH(QString, patch);
    QFETCH(QString, described);
    Result<Json> changed
        = m_services->settings.update(Json::parse(patch.toStdString()), QStringLiteral("t"));
    QVERIFY(!changed);
    QVERIFY(changed.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(changed.error().describe(), described);
    QVERIFY(*m_services->settings.get() == EngineSettings{}.toJson());
    QVERIFY(AuditLog(m_engine->database()).forSubject(QStringLiteral("settings"))->empty());
    QVERIFY(!m_services->settings.update(Json::array(), QStringLiteral("t")));
}

void tst_SettingsService::changeIsStoredAuditedAndAnnounced()
{
    Result<Json> changed = m_services->settings.update(Json{{"scheduler.run_all_cap", 25}},
                                                       QStringLiteral("agent:a"));
    QVERIFY(changed);
    QCOMPARE((*changed)["scheduler.run_all_cap"].get<int>(), 25);
    QVERIFY(*m_services->settings.get() == *changed);
    // Tools see the change at once, before any event is delivered.
    QVERIFY(m_engine->toolEnvironment().settings() == *changed);
    const auto audit = AuditLog(m_engine->database()).forSubject(QStringLiteral("settings"));
    QCOMPARE(int(audit->size()), 1);
    QVERIFY(audit->front().details["before"]["scheduler.run_all_cap"] == 10);
    const auto events = EventLog(m_engine->database()).since(0, 10);
    QCOMPARE(events->back().topic, QStringLiteral("settings.changed"));
}

void tst_SettingsService::runningEngineAppliesTheRunAllCap()
{
    QVERIFY(m_services->settings.update(Json{{"scheduler.run_all_cap", 3}}, QStringLiteral("t")));
    m_engine->start();
    Result<Task> hourly = m_services->tasks.create(Json::parse(R"({"title":"h",
        "schedule_kind":"rrule","schedule_expr":"FREQ=HOURLY","dtstart":"2026-06-10T13:00:00",
        "misfire_policy":"run_all","payload":{"pipeline":[]}})"),
                                                   QStringLiteral("t"));
    QVERIFY(hourly);
    // The machine sleeps through five occurrences (13:00 … 17:00); any task change makes the
    // scheduler look again.
    m_clock->set(*parseInstant(QStringLiteral("2026-06-10T17:30:00Z")));
    QVERIFY(m_services->tasks.create(
        Json::parse(R"({"title":"poke","schedule_kind":"manual","payload":{"pipeline":[]}})"),
        QStringLiteral("t")));
    auto runs = [&] {
        return RunStore(m_engine->database())
            .list(RunFilter{hourly->id, std::nullopt, 50, 0})
            ->total;
    };
    QTRY_COMPARE_WITH_TIMEOUT(runs(), 3, 10000);
    QTest::qWait(200);
    QCOMPARE(runs(), 3); // the three latest, not five
    m_engine->stop();
}

QTEST_GUILESS_MAIN(tst_SettingsService)
#include "tst_SettingsService.moc"
