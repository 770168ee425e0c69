// BusinessCalendar: .ics import with libical (all-day, timed, multi-day, recurring, excluded and
// cancelled events), refusals that say why, and schedules skipping its days in their own zone.
#include "support/TestData.h"

#include "core/Json.h"
#include "schedule/BusinessCalendar.h"
#include "schedule/Recurrence.h"

#include <QTest>

using namespace ordinaut;
using ordinaut::test::utc;

namespace {

QByteArray wrap(const char *events)
{
    return QByteArray("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n") + events
           + "END:VCALENDAR\r\n";
}

} // namespace

class tst_BusinessCalendar final : public QObject
{
    Q_OBJECT

private slots:
    void importReadsEveryKindOfEvent();
    void badCalendarsSayWhy_data();
    void badCalendarsSayWhy();
    void storedDaysRoundTrip();
    void occurrencesOnItsDaysAreSkippedInTheScheduleZone_data();
    void occurrencesOnItsDaysAreSkippedInTheScheduleZone();
    void cronSchedulesSkipToo();
    void aCalendarCoveringEveryOccurrenceIsAnError();
    void aNamedCalendarMustBeGiven();
};

void tst_BusinessCalendar::importReadsEveryKindOfEvent()
{
    Result<BusinessCalendar> calendar = BusinessCalendar::fromIcs(
        QStringLiteral("us-holidays"), test::testData("us-holidays.ics"));
    QVERIFY2(calendar, qPrintable(calendar ? QString() : calendar.error().describe()));
    auto summary = [&](int y, int m, int d) {
        const CalendarDay *day = calendar->find(QDate(y, m, d));
        return day ? day->summary : QString();
    };
    QCOMPARE(summary(2026, 12, 25), QStringLiteral("Christmas Day"));
    QCOMPARE(summary(2026, 12, 24), QString());
    // Yearly rules, up to the horizon.
    QCOMPARE(summary(2026, 1, 1), QStringLiteral("New Year's Day"));
    QCOMPARE(summary(2100, 1, 1), QStringLiteral("New Year's Day"));
    QCOMPARE(summary(2101, 1, 1), QString());
    // A two-day all-day event (DTEND exclusive) on the fourth Thursday of November.
    QCOMPARE(summary(2026, 11, 26), QStringLiteral("Thanksgiving"));
    QCOMPARE(summary(2026, 11, 27), QStringLiteral("Thanksgiving"));
    QCOMPARE(summary(2026, 11, 28), QString());
    QCOMPARE(summary(2027, 11, 25), QStringLiteral("Thanksgiving"));
    // A timed event touches each date it spans.
    QCOMPARE(summary(2026, 12, 7), QStringLiteral("Team offsite"));
    QCOMPARE(summary(2026, 12, 8), QStringLiteral("Team offsite"));
    QCOMPARE(summary(2026, 12, 9), QString());
    // COUNT, EXDATE and RDATE; a cancelled event is not a day off.
    QCOMPARE(summary(2026, 12, 4), QStringLiteral("Summer Friday"));
    QCOMPARE(summary(2026, 12, 11), QString());
    QCOMPARE(summary(2026, 12, 18), QStringLiteral("Summer Friday"));
    QCOMPARE(summary(2026, 12, 25), QStringLiteral("Christmas Day"));
    QCOMPARE(summary(2026, 12, 30), QStringLiteral("Summer Friday"));
    // 75 New Year's days, 75 two-day Thanksgivings, Christmas, two offsite days, three Fridays.
    QCOMPARE(int(calendar->days().size()), 75 + 150 + 1 + 2 + 3);
    QVERIFY(
        std::is_sorted(calendar->days().begin(), calendar->days().end(),
                       [](const CalendarDay &a, const CalendarDay &b) { return a.date < b.date; }));
}

