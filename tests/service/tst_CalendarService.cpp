// CalendarService with a real engine: import, replace (rescheduling the tasks that name it),
// refusals that change nothing, previews that show skipped occurrences, and the scheduler
// passing over a holiday.
#include "support/TempDataDir.h"
#include "support/TestData.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "schedule/Scheduler.h"
#include "service/Services.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/RunStore.h"
#include "store/TaskStore.h"

#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;
using ordinaut::test::utc;

namespace {

const QByteArray kOnlyChristmas = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
                                  "BEGIN:VEVENT\r\nUID:c\r\nDTSTART;VALUE=DATE:20261225\r\n"
                                  "SUMMARY:Christmas Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

const char *const kDailyTask
    = R"({"title":"Standup","schedule_kind":"rrule","schedule_expr":"FREQ=DAILY;BYHOUR=9;BYMINUTE=0",
    "timezone":"America/New_York","dtstart":"2026-12-01T09:00:00","calendar":"us-holidays",
    "payload":{"pipeline":[{"id":"a","uses":"debug.echo","with":{"x":1}}]}})";

} // namespace

class tst_CalendarService final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void importListsAndReads();
    void badImportChangesNothing();
    void taskNamingACalendarSkipsItsDays();
    void replacingACalendarReschedulesItsTasks();
    void calendarInUseCannotBeRemoved();
    void previewShowsSkippedOccurrences();
    void schedulerPassesOverAHoliday();

private:
    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
};

void tst_CalendarService::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_CalendarService::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    m_clock = std::make_unique<ManualClock>(utc("2026-12-20T12:00:00Z"));
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, m_clock.get()});
    QVERIFY(engine);
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
}

void tst_CalendarService::cleanup()
{
    m_services.reset();
    m_engine.reset();
    m_clock.reset();
    m_dir.reset();
}

void tst_CalendarService::importListsAndReads()
{
    Result<CalendarImport> imported = m_services->calendars.import(
        QStringLiteral("us-holidays"), test::testData("us-holidays.ics"), QStringLiteral("t"));
    QVERIFY2(imported, qPrintable(imported ? QString() : imported.error().describe()));
    QVERIFY(imported->created);
    QCOMPARE(imported->record.dayCount, 231);
    QCOMPARE(imported->record.firstDay, QDate(2026, 1, 1));

    Result<std::vector<CalendarRecord>> list = m_services->calendars.list();
    QVERIFY(list);
    QCOMPARE(int(list->size()), 1);
    QCOMPARE(list->front().name, QStringLiteral("us-holidays"));
    QCOMPARE(list->front().dayCount, 231);

    Result<CalendarRecord> read = m_services->calendars.get(QStringLiteral("us-holidays"));
    QVERIFY(read);
    QCOMPARE(read->source, test::testData("us-holidays.ics"));
    const Json json = CalendarService::toJson(*read, true);
    QCOMPARE(int(json["days"].size()), 231);
    QVERIFY(json["days"][0] == (Json{{"date", "2026-01-01"}, {"summary", "New Year's Day"}}));

    Result<CalendarRecord> missing = m_services->calendars.get(QStringLiteral("eu"));
    QVERIFY(!missing);
    QVERIFY(missing.error().code == ErrorCode::NotFound);
    QCOMPARE(missing.error().message,
             QStringLiteral("no imported calendar named 'eu' (imported: us-holidays)"));
    const auto audit = AuditLog(m_engine->database()).forSubject(QStringLiteral("us-holidays"));
    QVERIFY(audit && !audit->empty());
    QCOMPARE(audit->front().action, QStringLiteral("calendar.import"));
}

