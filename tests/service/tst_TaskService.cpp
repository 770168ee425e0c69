// TaskService: validation errors name the field and change nothing; every mutation is versioned,
// audited and announced as an event.
#include "support/TempDataDir.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "service/Services.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"

#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
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
    void initTestCase();
    void init();
    void cleanup();
    void createStoresVersionAuditAndEvent();
    void validationErrorsNameTheFieldAndCreateNothing_data();
    void validationErrorsNameTheFieldAndCreateNothing();
    void misfireSettingsRoundTrip();
    void flowControlSettingsRoundTrip();
    void flowControlUpdatesKeepKeysAndNumbersTogether();
    void updateBumpsVersionAndRefusesStaleVersion();
    void updateWithOutOfRangeVersionIsRefused();
    void changesAreAnnouncedInOrder();
    void pauseAndResumeManageNextRun();
    void pausingPausedTaskChangesNothing();
    void removeMakesTaskNotFound();
    void listFiltersAndPaginates();
    void onceInThePastIsRefused();
    void ruleWithoutDtstartIsAnchoredAtTheMinute();
    void aProposingAgentsTaskIsProposedUntilAccepted();
    void cancelArchivesAndIsAnnouncedInThePastTense();
    void listFilterRefusesWhatItCannotServe();

private:
    Task create(const char *body);
    int rowCount(const char *table) const;

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

void tst_TaskService::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_TaskService::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    // Starts at the real time so instants in the bodies below are "in the future", then moves
    // only when a test says so.
    m_clock = std::make_unique<ManualClock>(
        QDateTime::fromMSecsSinceEpoch(QDateTime::currentMSecsSinceEpoch(), Qt::UTC));
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, m_clock.get()});
    QVERIFY(engine);
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
}

void tst_TaskService::cleanup()
{
    m_services.reset();
    m_engine.reset();
    m_clock.reset();
    m_dir.reset();
}

Task tst_TaskService::create(const char *body)
{
    Result<Task> task = m_services->tasks.create(Json::parse(body), QStringLiteral("tester"));
    if (!task)
        qFatal("create failed: %s", qPrintable(task.error().describe()));
    return *task;
}