void tst_BusinessCalendar::badCalendarsSayWhy_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("ics");
    QTest::addColumn<QString>("described");
    QTest::newRow("notIcs") << QStringLiteral("x") << QByteArray("hello")
                            << QStringLiteral("ics: is not an iCalendar file");
    QTest::newRow("noEvents") << QStringLiteral("x") << wrap("")
                              << QStringLiteral("ics: is not an iCalendar file");
    QTest::newRow("noStart") << QStringLiteral("x")
                             << wrap("BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Lost\r\nEND:VEVENT\r\n")
                             << QStringLiteral("ics: event 'Lost' has no valid DTSTART");
    QTest::newRow("everyDay")
        << QStringLiteral("x")
        << wrap("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=DAILY\r\n"
                "SUMMARY:Work\r\nEND:VEVENT\r\n")
        << QStringLiteral("ics: event 'Work' recurs more than 20000 times before 2101");
    QTest::newRow("season") << QStringLiteral("x")
                            << wrap("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260101\r\n"
                                    "DTEND;VALUE=DATE:20270601\r\nSUMMARY:Long\r\nEND:VEVENT\r\n")
                            << QStringLiteral("ics: event 'Long' lasts 516 days");
    QTest::newRow("badName") << QStringLiteral("us holidays") << test::testData("us-holidays.ics")
                             << QStringLiteral("name: 'us holidays' is not a calendar name");
    QTest::newRow("emptyName") << QString() << test::testData("us-holidays.ics")
                               << QStringLiteral("name: '' is not a calendar name");
}

void tst_BusinessCalendar::badCalendarsSayWhy()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, ics);
    QFETCH(QString, described);
    Result<BusinessCalendar> calendar = BusinessCalendar::fromIcs(name, ics);
    QVERIFY(!calendar);
    QVERIFY(calendar.error().code == ErrorCode::InvalidArgument);
    QVERIFY2(calendar.error().describe().startsWith(described),
             qPrintable(calendar.error().describe()));
}

void tst_BusinessCalendar::storedDaysRoundTrip()
{
    const BusinessCalendar original
        = *BusinessCalendar::fromIcs(QStringLiteral("h"), test::testData("us-holidays.ics"));
    Result<BusinessCalendar> read
        = BusinessCalendar::fromStored(QStringLiteral("h"), original.daysToJson());
    QVERIFY(read);
    QCOMPARE(read->days().size(), original.days().size());
    for (size_t i = 0; i < original.days().size(); ++i) {
        QCOMPARE(read->days()[i].date, original.days()[i].date);
        QCOMPARE(read->days()[i].summary, original.days()[i].summary);
    }
    QVERIFY(!BusinessCalendar::fromStored(QStringLiteral("h"), "{\"not\":\"a list\"}"));
}

void tst_BusinessCalendar::occurrencesOnItsDaysAreSkippedInTheScheduleZone_data()
{
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QString>("dtstart");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QDateTime>("after");
    QTest::addColumn<QDateTime>("expected");
    QTest::addColumn<QList<QDateTime>>("skipped");
    // 09:00 in New York on Christmas is skipped; the next is the 26th.
    QTest::newRow("newYork") << QStringLiteral("FREQ=DAILY;BYHOUR=9;BYMINUTE=0")
                             << QStringLiteral("2026-12-01T09:00:00")
                             << QStringLiteral("America/New_York") << utc("2026-12-24T15:00:00Z")
                             << utc("2026-12-26T14:00:00Z")
                             << QList<QDateTime>{utc("2026-12-25T14:00:00Z")};
    // 23:30 on the 24th in New York is already the 25th in UTC: still the 24th, so it runs.
    QTest::newRow("localDateCounts")
        << QStringLiteral("FREQ=DAILY;BYHOUR=23;BYMINUTE=30")
        << QStringLiteral("2026-12-01T23:30:00") << QStringLiteral("America/New_York")
        << utc("2026-12-24T12:00:00Z") << utc("2026-12-25T04:30:00Z") << QList<QDateTime>{};
    // 09:00 on the 25th in Sydney is the 24th in UTC: skipped all the same.
    QTest::newRow("sydney") << QStringLiteral("FREQ=DAILY;BYHOUR=9;BYMINUTE=0")
                            << QStringLiteral("2026-12-01T09:00:00")
                            << QStringLiteral("Australia/Sydney") << utc("2026-12-24T00:00:00Z")
                            << utc("2026-12-25T22:00:00Z")
                            << QList<QDateTime>{utc("2026-12-24T22:00:00Z")};
    // Weekdays across Thanksgiving (two days): Thursday and Friday skipped.
    QTest::newRow("thanksgiving")
        << QStringLiteral("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=8;BYMINUTE=0")
        << QStringLiteral("2026-11-02T08:00:00") << QStringLiteral("America/Chicago")
        << utc("2026-11-25T15:00:00Z") << utc("2026-11-30T14:00:00Z")
        << QList<QDateTime>{utc("2026-11-26T14:00:00Z"), utc("2026-11-27T14:00:00Z")};
}

