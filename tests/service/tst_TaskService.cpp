// TaskService: validation errors name the field and change nothing; every mutation is versioned,
// audited and announced as an event.
#include "support/TempDataDir.h"

#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "service/Services.h"
#include "store/AuditLog.h"
#include "store/EventLog.h"

#include <QSignalSpy>
#include <QTest>
#include <QTimeZone>

using namespace ordinaut;

namespace {

const char *const kValid
    = R"({"title":"Daily","schedule_kind":"rrule","schedule_expr":"FREQ=DAILY;BYHOUR=9",
    "timezone":"Europe/Berlin","dtstart":"2026-01-01T09:00:00",
    "payload":{"pipeline":[{"id":"a","uses":"debug.echo","with":{"x":1}}]}})";

} // namespace

class tst_TaskService final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void createStoresVersionAuditAndEvent();
    void validationErrorsNameTheFieldAndCreateNothing_data();
    void validationErrorsNameTheFieldAndCreateNothing();
    void updateBumpsVersionAndRefusesStaleVersion();
    void pauseAndResumeManageNextRun();
    void removeMakesTaskNotFound();
    void listFiltersAndPaginates();
    void onceInThePastIsRefused();
    void ruleWithoutDtstartIsAnchoredAtTheMinute();

private:
    Task create(const char *body);

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

void tst_TaskService::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, nullptr});
    QVERIFY(engine);
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
}

void tst_TaskService::cleanup()
{
    m_services.reset();
    m_engine.reset();
    m_dir.reset();
}

Task tst_TaskService::create(const char *body)
{
    Result<Task> task = m_services->tasks.create(Json::parse(body), QStringLiteral("tester"));
    if (!task)
        qFatal("create failed: %s", qPrintable(task.error().describe()));
    return *task;
}

void tst_TaskService::createStoresVersionAuditAndEvent()
{
    QSignalSpy announced(&m_engine->eventBus(), &EventBus::eventPublished);
    const Task task = create(kValid);
    QCOMPARE(task.version, 1);
    QVERIFY(task.status == TaskStatus::Active);
    QCOMPARE(task.createdBy, QStringLiteral("tester"));
    QVERIFY(task.nextRunAt.isValid());
    QCOMPARE(task.nextRunAt.toTimeZone(QTimeZone("Europe/Berlin")).time(), QTime(9, 0));

    Result<Json> version = TaskStore(m_engine->database()).versionDocument(task.id, 1);
    QVERIFY(version);
    QVERIFY((*version)["title"] == "Daily");
    Result<std::vector<AuditEntry>> audit = AuditLog(m_engine->database()).forSubject(task.id);
    QVERIFY(audit);
    QCOMPARE(int(audit->size()), 1);
    QCOMPARE(audit->at(0).action, QStringLiteral("task.create"));
    QCOMPARE(audit->at(0).actor, QStringLiteral("tester"));
    Result<std::vector<Event>> events = EventLog(m_engine->database()).since(0, 10);
    QVERIFY(events);
    QCOMPARE(int(events->size()), 1);
    QCOMPARE(events->at(0).topic, QStringLiteral("task.created"));
    QCOMPARE(announced.count(), 1);
    QCOMPARE(announced.at(0).at(0).value<Event>().id, events->at(0).id);
}