int tst_TaskService::rowCount(const char *table) const
{
    QSqlQuery query(m_engine->database().connection());
    if (!query.exec(QStringLiteral("SELECT COUNT(*) FROM ") + QLatin1String(table))
        || !query.next())
        return -1;
    return query.value(0).toInt();
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
    QVERIFY(events->at(0).payload["task_id"] == task.id.toStdString());
    QCOMPARE(announced.count(), 1);
    QCOMPARE(announced.at(0).at(0).value<Event>().id, events->at(0).id);
    QCOMPARE(rowCount("tasks"), 1);
    QCOMPARE(rowCount("task_versions"), 1);

    // What was stored is what was returned.
    Result<Task> read = m_services->tasks.get(task.id);
    QVERIFY(read);
    QCOMPARE(read->toJson().dump(), task.toJson().dump());
    QVERIFY(*version == task.toJson());
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
    QTest::newRow("eventTopic")
        << QStringLiteral(
               R"({"title":"x","schedule_kind":"event","schedule_expr":"mail received",)")
               + step + QStringLiteral("}")
        << "schedule_expr: 'mail received' is not an event topic";
    QTest::newRow("unknownCalendar")
        << QStringLiteral(
               R"({"title":"x","schedule_kind":"rrule","schedule_expr":"FREQ=DAILY","calendar":"nope",)")
               + step + QStringLiteral("}")
        << "calendar: no imported calendar named 'nope' (none imported yet)";
    QTest::newRow("priorityRange")
        << QStringLiteral(R"({"title":"x","priority":0,)") + step + QStringLiteral("}")
        << "priority: must be an integer from 1 to 9";
    QTest::newRow("badMisfirePolicy")
        << QStringLiteral(R"({"title":"x","misfire_policy":"sometimes",)") + step
               + QStringLiteral("}")
        << "misfire_policy: must be run_once, run_all or skip";
    QTest::newRow("negativeGrace") << QStringLiteral(R"({"title":"x","misfire_grace_seconds":-1,)")
                                          + step + QStringLiteral("}")
                                   << "misfire_grace_seconds: must be an integer from 0 to 86400";
    QTest::newRow("unknownField") << QStringLiteral(R"({"title":"x","colour":"red",)") + step
                                         + QStringLiteral("}")
                                  << "colour: is not a task field";
    QTest::newRow("missingPayload") << R"({"title":"x"})"
                                    << "payload: is required";
    QTest::newRow("titleNotString") << QStringLiteral(R"({"title":5,)") + step + QStringLiteral("}")
                                    << "title: must be a string";
    QTest::newRow("priorityTen") << QStringLiteral(R"({"title":"x","priority":10,)") + step
                                        + QStringLiteral("}")
                                 << "priority: must be an integer from 1 to 9";
    QTest::newRow("priorityFraction")
        << QStringLiteral(R"({"title":"x","priority":2.5,)") + step + QStringLiteral("}")
        << "priority: must be an integer from 1 to 9";
    QTest::newRow("negativeRetries")
        << QStringLiteral(R"({"title":"x","max_retries":-1,)") + step + QStringLiteral("}")
        << "max_retries: must be an integer from 0 to 100";
    QTest::newRow("unknownScheduleKind")
        << QStringLiteral(R"({"title":"x","schedule_kind":"hourly","schedule_expr":"x",)") + step
               + QStringLiteral("}")
        << "schedule_kind: 'hourly' is not a schedule kind";
    QTest::newRow("dtstartWithOffset")
        << QStringLiteral(R"({"title":"x","schedule_kind":"rrule","schedule_expr":"FREQ=DAILY",
                              "dtstart":"2026-12-01T07:30:00Z",)")
               + step + QStringLiteral("}")
        << "dtstart: '2026-12-01T07:30:00Z' is not a local date-time";
    QTest::newRow("duplicateStepId")
        << R"({"title":"x","payload":{"pipeline":[{"id":"a","uses":"debug.echo"},
                                                   {"id":"a","uses":"debug.echo"}]}})"
        << "payload.pipeline[1].id: 'a' is used by an earlier step";
    QTest::newRow("referenceToLaterStep")
        << R"({"title":"x","payload":{"pipeline":[
              {"id":"a","uses":"debug.echo","with":{"v":"${steps.b.x}"}},
              {"id":"b","uses":"debug.echo"}]}})"
        << "payload.pipeline[0].with.v: 1:3: steps.b.x: step 'b' runs later";
    QTest::newRow("retryTooMany")
        << R"({"title":"x","payload":{"pipeline":[{"id":"a","uses":"debug.echo",
                                                   "retry":{"max_attempts":50}}]}})"
        << "payload.pipeline[0].retry.max_attempts: must be an integer from 1 to 10";
    QTest::newRow("onceWithoutExpr")
        << QStringLiteral(R"({"title":"x","schedule_kind":"once",)") + step + QStringLiteral("}")
        << "schedule_expr: is required for a 'once' schedule";
    QTest::newRow("concurrencyKeyEmpty")
        << QStringLiteral(R"j({"title":"x","concurrency_key":" ",)j") + step + QStringLiteral("}")
        << "concurrency_key: must not be empty";
    QTest::newRow("concurrencyKeyNotString")
        << QStringLiteral(R"j({"title":"x","concurrency_key":7,)j") + step + QStringLiteral("}")
        << "concurrency_key: must be a string, got an integer";
    QTest::newRow("concurrencyKeyTooLong")
        << QStringLiteral(R"({"title":"x","concurrency_key":")") + QString(201, QLatin1Char('k'))
               + QStringLiteral(R"(",)") + step + QStringLiteral("}")
        << "concurrency_key: is longer than 200 characters";
    QTest::newRow("concurrencyLimitWithoutKey")
        << QStringLiteral(R"j({"title":"x","concurrency_limit":2,)j") + step + QStringLiteral("}")
        << "concurrency_limit: needs a concurrency_key";
    QTest::newRow("concurrencyLimitZero")
        << QStringLiteral(R"j({"title":"x","concurrency_key":"k","concurrency_limit":0,)j") + step
               + QStringLiteral("}")
        << "concurrency_limit: must be an integer from 1 to 1000";
    QTest::newRow("concurrencyLimitTooHigh")
        << QStringLiteral(R"j({"title":"x","concurrency_key":"k","concurrency_limit":1001,)j")
               + step + QStringLiteral("}")
        << "concurrency_limit: must be an integer from 1 to 1000";
    QTest::newRow("overlapPolicyUnknown")
        << QStringLiteral(R"j({"title":"x","overlap_policy":"sometimes",)j") + step
               + QStringLiteral("}")
        << "overlap_policy: must be skip, queue_one, allow or cancel_previous";
    QTest::newRow("overlapPolicyNotString")
        << QStringLiteral(R"j({"title":"x","overlap_policy":1,)j") + step + QStringLiteral("}")
        << "overlap_policy: must be skip, queue_one, allow or cancel_previous";
    QTest::newRow("dedupeKeyTemplate")
        << QStringLiteral(R"j({"title":"x","dedupe_key":"report-${params.day}",)j") + step
               + QStringLiteral("}")
        << "dedupe_key: is a literal key; templates";
    QTest::newRow("dedupeKeyEmpty")
        << QStringLiteral(R"j({"title":"x","dedupe_key":"",)j") + step + QStringLiteral("}")
        << "dedupe_key: must not be empty";
    QTest::newRow("dedupeWindowWithoutKey")
        << QStringLiteral(R"j({"title":"x","dedupe_window_seconds":60,)j") + step
               + QStringLiteral("}")
        << "dedupe_window_seconds: needs a dedupe_key";
    QTest::newRow("dedupeWindowZero")
        << QStringLiteral(R"j({"title":"x","dedupe_key":"d","dedupe_window_seconds":0,)j") + step
               + QStringLiteral("}")
        << "dedupe_window_seconds: must be an integer from 1 to 2592000";
    QTest::newRow("dedupeWindowTooLong")
        << QStringLiteral(R"j({"title":"x","dedupe_key":"d","dedupe_window_seconds":2592001,)j")
               + step + QStringLiteral("}")
        << "dedupe_window_seconds: must be an integer from 1 to 2592000";
    QTest::newRow("timeoutZero") << QStringLiteral(R"j({"title":"x","timeout_seconds":0,)j") + step
                                        + QStringLiteral("}")
                                 << "timeout_seconds: must be an integer from 1 to 604800";
    QTest::newRow("timeoutTooLong") << QStringLiteral(R"j({"title":"x","timeout_seconds":604801,)j")
                                           + step + QStringLiteral("}")
                                    << "timeout_seconds: must be an integer from 1 to 604800";
    QTest::newRow("timeoutFraction")
        << QStringLiteral(R"j({"title":"x","timeout_seconds":1.5,)j") + step + QStringLiteral("}")
        << "timeout_seconds: must be an integer from 1 to 604800";
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
    for (const char *table : {"tasks", "task_versions", "audit_log", "events", "run_queue"})
        QVERIFY2(rowCount(table) == 0, table);
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
    Result<Json> v2 = TaskStore(m_engine->database()).versionDocument(task.id, 2);
    QVERIFY(v2);
    QVERIFY((*v2)["title"] == "Renamed");
    QVERIFY((*v2)["version"] == 2);
    QVERIFY((*TaskStore(m_engine->database()).versionDocument(task.id, 1))["title"] == "Daily");
    Result<std::vector<AuditEntry>> audit = AuditLog(m_engine->database()).forSubject(task.id);
    QVERIFY(audit);
    QCOMPARE(int(audit->size()), 2);
    QCOMPARE(audit->at(1).action, QStringLiteral("task.update"));

    Result<Task> stale = m_services->tasks.update(
        task.id, Json::parse(R"({"title":"Lost","version":1})"), QStringLiteral("other"));
    QVERIFY(!stale);
    QVERIFY(stale.error().code == ErrorCode::Conflict);
    QCOMPARE(m_services->tasks.get(task.id)->title, QStringLiteral("Renamed"));

    Result<Task> invalid
        = m_services->tasks.update(task.id, Json::parse(R"({"priority":99})"), QStringLiteral("x"));
    QVERIFY(!invalid);
    QCOMPARE(invalid.error().field, QStringLiteral("priority"));
    QCOMPARE(m_services->tasks.get(task.id)->version, 2);
    QVERIFY(!TaskStore(m_engine->database()).versionDocument(task.id, 3));
    QCOMPARE(rowCount("task_versions"), 2);

    QVERIFY(
        m_services->tasks
            .update(QStringLiteral("nope"), Json::parse(R"({"title":"x"})"), QStringLiteral("x"))
            .error()
            .code
        == ErrorCode::NotFound);
}