void tst_BusinessCalendar::occurrencesOnItsDaysAreSkippedInTheScheduleZone()
{
    QFETCH(QString, rule);
    QFETCH(QString, dtstart);
    QFETCH(QString, zone);
    QFETCH(QDateTime, after);
    QFETCH(QDateTime, expected);
    QFETCH(QList<QDateTime>, skipped);
    const BusinessCalendar calendar = *BusinessCalendar::fromIcs(QStringLiteral("us-holidays"),
                                                                 test::testData("us-holidays.ics"));
    Schedule schedule{ScheduleKind::RRule, rule, dtstart, zone, QStringLiteral("us-holidays")};
    std::vector<QDateTime> passed;
    Result<QDateTime> next = Recurrence::nextAfter(schedule, after, &calendar, &passed);
    QVERIFY2(next, qPrintable(next ? QString() : next.error().describe()));
    QCOMPARE(*next, expected);
    QCOMPARE(QList<QDateTime>(passed.begin(), passed.end()), skipped);
    // Without the calendar nothing is skipped.
    schedule.calendar.clear();
    QCOMPARE(*Recurrence::nextAfter(schedule, after),
             skipped.isEmpty() ? expected : skipped.first());
}

void tst_BusinessCalendar::cronSchedulesSkipToo()
{
    const BusinessCalendar calendar = *BusinessCalendar::fromIcs(QStringLiteral("us-holidays"),
                                                                 test::testData("us-holidays.ics"));
    const Schedule schedule{ScheduleKind::Cron, QStringLiteral("0 9 * * *"), QString(),
                            QStringLiteral("America/New_York"), QStringLiteral("us-holidays")};
    Result<QDateTime> next
        = Recurrence::nextAfter(schedule, utc("2026-12-31T15:00:00Z"), &calendar);
    QVERIFY(next);
    QCOMPARE(*next, utc("2027-01-02T14:00:00Z")); // New Year's Day passed over
}

void tst_BusinessCalendar::aCalendarCoveringEveryOccurrenceIsAnError()
{
    std::vector<CalendarDay> days;
    for (int i = 0; i <= Recurrence::kMaxSkipped + 1; ++i)
        days.push_back(CalendarDay{QDate(2027, 1, 1).addDays(i), QStringLiteral("Off")});
    const BusinessCalendar calendar(QStringLiteral("always"), std::move(days));
    const Schedule schedule{ScheduleKind::RRule, QStringLiteral("FREQ=DAILY"),
                            QStringLiteral("2026-12-01T09:00:00"), QStringLiteral("UTC"),
                            QStringLiteral("always")};
    Result<QDateTime> next
        = Recurrence::nextAfter(schedule, utc("2026-12-31T12:00:00Z"), &calendar);
    QVERIFY(!next);
    QCOMPARE(next.error().field, QStringLiteral("calendar"));
    QVERIFY2(next.error().message.contains(QLatin1String("all fall on days of calendar 'always'")),
             qPrintable(next.error().message));
}

void tst_BusinessCalendar::aNamedCalendarMustBeGiven()
{
    const Schedule schedule{ScheduleKind::RRule, QStringLiteral("FREQ=DAILY"),
                            QStringLiteral("2026-12-01T09:00:00"), QStringLiteral("UTC"),
                            QStringLiteral("us-holidays")};
    Result<QDateTime> next = Recurrence::nextAfter(schedule, utc("2026-12-31T12:00:00Z"));
    QVERIFY(!next);
    QCOMPARE(next.error().describe(),
             QStringLiteral("calendar: no imported calendar named 'us-holidays'"));
}

QTEST_GUILESS_MAIN(tst_BusinessCalendar)
#include "tst_BusinessCalendar.moc"