void tst_TaskService::validationErrorsNameTheFieldAndCreateNothing_data()
{
    QTest::addColumn<QString>("body");
    QTest::addColumn<QString>("described");
    const QString step
        = QStringLiteral(R"("payload":{"pipeline":[{"id":"a","uses":"debug.echo","with":{}}]})");
    QTest::newRow("missingTitle") << QStringLiteral("{") + step + QStringLiteral("}")
                                  << "title: is required";
    QTest::newRow("blankTitle") << QStringLiteral(R"({"title":"  ",)") + step + QStringLiteral("}")
                                << "title: must not be empty";
    QTest::newRow("unknownTool")
        << R"({"title":"x","payload":{"pipeline":[{"id":"a","uses":"debug.echo"},{"id":"b","uses":"x"}]}})"
        << "payload.pipeline[1].uses: unknown tool 'x'";
    QTest::newRow("badTimezone") << QStringLiteral(R"({"title":"x","timezone":"Nowhere/City",)")
                                        + step + QStringLiteral("}")
                                 << "timezone: 'Nowhere/City' is not an IANA time zone";
    QTest::newRow("badRrule")
        << QStringLiteral(R"({"title":"x","schedule_kind":"rrule","schedule_expr":"EVERY DAY",)")
               + step + QStringLiteral("}")
        << "schedule_expr: 'EVERY DAY' is not an RFC 5545 RRULE";
    QTest::newRow("cronNotYet")
        << QStringLiteral(R"({"title":"x","schedule_kind":"cron","schedule_expr":"* * * * *",)")
               + step + QStringLiteral("}")
        << "schedule_kind: 'cron' schedules are not supported by this version";
    QTest::newRow("priorityRange")
        << QStringLiteral(R"({"title":"x","priority":0,)") + step + QStringLiteral("}")
        << "priority: must be an integer from 1 to 9";
    QTest::newRow("unknownField") << QStringLiteral(R"({"title":"x","colour":"red",)") + step
                                         + QStringLiteral("}")
                                  << "colour: is not a task field";
    QTest::newRow("missingPayload") << R"({"title":"x"})"
                                    << "payload: is required";
    QTest::newRow("onceWithoutExpr")
        << QStringLiteral(R"({"title":"x","schedule_kind":"once",)") + step + QStringLiteral("}")
        << "schedule_expr: is required for a 'once' schedule";
}

void tst_TaskService::validationErrorsNameTheFieldAndCreateNothing()
{
    QFETCH(QString, body);
    QFETCH(QString, described);
    QSignalSpy announced(&m_engine->eventBus(), &EventBus::eventPublished);
    Result<Task> task
        = m_services->tasks.create(Json::parse(body.toStdString()), QStringLiteral("tester"));
    QVERIFY(!task);
    QVERIFY(task.error().code == ErrorCode::InvalidArgument);
    QVERIFY2(task.error().describe().startsWith(described), qPrintable(task.error().describe()));
    QCOMPARE(m_services->tasks.list(std::nullopt, 10, 0)->total, 0);
    QCOMPARE(int(EventLog(m_engine->database()).since(0, 10)->size()), 0);
    QCOMPARE(announced.count(), 0);
}

void tst_TaskService::updateBumpsVersionAndRefusesStaleVersion()
{
    const Task task = create(kValid);
    Result<Task> updated = m_services->tasks.update(
        task.id, Json::parse(R"({"title":"Renamed","version":1,"priority":2})"),
        QStringLiteral("tester"));
    QVERIFY2(updated, qPrintable(updated ? QString() : updated.error().describe()));
    QCOMPARE(updated->version, 2);
    QCOMPARE(updated->title, QStringLiteral("Renamed"));
    QCOMPARE(updated->priority, 2);
    QCOMPARE(updated->schedule.expression, task.schedule.expression); // absent fields are kept
    QVERIFY(TaskStore(m_engine->database()).versionDocument(task.id, 2));

    Result<Task> stale = m_services->tasks.update(
        task.id, Json::parse(R"({"title":"Lost","version":1})"), QStringLiteral("other"));
    QVERIFY(!stale);
    QVERIFY(stale.error().code == ErrorCode::Conflict);
    QCOMPARE(m_services->tasks.get(task.id)->title, QStringLiteral("Renamed"));

    Result<Task> invalid
        = m_services->tasks.update(task.id, Json::parse(R"({"priority":99})"), QStringLiteral("x"));
    QVERIFY(!invalid);
    QCOMPARE(m_services->tasks.get(task.id)->version, 2);
}