void tst_TaskService::updateWithOutOfRangeVersionIsRefused()
{
    const Task task = create(kValid);
    // 2^32 + 1 is not version 1; it must not be taken for it.
    Result<Task> updated = m_services->tasks.update(
        task.id, Json::parse(R"({"title":"Wrapped","version":4294967297})"),
        QStringLiteral("tester"));
    QVERIFY2(!updated, "a version of 2^32 + 1 was accepted as version 1");
    QVERIFY(updated.error().code == ErrorCode::Conflict
            || updated.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(m_services->tasks.get(task.id)->title, QStringLiteral("Daily"));
}

void tst_TaskService::changesAreAnnouncedInOrder()
{
    QSignalSpy announced(&m_engine->eventBus(), &EventBus::eventPublished);
    const Task task = create(kValid);
    QVERIFY(m_services->tasks.update(task.id, Json::parse(R"({"title":"Renamed"})"),
                                     QStringLiteral("tester")));
    QVERIFY(m_services->tasks.pause(task.id, QStringLiteral("tester")));
    QVERIFY(m_services->tasks.resume(task.id, QStringLiteral("tester")));
    QVERIFY(m_services->tasks.remove(task.id, QStringLiteral("tester")));

    const QStringList expected{QStringLiteral("task.created"), QStringLiteral("task.updated"),
                               QStringLiteral("task.paused"), QStringLiteral("task.resumed"),
                               QStringLiteral("task.deleted")};
    QStringList topics;
    for (const QList<QVariant> &signal : std::as_const(announced)) {
        const Event event = signal.at(0).value<Event>();
        topics << event.topic;
        QVERIFY(event.payload["task_id"] == task.id.toStdString());
        QCOMPARE(event.source, QStringLiteral("tester"));
    }
    QCOMPARE(topics, expected);
    // Announced events are the stored ones, in the same order.
    Result<std::vector<Event>> stored = EventLog(m_engine->database()).since(0, 100);
    QVERIFY(stored);
    QCOMPARE(int(stored->size()), int(expected.size()));
    for (int i = 0; i < int(expected.size()); ++i) {
        QCOMPARE(stored->at(i).topic, expected.at(i));
        QCOMPARE(stored->at(i).id, announced.at(i).at(0).value<Event>().id);
    }
    QVERIFY(announced.at(1).at(0).value<Event>().payload["version"] == 2);
}

void tst_TaskService::pauseAndResumeManageNextRun()
{
    const Task task = create(kValid);
    QSignalSpy announced(&m_engine->eventBus(), &EventBus::eventPublished);
    Result<Task> paused = m_services->tasks.pause(task.id, QStringLiteral("tester"));
    QVERIFY(paused);
    QVERIFY(paused->status == TaskStatus::Paused);
    QVERIFY(!paused->nextRunAt.isValid());
    // Stored, not only returned.
    QVERIFY(m_services->tasks.get(task.id)->status == TaskStatus::Paused);
    QVERIFY(!m_services->tasks.get(task.id)->nextRunAt.isValid());
    Result<Task> resumed = m_services->tasks.resume(task.id, QStringLiteral("tester"));
    QVERIFY(resumed);
    QVERIFY(resumed->status == TaskStatus::Active);
    QVERIFY(resumed->nextRunAt > m_clock->now());
    QCOMPARE(resumed->nextRunAt.toTimeZone(QTimeZone("Europe/Berlin")).time(), QTime(9, 0));
    QCOMPARE(m_services->tasks.get(task.id)->nextRunAt, resumed->nextRunAt);
    QVERIFY(!m_services->tasks.get(task.id)->toJson()["next_run_at"].is_null());
    QCOMPARE(announced.count(), 2);
    QCOMPARE(announced.at(0).at(0).value<Event>().topic, QStringLiteral("task.paused"));
    QCOMPARE(announced.at(1).at(0).value<Event>().topic, QStringLiteral("task.resumed"));
    QCOMPARE(int(AuditLog(m_engine->database()).forSubject(task.id)->size()), 3);
    QVERIFY(m_services->tasks.pause(QStringLiteral("nope"), QStringLiteral("x")).error().code
            == ErrorCode::NotFound);
}

void tst_TaskService::pausingPausedTaskChangesNothing()
{
    const Task task = create(kValid);
    Result<Task> first = m_services->tasks.pause(task.id, QStringLiteral("tester"));
    QVERIFY(first);
    m_clock->advanceMs(5000);
    Result<Task> again = m_services->tasks.pause(task.id, QStringLiteral("tester"));
    QVERIFY(again);
    QVERIFY(again->status == TaskStatus::Paused);
    const Task stored = *m_services->tasks.get(task.id);
    QCOMPARE(stored.version, first->version);
    // TaskService.h: "pausing a paused task changes nothing and succeeds".
    QCOMPARE(stored.updatedAt, first->updatedAt);
}

void tst_TaskService::removeMakesTaskNotFound()
{
    const Task task = create(kValid);
    QVERIFY(m_services->tasks.remove(task.id, QStringLiteral("tester")));
    QVERIFY(m_services->tasks.get(task.id).error().code == ErrorCode::NotFound);
    QCOMPARE(rowCount("task_versions"), 0);
    QCOMPARE(m_services->tasks.list(std::nullopt, 10, 0)->total, 0);
    // The removal itself is audited.
    Result<std::vector<AuditEntry>> audit = AuditLog(m_engine->database()).forSubject(task.id);
    QVERIFY(audit);
    QCOMPARE(audit->back().action, QStringLiteral("task.delete"));
    QVERIFY(m_services->tasks.remove(task.id, QStringLiteral("tester")).error().code
            == ErrorCode::NotFound);
}

void tst_TaskService::listFiltersAndPaginates()
{
    QStringList created;
    for (int i = 0; i < 5; ++i) {
        created.prepend(create(kValid).id);
        m_clock->advanceMs(10); // distinct creation times: newest first is well defined
    }
    const Task paused = create(kValid);
    created.prepend(paused.id);
    QVERIFY(m_services->tasks.pause(paused.id, QStringLiteral("t")));

    Result<TaskPage> first = m_services->tasks.list(std::nullopt, 4, 0);
    Result<TaskPage> second = m_services->tasks.list(std::nullopt, 4, 4);
    QVERIFY(first && second);
    QCOMPARE(first->total, 6);
    QCOMPARE(second->total, 6);
    QCOMPARE(first->items.size(), size_t(4));
    QCOMPARE(second->items.size(), size_t(2));
    QStringList listed;
    for (const Task &task : first->items)
        listed << task.id;
    for (const Task &task : second->items)
        listed << task.id;
    QCOMPARE(listed, created);
    QCOMPARE(m_services->tasks.list(std::nullopt, 4, 8)->items.size(), size_t(0));

    Result<TaskPage> onlyPaused = m_services->tasks.list(TaskStatus::Paused, 10, 0);
    QVERIFY(onlyPaused);
    QCOMPARE(onlyPaused->total, 1);
    QCOMPARE(onlyPaused->items.at(0).id, paused.id);
    Result<TaskPage> active = m_services->tasks.list(TaskStatus::Active, 2, 0);
    QVERIFY(active);
    QCOMPARE(active->total, 5);
    QCOMPARE(active->items.size(), size_t(2));
    QCOMPARE(m_services->tasks.list(std::nullopt, 0, 0).error().field, QStringLiteral("limit"));
    QCOMPARE(m_services->tasks.list(std::nullopt, TaskService::kMaxPageSize + 1, 0).error().field,
             QStringLiteral("limit"));
    QCOMPARE(m_services->tasks.list(std::nullopt, 10, -1).error().field, QStringLiteral("offset"));
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
    QVERIFY(task.nextRunAt > m_clock->now());
    QVERIFY(task.nextRunAt <= m_clock->now().addSecs(3600));
}

void tst_TaskService::misfireSettingsRoundTrip()
{
    const Task task = create(R"({"title":"m","misfire_policy":"run_all","misfire_grace_seconds":5,
        "payload":{"pipeline":[]}})");
    QVERIFY(task.misfirePolicy == MisfirePolicy::RunAll);
    QCOMPARE(task.misfireGraceSeconds, 5);
    Result<Task> read = m_services->tasks.get(task.id);
    QVERIFY(read);
    QVERIFY(read->toJson()["misfire_policy"] == "run_all");
    QVERIFY(read->toJson()["misfire_grace_seconds"] == 5);
    const Task fallback = create(R"({"title":"d","payload":{"pipeline":[]}})");
    QVERIFY(fallback.misfirePolicy == MisfirePolicy::RunOnce);
}

