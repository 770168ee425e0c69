// SettingsService: the engine settings read with defaults, changed with audit and an event, bad
// values refused without change, and a running engine applying a new run_all cap at once.
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
    QVERIFY(*values == (Json{{"scheduler.run_all_cap", 10}}));
}

void tst_SettingsService::badChangesAreRefusedAndChangeNothing_data()
{
    QTest::addColumn<QString>("patch");
    QTest::addColumn<QString>("described");
    QTest::newRow("zero") << QStringLiteral(R"({"scheduler.run_all_cap":0})")
                          << QStringLiteral(
                                 "scheduler.run_all_cap: must be an integer from 1 to 1000");
    QTest::newRow("text") << QStringLiteral(R"({"scheduler.run_all_cap":"5"})")
                          << QStringLiteral(
                                 "scheduler.run_all_cap: must be an integer from 1 to 1000");
    QTest::newRow("unknown") << QStringLiteral(R"({"scheduler.run_all_cap":5,"colour":"red"})")
                             << QStringLiteral(
                                    "colour: is not a setting (known: scheduler.run_all_cap)");
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
    QVERIFY(*m_services->settings.get() == (Json{{"scheduler.run_all_cap", 10}}));
    QVERIFY(AuditLog(m_engine->database()).forSubject(QStringLiteral("settings"))->empty());
    QVERIFY(!m_services->settings.update(Json::array(), QStringLiteral("t")));
}

void tst_SettingsService::changeIsStoredAuditedAndAnnounced()
{
    Result<Json> changed = m_services->settings.update(Json{{"scheduler.run_all_cap", 25}},
                                                       QStringLiteral("agent:a"));
    QVERIFY(changed);
    QVERIFY(*changed == (Json{{"scheduler.run_all_cap", 25}}));
    QVERIFY(*m_services->settings.get() == *changed);
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