void tst_TaskService::pauseAndResumeManageNextRun()
{
    const Task task = create(kValid);
    QSignalSpy announced(&m_engine->eventBus(), &EventBus::eventPublished);
    Result<Task> paused = m_services->tasks.pause(task.id, QStringLiteral("tester"));
    QVERIFY(paused);
    QVERIFY(paused->status == TaskStatus::Paused);
    QVERIFY(!paused->nextRunAt.isValid());
    Result<Task> resumed = m_services->tasks.resume(task.id, QStringLiteral("tester"));
    QVERIFY(resumed);
    QVERIFY(resumed->status == TaskStatus::Active);
    QVERIFY(resumed->nextRunAt > QDateTime::currentDateTimeUtc());
    QCOMPARE(announced.count(), 2);
    QCOMPARE(announced.at(0).at(0).value<Event>().topic, QStringLiteral("task.paused"));
    QCOMPARE(announced.at(1).at(0).value<Event>().topic, QStringLiteral("task.resumed"));
    QCOMPARE(int(AuditLog(m_engine->database()).forSubject(task.id)->size()), 3);
    QVERIFY(m_services->tasks.pause(QStringLiteral("nope"), QStringLiteral("x")).error().code
            == ErrorCode::NotFound);
}

void tst_TaskService::removeMakesTaskNotFound()
{
    const Task task = create(kValid);
    QVERIFY(m_services->tasks.remove(task.id, QStringLiteral("tester")));
    QVERIFY(m_services->tasks.get(task.id).error().code == ErrorCode::NotFound);
    QVERIFY(m_services->tasks.remove(task.id, QStringLiteral("tester")).error().code
            == ErrorCode::NotFound);
}

void tst_TaskService::listFiltersAndPaginates()
{
    for (int i = 0; i < 5; ++i)
        create(kValid);
    const Task paused = create(kValid);
    QVERIFY(m_services->tasks.pause(paused.id, QStringLiteral("t")));
    QCOMPARE(m_services->tasks.list(std::nullopt, 4, 0)->items.size(), size_t(4));
    QCOMPARE(m_services->tasks.list(std::nullopt, 4, 4)->items.size(), size_t(2));
    QVERIFY(m_services->tasks.list(TaskStatus::Paused, 10, 0)->total == 1);
    QVERIFY(m_services->tasks.list(TaskStatus::Active, 10, 0)->total == 5);
    QCOMPARE(m_services->tasks.list(std::nullopt, 0, 0).error().field, QStringLiteral("limit"));
}

void tst_TaskService::onceInThePastIsRefused()
{
    Result<Task> task = m_services->tasks.create(
        Json::parse(
            R"({"title":"late","schedule_kind":"once","schedule_expr":"2020-01-01T00:00:00Z",
            "payload":{"pipeline":[]}})"),
        QStringLiteral("t"));
    QVERIFY(!task);
    QCOMPARE(task.error().field, QStringLiteral("schedule_expr"));
    QVERIFY(task.error().message.contains(QLatin1String("in the past")));
}

void tst_TaskService::ruleWithoutDtstartIsAnchoredAtTheMinute()
{
    const Task task = create(
        R"({"title":"hourly","schedule_kind":"rrule","schedule_expr":"FREQ=HOURLY;BYMINUTE=0",
        "timezone":"Asia/Kolkata","payload":{"pipeline":[]}})");
    QVERIFY(task.schedule.dtstart.endsWith(QLatin1String(":00")));
    const QDateTime next = task.nextRunAt.toTimeZone(QTimeZone("Asia/Kolkata"));
    QCOMPARE(next.time().minute(), 0);
    QCOMPARE(next.time().second(), 0);
    QVERIFY(task.nextRunAt > QDateTime::currentDateTimeUtc());
    QVERIFY(task.nextRunAt <= QDateTime::currentDateTimeUtc().addSecs(3600));
}

QTEST_GUILESS_MAIN(tst_TaskService)
#include "tst_TaskService.moc"