void tst_CalendarService::badImportChangesNothing()
{
    Result<CalendarImport> bad = m_services->calendars.import(
        QStringLiteral("x"), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", QStringLiteral("t"));
    QVERIFY(!bad);
    QCOMPARE(bad.error().field, QStringLiteral("ics"));
    QVERIFY(m_services->calendars.list()->empty());
    Result<CalendarImport> huge = m_services->calendars.import(
        QStringLiteral("x"), QByteArray(CalendarService::kMaxIcsBytes + 1, 'x'),
        QStringLiteral("t"));
    QVERIFY(!huge);
    QVERIFY(huge.error().code == ErrorCode::PayloadTooLarge);
    QVERIFY(m_services->calendars.list()->empty());
}

void tst_CalendarService::taskNamingACalendarSkipsItsDays()
{
    // Naming a calendar that is not imported is refused at save time.
    Result<Task> refused = m_services->tasks.create(Json::parse(kDailyTask), QStringLiteral("t"));
    QVERIFY(!refused);
    QCOMPARE(refused.error().field, QStringLiteral("calendar"));

    QVERIFY(m_services->calendars.import(QStringLiteral("us-holidays"),
                                         test::testData("us-holidays.ics"), QStringLiteral("t")));
    m_clock->set(utc("2026-12-24T15:00:00Z"));
    Result<Task> task = m_services->tasks.create(Json::parse(kDailyTask), QStringLiteral("t"));
    QVERIFY2(task, qPrintable(task ? QString() : task.error().describe()));
    QCOMPARE(task->schedule.calendar, QStringLiteral("us-holidays"));
    QCOMPARE(task->nextRunAt, utc("2026-12-26T14:00:00Z")); // the 25th is skipped
    QCOMPARE(task->toJson()["calendar"].get<QString>(), QStringLiteral("us-holidays"));

    Result<OccurrenceList> window = m_services->schedules.occurrences(
        task->schedule, utc("2026-12-24T00:00:00Z"), utc("2027-01-03T00:00:00Z"));
    QVERIFY(window);
    // 24th … 2nd is ten days: Christmas, the 30th (a Summer Friday) and New Year's Day are off.
    QCOMPARE(int(window->occurrences.size()), 7);
    QCOMPARE(int(window->skipped.size()), 3);
    QCOMPARE(window->skipped[0].at, utc("2026-12-25T14:00:00Z"));
    QCOMPARE(window->skipped[0].reason, QStringLiteral("Christmas Day"));
    QCOMPARE(window->skipped[2].reason, QStringLiteral("New Year's Day"));

    // Clearing the calendar brings the 25th back.
    Result<Task> cleared = m_services->tasks.update(
        task->id, Json{{"calendar", nullptr}, {"version", task->version}}, QStringLiteral("t"));
    QVERIFY2(cleared, qPrintable(cleared ? QString() : cleared.error().describe()));
    QCOMPARE(cleared->nextRunAt, utc("2026-12-25T14:00:00Z"));
}

void tst_CalendarService::replacingACalendarReschedulesItsTasks()
{
    QVERIFY(m_services->calendars.import(QStringLiteral("us-holidays"), kOnlyChristmas,
                                         QStringLiteral("t")));
    m_clock->set(utc("2026-12-25T15:00:00Z"));
    Result<Task> task = m_services->tasks.create(Json::parse(kDailyTask), QStringLiteral("t"));
    QVERIFY(task);
    QCOMPARE(task->nextRunAt, utc("2026-12-26T14:00:00Z"));
    // The 30th is no holiday in the first calendar but is in the fixture (a Summer Friday):
    // with the next run due on the 30th, replacing the calendar moves it to the 31st.
    m_clock->set(utc("2026-12-29T15:00:00Z"));
    QVERIFY(TaskStore(m_engine->database()).setNextRunAt(task->id, utc("2026-12-30T14:00:00Z")));
    Result<CalendarImport> replaced = m_services->calendars.import(
        QStringLiteral("us-holidays"), test::testData("us-holidays.ics"), QStringLiteral("t"));
    QVERIFY(replaced);
    QVERIFY(!replaced->created);
    QCOMPARE(replaced->tasksRescheduled, 1);
    QCOMPARE(TaskStore(m_engine->database()).get(task->id)->nextRunAt, utc("2026-12-31T14:00:00Z"));
}

void tst_CalendarService::calendarInUseCannotBeRemoved()
{
    QVERIFY(m_services->calendars.import(QStringLiteral("us-holidays"),
                                         test::testData("us-holidays.ics"), QStringLiteral("t")));
    Result<Task> task = m_services->tasks.create(Json::parse(kDailyTask), QStringLiteral("t"));
    QVERIFY(task);
    Status removed
        = m_services->calendars.remove(QStringLiteral("us-holidays"), QStringLiteral("t"));
    QVERIFY(!removed);
    QVERIFY(removed.error().code == ErrorCode::Conflict);
    QVERIFY2(removed.error().message.contains(task->id), qPrintable(removed.error().message));
    QVERIFY(m_services->calendars.get(QStringLiteral("us-holidays")));

    QVERIFY(m_services->tasks.remove(task->id, QStringLiteral("t")));
    QVERIFY(m_services->calendars.remove(QStringLiteral("us-holidays"), QStringLiteral("t")));
    QVERIFY(m_services->calendars.list()->empty());
    Status again = m_services->calendars.remove(QStringLiteral("us-holidays"), QStringLiteral("t"));
    QVERIFY(!again);
    QVERIFY(again.error().code == ErrorCode::NotFound);
}

void tst_CalendarService::previewShowsSkippedOccurrences()
{
    QVERIFY(m_services->calendars.import(QStringLiteral("us-holidays"),
                                         test::testData("us-holidays.ics"), QStringLiteral("t")));
    Result<SchedulePreview> preview = m_services->schedules.preview(Json::parse(R"({
        "schedule_kind":"cron","schedule_expr":"0 9 * * 1-5","timezone":"America/New_York",
        "calendar":"us-holidays","count":3,"after":"2026-12-24T15:00:00Z"})"));
    QVERIFY2(preview, qPrintable(preview ? QString() : preview.error().describe()));
    const Json json = preview->toJson();
    QVERIFY(json["occurrences"]
            == Json::array({"2026-12-28T09:00:00-05:00", "2026-12-29T09:00:00-05:00",
                            "2026-12-31T09:00:00-05:00"}));
    QVERIFY(json["skipped"]
            == Json::array({Json{{"at", "2026-12-25T09:00:00-05:00"},
                                 {"calendar", "us-holidays"},
                                 {"reason", "Christmas Day"}},
                            Json{{"at", "2026-12-30T09:00:00-05:00"},
                                 {"calendar", "us-holidays"},
                                 {"reason", "Summer Friday"}}}));
    QVERIFY2(json["description"].get<QString>().endsWith(
                 QLatin1String(", except on days of calendar 'us-holidays'")),
             qPrintable(json["description"].get<QString>()));
}

void tst_CalendarService::schedulerPassesOverAHoliday()
{
    QVERIFY(m_services->calendars.import(QStringLiteral("us-holidays"),
                                         test::testData("us-holidays.ics"), QStringLiteral("t")));
    m_clock->set(utc("2026-12-23T15:00:00Z"));
    Result<Task> task = m_services->tasks.create(Json::parse(kDailyTask), QStringLiteral("t"));
    QVERIFY(task);
    QCOMPARE(task->nextRunAt, utc("2026-12-24T14:00:00Z"));
    Scheduler scheduler(m_engine->database(), *m_clock);
    m_clock->set(utc("2026-12-24T14:00:00Z"));
    QCOMPARE(scheduler.tick(), 1);
    // Fired on the 24th; the next is the 26th, not Christmas.
    QCOMPARE(TaskStore(m_engine->database()).get(task->id)->nextRunAt, utc("2026-12-26T14:00:00Z"));
    m_clock->set(utc("2026-12-25T14:00:00Z"));
    QCOMPARE(scheduler.tick(), 0);
    const auto runs = RunStore(m_engine->database()).list(RunFilter{task->id, std::nullopt, 10, 0});
    QVERIFY(runs);
    QCOMPARE(runs->total, 1);
}

QTEST_GUILESS_MAIN(tst_CalendarService)
#include "tst_CalendarService.moc"