void tst_TaskService::flowControlSettingsRoundTrip()
{
    const Task task = create(R"({"title":"f","concurrency_key":" mailbox ","concurrency_limit":3,
        "overlap_policy":"cancel_previous","dedupe_key":"digest","dedupe_window_seconds":900,
        "timeout_seconds":120,"payload":{"pipeline":[]}})");
    QCOMPARE(task.concurrencyKey, QStringLiteral("mailbox")); // trimmed
    QCOMPARE(task.concurrencyLimit, 3);
    QVERIFY(task.overlapPolicy == OverlapPolicy::CancelPrevious);
    QCOMPARE(task.dedupeKey, QStringLiteral("digest"));
    QCOMPARE(task.dedupeWindowSeconds, 900);
    QVERIFY(task.timeoutSeconds == 120);
    const Json expected{{"concurrency_key", "mailbox"},        {"concurrency_limit", 3},
                        {"overlap_policy", "cancel_previous"}, {"dedupe_key", "digest"},
                        {"dedupe_window_seconds", 900},        {"timeout_seconds", 120}};
    Result<Task> read = m_services->tasks.get(task.id);
    QVERIFY(read);
    Result<Json> version = TaskStore(m_engine->database()).versionDocument(task.id, 1);
    QVERIFY(version);
    for (const auto &[key, value] : expected.items()) {
        QVERIFY2(read->toJson()[key] == value, key.c_str());
        QVERIFY2((*version)[key] == value, key.c_str()); // what the worker reads
    }

    // A key alone gets the default number; nothing set reads as null, overlap as queue_one.
    const Task defaults = create(R"({"title":"d","concurrency_key":"k","dedupe_key":"x",
        "payload":{"pipeline":[]}})");
    QCOMPARE(defaults.concurrencyLimit, 1);
    QCOMPARE(defaults.dedupeWindowSeconds, 3600);
    const Task bare = create(R"({"title":"b","payload":{"pipeline":[]}})");
    const Json shown = m_services->tasks.get(bare.id)->toJson();
    for (const char *key : {"concurrency_key", "concurrency_limit", "dedupe_key",
                            "dedupe_window_seconds", "timeout_seconds"})
        QVERIFY2(shown[key].is_null(), key);
    QVERIFY(shown["overlap_policy"] == "queue_one");
}

