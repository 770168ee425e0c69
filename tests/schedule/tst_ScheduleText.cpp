// ScheduleText: common rules read like a person would say them; unusual ones show their RRULE.
#include "schedule/ScheduleText.h"

#include <QTest>

using namespace ordinaut;

class tst_ScheduleText final : public QObject
{
    Q_OBJECT

private slots:
    void describes_data();
    void describes();
    void eventsAndCalendars();
};

void tst_ScheduleText::describes_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("dtstart");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("expected");
    const int rrule = int(ScheduleKind::RRule);
    QTest::newRow("weekdays") << rrule << "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0"
                              << "2026-12-01T07:30:00"
                              << "America/New_York"
                              << "Every weekday at 09:00 (America/New_York)";
    QTest::newRow("firstMonday") << rrule << "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=8;BYMINUTE=0"
                                 << "2027-01-04T08:00:00"
                                 << "Europe/Berlin"
                                 << "First Monday of every month at 08:00 (Europe/Berlin)";
    QTest::newRow("lastFriday") << rrule << "FREQ=MONTHLY;BYDAY=-1FR"
                                << "2026-01-30T17:00:00"
                                << "UTC"
                                << "Last Friday of every month at 17:00 (UTC)";
    QTest::newRow("dailyFromDtstart") << rrule << "FREQ=DAILY"
                                      << "2026-01-01T06:45:00"
                                      << "Asia/Kolkata"
                                      << "Every day at 06:45 (Asia/Kolkata)";
    QTest::newRow("everyThreeDays") << rrule << "FREQ=DAILY;INTERVAL=3;BYHOUR=7,19;BYMINUTE=0"
                                    << "2026-01-01T00:00:00"
                                    << "UTC"
                                    << "Every 3 days at 07:00 and 19:00 (UTC)";
    QTest::newRow("hourly") << rrule << "FREQ=HOURLY;BYMINUTE=15"
                            << "2026-01-01T00:00:00"
                            << "UTC"
                            << "Every hour at minute 15 (UTC)";
    QTest::newRow("everyFiveMinutes") << rrule << "FREQ=MINUTELY;INTERVAL=5"
                                      << "2026-01-01T00:00:00"
                                      << "UTC"
                                      << "Every 5 minutes (UTC)";
    QTest::newRow("biweekly") << rrule << "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR"
                              << "2026-01-05T10:00:00"
                              << "UTC"
                              << "Every 2 weeks on Monday and Friday at 10:00 (UTC)";
    QTest::newRow("weeklyFromDtstartDay") << rrule << "FREQ=WEEKLY"
                                          << "2026-01-07T10:00:00"
                                          << "UTC"
                                          << "Every Wednesday at 10:00 (UTC)";
    QTest::newRow("lastDayOfMonth") << rrule << "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=23;BYMINUTE=0"
                                    << "2026-01-31T23:00:00"
                                    << "UTC"
                                    << "On the last day of every month at 23:00 (UTC)";
    QTest::newRow("yearly") << rrule << "FREQ=YEARLY"
                            << "2026-03-14T12:00:00"
                            << "UTC"
                            << "Every year on March 14 at 12:00 (UTC)";
    QTest::newRow("countAndMonths") << rrule << "FREQ=DAILY;BYMONTH=1,2;COUNT=10"
                                    << "2026-01-01T08:00:00"
                                    << "UTC"
                                    << "Every day at 08:00 in January and February, 10 times (UTC)";
    QTest::newRow("unusualShownAsRule")
        << rrule << "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1"
        << "2026-01-01T08:00:00"
        << "UTC"
        << "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1 from 2026-01-01 08:00:00 (UTC)";
    QTest::newRow("cronWeekdays") << int(ScheduleKind::Cron) << "30 7 * * 1-5"
                                  << ""
                                  << "Europe/Chisinau"
                                  << "Every weekday at 07:30 (Europe/Chisinau)";
    QTest::newRow("cronTwoDays") << int(ScheduleKind::Cron) << "0 18 * * fri,mon"
                                 << ""
                                 << "UTC"
                                 << "Every Monday and Friday at 18:00 (UTC)";
    QTest::newRow("cronBothDayFields") << int(ScheduleKind::Cron) << "0 12 1 * fri"
                                       << ""
                                       << "UTC"
                                       << "Cron \"0 12 1 * fri\" (UTC)";
    QTest::newRow("withExtraAndExcludedDates")
        << rrule << "FREQ=DAILY\nRDATE:20260101T120000\nEXDATE:20260102T080000,20260103T080000"
        << "2026-01-01T08:00:00"
        << "UTC"
        << "Every day at 08:00, plus 1 extra date(s), except 2 date(s) (UTC)";
    QTest::newRow("once") << int(ScheduleKind::Once) << "2026-12-01T07:30:00Z"
                          << ""
                          << "Europe/Berlin"
                          << "Once on 2026-12-01 at 08:30 (Europe/Berlin)";
    QTest::newRow("manual") << int(ScheduleKind::Manual) << ""
                            << ""
                            << "UTC"
                            << "Manual (runs when started)";
}

void tst_ScheduleText::describes()
{
    QFETCH(int, kind);
    QFETCH(QString, expression);
    QFETCH(QString, dtstart);
    QFETCH(QString, zone);
    QFETCH(QString, expected);
    QCOMPARE(ScheduleText::describe(
                 Schedule{static_cast<ScheduleKind>(kind), expression, dtstart, zone}),
             expected);
}

void tst_ScheduleText::eventsAndCalendars()
{
    QCOMPARE(ScheduleText::describe(Schedule{ScheduleKind::Event, QStringLiteral("mail.received"),
                                             QString(), QStringLiteral("UTC")}),
             QStringLiteral("When an event 'mail.received' is published"));
    QCOMPARE(ScheduleText::describe(Schedule{ScheduleKind::Event, QStringLiteral("mail.*"),
                                             QString(), QStringLiteral("UTC")}),
             QStringLiteral("When an event under 'mail.' is published"));
    QCOMPARE(ScheduleText::describe(
                 Schedule{ScheduleKind::RRule,
                          QStringLiteral("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0"),
                          QStringLiteral("2026-01-05T09:00:00"), QStringLiteral("America/New_York"),
                          QStringLiteral("us-holidays")}),
             QStringLiteral("Every weekday at 09:00 (America/New_York), except on days of "
                            "calendar 'us-holidays'"));
}

QTEST_GUILESS_MAIN(tst_ScheduleText)
#include "tst_ScheduleText.moc"