void tst_TaskService::flowControlUpdatesKeepKeysAndNumbersTogether()
{
    const Task task = create(R"({"title":"u","concurrency_key":"k","concurrency_limit":4,
        "dedupe_key":"d","dedupe_window_seconds":60,"timeout_seconds":30,
        "payload":{"pipeline":[]}})");
    auto update = [&](const char *body) {
        return m_services->tasks.update(task.id, Json::parse(body), QStringLiteral("tester"));
    };
    // Absent fields keep their value; a number alone changes under the existing key.
    Result<Task> limited = update(R"({"concurrency_limit":2})");
    QVERIFY(limited);
    QCOMPARE(limited->concurrencyKey, QStringLiteral("k"));
    QCOMPARE(limited->concurrencyLimit, 2);
    QCOMPARE(limited->dedupeWindowSeconds, 60);
    // null puts the default back, or removes what has no default.
    Result<Task> reset = update(R"({"dedupe_window_seconds":null,"timeout_seconds":null})");
    QVERIFY(reset);
    QCOMPARE(reset->dedupeWindowSeconds, 3600);
    QVERIFY(!reset->timeoutSeconds.has_value());
    // Removing a key removes its number; a number sent with the key removed is refused.
    Result<Task> refused = update(R"({"concurrency_key":null,"concurrency_limit":3})");
    QVERIFY(!refused);
    QCOMPARE(refused.error().field, QStringLiteral("concurrency_limit"));
    Result<Task> unkeyed = update(R"({"concurrency_key":null,"dedupe_key":null})");
    QVERIFY(unkeyed);
    const Json shown = m_services->tasks.get(task.id)->toJson();
    for (const char *key :
         {"concurrency_key", "concurrency_limit", "dedupe_key", "dedupe_window_seconds"})
        QVERIFY2(shown[key].is_null(), key);
    Result<Task> rekeyed = update(R"({"concurrency_key":"other"})");
    QVERIFY(rekeyed);
    QCOMPARE(rekeyed->concurrencyLimit, 1);
}

void tst_TaskService::aProposingAgentsTaskIsProposedUntilAccepted()
{
    Result<Agent> careful
        = m_services->agents.create(QStringLiteral("careful"), {QStringLiteral("tasks:write")},
                                    QStringLiteral("tester"), NewTasks::Proposed);
    QVERIFY(careful);
    const QString actor = QStringLiteral("agent:") + careful->id;
    Result<Task> task = m_services->tasks.create(Json::parse(kValid), actor);
    QVERIFY2(task, task ? "" : qPrintable(task.error().describe()));
    QVERIFY(task->status == TaskStatus::Proposed);
    QVERIFY(!task->nextRunAt.isValid());
    QCOMPARE(m_services->tasks.get(task->id)->toJson()["status"].get<QString>(),
             QStringLiteral("proposed"));
    // Neither pause nor resume is a way around the owner.
    QVERIFY(m_services->tasks.resume(task->id, actor).error().code == ErrorCode::Conflict);
    QVERIFY(m_services->tasks.pause(task->id, actor).error().code == ErrorCode::Conflict);
    QVERIFY(m_services->tasks.mayRun(task->id).error().code == ErrorCode::Conflict);
    QVERIFY(m_services->tasks.get(task->id)->status == TaskStatus::Proposed);

    QSignalSpy announced(&m_engine->eventBus(), &EventBus::eventPublished);
    Result<Task> accepted = m_services->tasks.accept(task->id, QStringLiteral("user"));
    QVERIFY(accepted);
    QVERIFY(accepted->status == TaskStatus::Active);
    QVERIFY(accepted->nextRunAt > m_clock->now());
    QCOMPARE(accepted->nextRunAt.toTimeZone(QTimeZone("Europe/Berlin")).time(), QTime(9, 0));
    QVERIFY(m_services->tasks.mayRun(task->id));
    QCOMPARE(announced.count(), 1);
    QCOMPARE(announced.at(0).at(0).value<Event>().topic, QStringLiteral("task.accepted"));
    // Others' tasks start active.
    QVERIFY(create(kValid).status == TaskStatus::Active);
    // A proposed once already past is refused when proposed, not when accepted.
    Result<Task> late = m_services->tasks.create(
        Json::parse(
            R"({"title":"late","schedule_kind":"once","schedule_expr":"2020-01-01T00:00:00Z",
            "payload":{"pipeline":[]}})"),
        actor);
    QVERIFY(!late);
    QCOMPARE(late.error().field, QStringLiteral("schedule_expr"));
}

void tst_TaskService::cancelArchivesAndIsAnnouncedInThePastTense()
{
    const Task task = create(kValid);
    QSignalSpy announced(&m_engine->eventBus(), &EventBus::eventPublished);
    Result<TaskService::Cancellation> canceled
        = m_services->tasks.cancel(task.id, QStringLiteral("tester"));
    QVERIFY(canceled);
    QVERIFY(canceled->task.status == TaskStatus::Archived);
    QVERIFY(!m_services->tasks.get(task.id)->nextRunAt.isValid());
    QCOMPARE(announced.count(), 1);
    QCOMPARE(announced.at(0).at(0).value<Event>().topic, QStringLiteral("task.canceled"));
    QVERIFY(m_services->tasks.cancel(task.id, QStringLiteral("tester")));
    QCOMPARE(announced.count(), 1);
    QCOMPARE(AuditLog(m_engine->database()).forSubject(task.id)->back().action,
             QStringLiteral("task.cancel"));
    QVERIFY(m_services->tasks.resume(task.id, QStringLiteral("tester")).error().code
            == ErrorCode::Conflict);
    QVERIFY(m_services->tasks.update(task.id, Json{{"title", "x"}}, QStringLiteral("tester"))
                .error()
                .code
            == ErrorCode::Conflict);
    QVERIFY(m_services->tasks.cancel(QStringLiteral("nope"), QStringLiteral("x")).error().code
            == ErrorCode::NotFound);
}

void tst_TaskService::listFilterRefusesWhatItCannotServe()
{
    const Task task = create(kValid);
    TaskFilter filter;
    filter.after = TaskCursor{task.createdAt, task.id};
    filter.offset = 1;
    QCOMPARE(m_services->tasks.list(filter).error().field, QStringLiteral("offset"));
    filter = TaskFilter{};
    filter.text = QString(TaskService::kMaxQueryText + 1, QLatin1Char('a'));
    QCOMPARE(m_services->tasks.list(filter).error().field, QStringLiteral("q"));
    filter = TaskFilter{};
    filter.createdBy = QString(TaskService::kMaxQueryText + 1, QLatin1Char('a'));
    QCOMPARE(m_services->tasks.list(filter).error().field, QStringLiteral("created_by"));
    // After the only task there is nothing, and nothing more.
    filter = TaskFilter{};
    filter.after = TaskCursor{task.createdAt, task.id};
    Result<TaskPage> after = m_services->tasks.list(filter);
    QVERIFY(after);
    QVERIFY(after->items.empty());
    QVERIFY(!after->more);
    QCOMPARE(after->total, 1);
}

QTEST_GUILESS_MAIN(tst_TaskService)
#include "tst_TaskService.moc"
