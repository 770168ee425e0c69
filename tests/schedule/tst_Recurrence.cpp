// Recurrence: next occurrences of RRULEs in a zone (including far from dtstart and across DST),
// once instants, and errors that name the offending field.
#include "schedule/Recurrence.h"
#include "support/TestData.h"

#include "core/Json.h"

#include <QElapsedTimer>
#include <QTest>

using namespace ordinaut;
using ordinaut::test::utc;

namespace {

Schedule rrule(const QString &rule, const QString &dtstart, const QString &zone)
{
    return Schedule{ScheduleKind::RRule, rule, dtstart, zone};
}

} // namespace

class tst_Recurrence final : public QObject
{
    Q_OBJECT

private slots:
    void nextOccurrenceInZone_data();
    void nextOccurrenceInZone();
    void onceInstant_data();
    void onceInstant();
    void badSchedulesNameTheField_data();
    void badSchedulesNameTheField();
    void manualHasNoOccurrence();
    void invalidRuleSaysWhy();
    void exhaustedBudgetIsInvalidInput();
    void skipAheadKeepsPhase_data();
    void skipAheadKeepsPhase();
    void hostileRulesEndQuickly_data();
    void hostileRulesEndQuickly();
};

void tst_Recurrence::nextOccurrenceInZone_data()
{
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QString>("dtstart");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("after");
    QTest::addColumn<QString>("expected"); // empty: no further occurrence

    QTest::newRow("dailyInSummerTime") << "FREQ=DAILY;BYHOUR=9;BYMINUTE=0"
                                       << "2026-03-01T09:00:00"
                                       << "America/New_York"
                                       << "2026-03-10T14:00:00Z"
                                       << "2026-03-11T13:00:00.000Z";
    QTest::newRow("dailyInWinterTime") << "FREQ=DAILY;BYHOUR=9;BYMINUTE=0"
                                       << "2026-03-01T09:00:00"
                                       << "America/New_York"
                                       << "2026-03-02T15:00:00Z"
                                       << "2026-03-03T14:00:00.000Z";
    QTest::newRow("weekdaysSkipWeekend") << "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=30"
                                         << "2026-12-01T07:30:00"
                                         << "America/New_York"
                                         << "2026-12-04T13:00:00Z"
                                         << "2026-12-07T12:30:00.000Z";
    QTest::newRow("firstMondayBerlin") << "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=8;BYMINUTE=0"
                                       << "2027-01-04T08:00:00"
                                       << "Europe/Berlin"
                                       << "2027-01-04T08:00:00Z"
                                       << "2027-02-01T07:00:00.000Z";
    // RFC 5545's WKST example: the week start decides which Sunday pairs with which Tuesday.
    QTest::newRow("wkstMonday") << "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO"
                                << "1997-08-05T09:00:00"
                                << "UTC"
                                << "1997-08-06T00:00:00Z"
                                << "1997-08-10T09:00:00.000Z";
    QTest::newRow("wkstSunday") << "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU"
                                << "1997-08-05T09:00:00"
                                << "UTC"
                                << "1997-08-06T00:00:00Z"
                                << "1997-08-17T09:00:00.000Z";
    QTest::newRow("yearsAfterDtstart") << "FREQ=DAILY;BYHOUR=6"
                                       << "2020-01-01T06:00:00"
                                       << "Europe/Berlin"
                                       << "2031-06-15T10:00:00Z"
                                       << "2031-06-16T04:00:00.000Z";
    QTest::newRow("beforeDtstartIsDtstart") << "FREQ=WEEKLY"
                                            << "2027-05-05T10:00:00"
                                            << "UTC"
                                            << "2026-01-01T00:00:00Z"
                                            << "2027-05-05T10:00:00.000Z";
    QTest::newRow("countIsRespected") << "FREQ=DAILY;COUNT=3"
                                      << "2026-01-01T10:00:00"
                                      << "UTC"
                                      << "2026-01-03T10:00:00Z"
                                      << "";
    QTest::newRow("untilEnded") << "FREQ=DAILY;UNTIL=20260105T000000"
                                << "2026-01-01T10:00:00"
                                << "UTC"
                                << "2026-01-04T11:00:00Z"
                                << "";
    QTest::newRow("rrulePrefixAccepted") << "RRULE:FREQ=HOURLY;INTERVAL=6"
                                         << "2026-01-01T00:00:00"
                                         << "UTC"
                                         << "2026-01-01T07:00:00Z"
                                         << "2026-01-01T12:00:00.000Z";
    QTest::newRow("minutelyOnRareDayIsFound") << "FREQ=MINUTELY;BYDAY=MO;BYMONTH=2;BYMONTHDAY=29"
                                              << "2026-01-01T00:00:00"
                                              << "UTC"
                                              << "2026-01-01T00:00:00Z"
                                              << "2044-02-29T00:00:00.000Z";
    QTest::newRow("minutelyAfterLastMinuteOfRareDay")
        << "FREQ=MINUTELY;BYDAY=MO;BYMONTH=2;BYMONTHDAY=29"
        << "2026-01-01T00:00:00"
        << "UTC"
        << "2044-02-29T23:59:00Z"
        << "2072-02-29T00:00:00.000Z";
    QTest::newRow("hourlyIntervalAcrossSkippedDays") << "FREQ=HOURLY;INTERVAL=5;BYDAY=SA"
                                                     << "2026-01-01T09:00:00"
                                                     << "UTC"
                                                     << "2026-01-05T00:00:00Z"
                                                     << "2026-01-10T03:00:00.000Z";
    QTest::newRow("hourlyOnFridayThe13th") << "FREQ=HOURLY;BYDAY=FR;BYMONTHDAY=13;BYHOUR=9"
                                           << "2000-01-01T00:00:00"
                                           << "UTC"
                                           << "2026-11-24T17:00:00Z"
                                           << "2027-08-13T09:00:00.000Z";
    QTest::newRow("hourlyByHourOnDtstartDay") << "FREQ=HOURLY;BYHOUR=9"
                                              << "2026-01-01T00:00:00"
                                              << "UTC"
                                              << "2025-12-31T00:00:00Z"
                                              << "2026-01-01T09:00:00.000Z";
    QTest::newRow("dailyByHourOnDtstartDay") << "FREQ=DAILY;BYHOUR=9,23"
                                             << "2026-01-01T00:00:00"
                                             << "UTC"
                                             << "2025-12-31T00:00:00Z"
                                             << "2026-01-01T09:00:00.000Z";
    QTest::newRow("exdateSkipsOccurrence")
        << "FREQ=DAILY;BYHOUR=9\nEXDATE:20260311T090000,20260312T090000"
        << "2026-03-01T09:00:00"
        << "UTC"
        << "2026-03-10T10:00:00Z"
        << "2026-03-13T09:00:00.000Z";
    QTest::newRow("rdateAddsEarlierOccurrence")
        << "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9\nRDATE:2026-03-11T15:30:00"
        << "2026-03-02T09:00:00"
        << "Europe/Berlin"
        << "2026-03-10T00:00:00Z"
        << "2026-03-11T14:30:00.000Z";
    QTest::newRow("rdateAfterRuleEnded") << "FREQ=DAILY;COUNT=1\nRDATE:20270101T120000"
                                         << "2026-01-01T08:00:00"
                                         << "UTC"
                                         << "2026-06-01T00:00:00Z"
                                         << "2027-01-01T12:00:00.000Z";
    QTest::newRow("exdateAlsoRemovesRdate")
        << "FREQ=DAILY;COUNT=1\nRDATE:20270101T120000\nEXDATE:20270101T120000"
        << "2026-01-01T08:00:00"
        << "UTC"
        << "2026-06-01T00:00:00Z"
        << "";
    QTest::newRow("hourlyIntervalFarFromDtstart") << "FREQ=HOURLY;INTERVAL=5"
                                                  << "2026-01-01T09:00:00"
                                                  << "UTC"
                                                  << "2026-01-06T00:30:00Z"
                                                  << "2026-01-06T04:00:00.000Z";
    QTest::newRow("minutelyIntervalFarFromDtstart") << "FREQ=MINUTELY;INTERVAL=7"
                                                    << "2026-01-01T00:00:00"
                                                    << "UTC"
                                                    << "2026-06-01T00:00:00Z"
                                                    << "2026-06-01T00:01:00.000Z";
    QTest::newRow("biweeklyFarFromDtstart") << "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
                                            << "2026-01-05T08:00:00"
                                            << "Europe/Berlin"
                                            << "2027-03-02T00:00:00Z"
                                            << "2027-03-15T07:00:00.000Z";
    QTest::newRow("gapDayShiftsOnlyThatDay") << "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"
                                             << "2026-03-01T02:30:00"
                                             << "America/New_York"
                                             << "2026-03-08T06:00:00Z"
                                             << "2026-03-08T07:30:00.000Z";
    // 12:00Z is 08:00 EDT, so that day's 09:00 is still ahead.
    QTest::newRow("sameDayLaterInSummerTime") << "FREQ=DAILY;BYHOUR=9;BYMINUTE=0"
                                              << "2026-03-01T09:00:00"
                                              << "America/New_York"
                                              << "2026-03-10T12:00:00Z"
                                              << "2026-03-10T13:00:00.000Z";
    QTest::newRow("berlinGapDay") << "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"
                                  << "2026-03-01T02:30:00"
                                  << "Europe/Berlin"
                                  << "2026-03-29T01:00:00Z"
                                  << "2026-03-29T01:30:00.000Z";
    QTest::newRow("berlinDayAfterGapIsBackToWallTime") << "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"
                                                       << "2026-03-01T02:30:00"
                                                       << "Europe/Berlin"
                                                       << "2026-03-29T02:00:00Z"
                                                       << "2026-03-30T00:30:00.000Z";
    // The later (EST) 01:30 of the fall-back day is not a second occurrence.
    QTest::newRow("overlapRunsOnce") << "FREQ=DAILY;BYHOUR=1;BYMINUTE=30"
                                     << "2026-10-01T01:30:00"
                                     << "America/New_York"
                                     << "2026-11-01T05:30:00Z"
                                     << "2026-11-02T06:30:00.000Z";
    QTest::newRow("dailyWithoutByHourKeepsDtstartTime") << "FREQ=DAILY"
                                                        << "2026-01-01T10:00:00"
                                                        << "UTC"
                                                        << "2026-06-15T12:00:00Z"
                                                        << "2026-06-16T10:00:00.000Z";
    QTest::newRow("hourlyKeepsDtstartMinute") << "FREQ=HOURLY"
                                              << "2026-01-01T00:30:00"
                                              << "UTC"
                                              << "2026-06-15T12:00:00Z"
                                              << "2026-06-15T12:30:00.000Z";
    QTest::newRow("everyThirdDayCountsFromDtstart") << "FREQ=DAILY;INTERVAL=3"
                                                    << "2026-01-01T10:00:00"
                                                    << "UTC"
                                                    << "2026-06-16T00:00:00Z"
                                                    << "2026-06-18T10:00:00.000Z";
    QTest::newRow("everyOtherMondayCountsFromDtstart") << "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
                                                       << "2026-01-05T09:00:00"
                                                       << "UTC"
                                                       << "2026-06-15T12:00:00Z"
                                                       << "2026-06-22T09:00:00.000Z";
    QTest::newRow("yearlyKeepsDtstartDay") << "FREQ=YEARLY"
                                           << "2020-07-04T09:00:00"
                                           << "UTC"
                                           << "2031-06-15T00:00:00Z"
                                           << "2031-07-04T09:00:00.000Z";
    QTest::newRow("monthlyKeepsDtstartDay") << "FREQ=MONTHLY"
                                            << "2020-01-20T09:00:00"
                                            << "UTC"
                                            << "2031-06-25T00:00:00Z"
                                            << "2031-07-20T09:00:00.000Z";
    QTest::newRow("weeklyKeepsDtstartWeekday") << "FREQ=WEEKLY"
                                               << "2020-01-01T09:00:00"
                                               << "UTC"
                                               << "2031-06-15T00:00:00Z"
                                               << "2031-06-18T09:00:00.000Z";
    QTest::newRow("countFarFromDtstart") << "FREQ=DAILY;COUNT=400"
                                         << "2026-01-01T10:00:00"
                                         << "UTC"
                                         << "2026-06-15T12:00:00Z"
                                         << "2026-06-16T10:00:00.000Z";
    QTest::newRow("untilInUtcEnded") << "FREQ=DAILY;UNTIL=20260105T000000Z"
                                     << "2026-01-01T10:00:00"
                                     << "UTC"
                                     << "2026-01-04T11:00:00Z"
                                     << "";
    // Sub-daily intervals count from dtstart too (RFC 5545 3.3.10), however far `after` is:
    // 01:00, 07:00, 13:00, 19:00 every day.
    QTest::newRow("everySixHoursFromOneAmFarFromDtstart") << "FREQ=HOURLY;INTERVAL=6"
                                                          << "2026-01-01T01:00:00"
                                                          << "UTC"
                                                          << "2026-01-05T00:00:00Z"
                                                          << "2026-01-05T01:00:00.000Z";
    // 96 hours after dtstart; the next multiple of 5 is 100.
    QTest::newRow("everyFiveHoursFarFromDtstart") << "FREQ=HOURLY;INTERVAL=5"
                                                  << "2026-01-01T00:00:00"
                                                  << "UTC"
                                                  << "2026-01-05T00:00:00Z"
                                                  << "2026-01-05T04:00:00.000Z";
    // 5760 minutes after dtstart; the next multiple of 7 is 5761.
    QTest::newRow("everySevenMinutesFarFromDtstart") << "FREQ=MINUTELY;INTERVAL=7"
                                                     << "2026-01-01T00:00:00"
                                                     << "UTC"
                                                     << "2026-01-05T00:00:00Z"
                                                     << "2026-01-05T00:01:00.000Z";
}

void tst_Recurrence::nextOccurrenceInZone()
{
    QFETCH(QString, rule);
    QFETCH(QString, dtstart);
    QFETCH(QString, zone);
    QFETCH(QString, after);
    QFETCH(QString, expected);
    Result<QDateTime> next
        = Recurrence::nextAfter(rrule(rule, dtstart, zone), *parseInstant(after));
    QVERIFY2(next, qPrintable(next ? QString() : next.error().describe()));
    QCOMPARE(formatInstant(*next), expected);
}

void tst_Recurrence::onceInstant_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("expected");
    QTest::newRow("utc") << "2026-12-01T07:30:00Z"
                         << "UTC"
                         << "2026-12-01T07:30:00.000Z";
    QTest::newRow("offset") << "2026-12-01T07:30:00+02:00"
                            << "UTC"
                            << "2026-12-01T05:30:00.000Z";
    QTest::newRow("fraction") << "2026-12-01T07:30:00.25Z"
                              << "UTC"
                              << "2026-12-01T07:30:00.250Z";
    QTest::newRow("wallTimeInZone") << "2026-12-01T07:30:00"
                                    << "Europe/Berlin"
                                    << "2026-12-01T06:30:00.000Z";
    QTest::newRow("wallTimeWithFraction") << "2026-07-01T07:30:00.5"
                                          << "Europe/Berlin"
                                          << "2026-07-01T05:30:00.500Z";
}

void tst_Recurrence::onceInstant()
{
    QFETCH(QString, expression);
    QFETCH(QString, zone);
    QFETCH(QString, expected);
    const Schedule once{ScheduleKind::Once, expression, QString(), zone};
    Result<QDateTime> next = Recurrence::nextAfter(once, utc("2026-01-01T00:00:00Z"));
    QVERIFY2(next, qPrintable(next ? QString() : next.error().describe()));
    QCOMPARE(formatInstant(*next), expected);
    Result<QDateTime> spent = Recurrence::nextAfter(once, *next);
    QVERIFY(spent);
    QVERIFY(!spent->isValid());
}

void tst_Recurrence::badSchedulesNameTheField_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("dtstart");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("field");
    QTest::newRow("badRule") << int(ScheduleKind::RRule) << "FREQ=SOMETIMES"
                             << "2026-01-01T00:00:00"
                             << "UTC"
                             << "schedule_expr";
    QTest::newRow("emptyRule") << int(ScheduleKind::RRule) << ""
                               << "2026-01-01T00:00:00"
                               << "UTC"
                               << "schedule_expr";
    QTest::newRow("badZone") << int(ScheduleKind::RRule) << "FREQ=DAILY"
                             << "2026-01-01T00:00:00"
                             << "Mars/Base"
                             << "timezone";
    QTest::newRow("dtstartWithOffset") << int(ScheduleKind::RRule) << "FREQ=DAILY"
                                       << "2026-01-01T00:00:00Z"
                                       << "UTC"
                                       << "dtstart";
    QTest::newRow("noDtstart") << int(ScheduleKind::RRule) << "FREQ=DAILY"
                               << ""
                               << "UTC"
                               << "dtstart";
    QTest::newRow("badOnce") << int(ScheduleKind::Once) << "tomorrow"
                             << ""
                             << "UTC"
                             << "schedule_expr";
    QTest::newRow("secondly") << int(ScheduleKind::RRule) << "FREQ=SECONDLY"
                              << "2026-01-01T00:00:00"
                              << "UTC"
                              << "schedule_expr";
    QTest::newRow("neverOccurs") << int(ScheduleKind::RRule)
                                 << "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30"
                                 << "2026-01-01T00:00:00"
                                 << "UTC"
                                 << "schedule_expr";
    QTest::newRow("neverOccursYearly")
        << int(ScheduleKind::RRule) << "FREQ=YEARLY;BYMONTH=4,6;BYMONTHDAY=31"
        << "2026-01-01T00:00:00"
        << "UTC"
        << "schedule_expr";
    QTest::newRow("hourlyByYearDay") << int(ScheduleKind::RRule) << "FREQ=HOURLY;BYYEARDAY=366"
                                     << "2026-01-01T00:00:00"
                                     << "UTC"
                                     << "schedule_expr";
    QTest::newRow("weeklyOrdinal") << int(ScheduleKind::RRule) << "FREQ=WEEKLY;BYDAY=1MO"
                                   << "2026-01-01T00:00:00"
                                   << "UTC"
                                   << "schedule_expr";
    QTest::newRow("dailyByWeekNo") << int(ScheduleKind::RRule) << "FREQ=DAILY;BYWEEKNO=20"
                                   << "2026-01-01T00:00:00"
                                   << "UTC"
                                   << "schedule_expr";
    QTest::newRow("monthlyByYearDay") << int(ScheduleKind::RRule) << "FREQ=MONTHLY;BYYEARDAY=100"
                                      << "2026-01-01T00:00:00"
                                      << "UTC"
                                      << "schedule_expr";
    QTest::newRow("weeklyByMonthDay") << int(ScheduleKind::RRule) << "FREQ=WEEKLY;BYMONTHDAY=3"
                                      << "2026-01-01T00:00:00"
                                      << "UTC"
                                      << "schedule_expr";
    QTest::newRow("countAndUntil")
        << int(ScheduleKind::RRule) << "FREQ=DAILY;COUNT=3;UNTIL=20270101T000000"
        << "2026-01-01T00:00:00"
        << "UTC"
        << "schedule_expr";
    QTest::newRow("badExtraLine") << int(ScheduleKind::RRule) << "FREQ=DAILY\nFOO:bar"
                                  << "2026-01-01T00:00:00"
                                  << "UTC"
                                  << "schedule_expr";
    QTest::newRow("badExdate") << int(ScheduleKind::RRule) << "FREQ=DAILY\nEXDATE:20261301T000000"
                               << "2026-01-01T00:00:00"
                               << "UTC"
                               << "schedule_expr";
    QTest::newRow("exdateWithOffset")
        << int(ScheduleKind::RRule) << "FREQ=DAILY\nEXDATE:2026-01-02T00:00:00Z"
        << "2026-01-01T00:00:00"
        << "UTC"
        << "schedule_expr";
    QTest::newRow("onceBadDate") << int(ScheduleKind::Once) << "2026-02-30T10:00:00Z"
                                 << ""
                                 << "UTC"
                                 << "schedule_expr";
    QTest::newRow("hourOutOfRange") << int(ScheduleKind::RRule) << "FREQ=DAILY;BYHOUR=25"
                                    << "2026-01-01T00:00:00"
                                    << "UTC"
                                    << "schedule_expr";
    QTest::newRow("unknownRulePart") << int(ScheduleKind::RRule) << "FREQ=DAILY;FOO=1"
                                     << "2026-01-01T00:00:00"
                                     << "UTC"
                                     << "schedule_expr";
    QTest::newRow("impossibleDtstart") << int(ScheduleKind::RRule) << "FREQ=DAILY"
                                       << "2026-02-30T09:00:00"
                                       << "UTC"
                                       << "dtstart";
    QTest::newRow("onceWallTimeBadZone") << int(ScheduleKind::Once) << "2026-12-01T07:30:00"
                                         << ""
                                         << "Europe/Atlantis"
                                         << "timezone";
    QTest::newRow("manualEmptyZone") << int(ScheduleKind::Manual) << ""
                                     << ""
                                     << ""
                                     << "timezone";
}

void tst_Recurrence::badSchedulesNameTheField()
{
    QFETCH(int, kind);
    QFETCH(QString, expression);
    QFETCH(QString, dtstart);
    QFETCH(QString, zone);
    QFETCH(QString, field);
    const Schedule schedule{static_cast<ScheduleKind>(kind), expression, dtstart, zone};
    Status valid = Recurrence::validate(schedule);
    QVERIFY(!valid);
    QVERIFY(valid.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(valid.error().field, field);
    QVERIFY(!valid.error().message.isEmpty());
    QVERIFY(!Recurrence::nextAfter(schedule, utc("2026-01-01T00:00:00Z")));
}

void tst_Recurrence::invalidRuleSaysWhy()
{
    Status valid
        = Recurrence::validate(rrule(QStringLiteral("FREQ=WEEKLY;BYDAY=1MO"),
                                     QStringLiteral("2026-01-01T00:00:00"), QStringLiteral("UTC")));
    QVERIFY(!valid);
    QVERIFY2(valid.error().message.contains(
                 QLatin1String("BYDAY ordinals are not allowed with FREQ=WEEKLY")),
             qPrintable(valid.error().message));
    // Ordinals are fine where RFC 5545 allows them.
    QVERIFY(
        Recurrence::validate(rrule(QStringLiteral("FREQ=MONTHLY;BYDAY=-1FR"),
                                   QStringLiteral("2026-01-01T00:00:00"), QStringLiteral("UTC"))));
    QVERIFY(
        Recurrence::validate(rrule(QStringLiteral("FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO"),
                                   QStringLiteral("2026-01-01T00:00:00"), QStringLiteral("UTC"))));
}

void tst_Recurrence::manualHasNoOccurrence()
{
    Result<QDateTime> next = Recurrence::nextAfter(Schedule{}, utc("2026-01-01T00:00:00Z"));
    QVERIFY(next);
    QVERIFY(!next->isValid());
}

void tst_Recurrence::exhaustedBudgetIsInvalidInput()
{
    // COUNT forbids skipping ahead, so reaching 2026 one minute at a time from 2020 would take
    // over three million iterations: the call gives up at the budget instead of hanging, and
    // says how to fix the rule.
    const Schedule hostile = rrule(QStringLiteral("FREQ=MINUTELY;COUNT=1000000000"),
                                   QStringLiteral("2020-01-01T00:00:00"), QStringLiteral("UTC"));
    QElapsedTimer timer;
    timer.start();
    Result<QDateTime> next = Recurrence::nextAfter(hostile, utc("2026-01-01T00:00:00Z"));
    QVERIFY(!next);
    QVERIFY(next.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(next.error().field, QStringLiteral("schedule_expr"));
    QVERIFY2(next.error().message.contains(QLatin1String("COUNT")),
             qPrintable(next.error().message));
    QVERIFY2(timer.elapsed() < 10000, "the iteration budget did not bound the work");
}

void tst_Recurrence::skipAheadKeepsPhase_data()
{
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QString>("dtstart");
    QTest::addColumn<QString>("zone");
    auto row = [](const char *rule, const char *dtstart, const char *zone) {
        QTest::addRow("%s from %s", rule, dtstart)
            << QString::fromLatin1(rule) << QString::fromLatin1(dtstart)
            << QString::fromLatin1(zone);
    };
    row("FREQ=MONTHLY", "2019-01-31T10:00:00", "Europe/Berlin");
    row("FREQ=MONTHLY;INTERVAL=5", "2018-03-15T08:30:00", "America/New_York");
    row("FREQ=MONTHLY;BYDAY=1MO;BYHOUR=8", "2020-06-01T08:00:00", "Australia/Sydney");
    row("FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR", "2019-11-29T17:00:00", "Asia/Kolkata");
    row("FREQ=MONTHLY;BYMONTHDAY=-1,15", "2021-02-15T06:00:00", "Europe/Chisinau");
    row("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2020-01-31T18:00:00", "UTC");
    row("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=31", "2017-01-31T12:00:00", "Etc/GMT+3");
    row("FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=2TH", "2018-01-11T09:00:00", "America/Chicago");
    row("FREQ=YEARLY", "2016-02-29T09:00:00", "Europe/Berlin");
    row("FREQ=YEARLY;INTERVAL=2", "2017-07-04T12:00:00", "America/New_York");
    row("FREQ=YEARLY;BYMONTH=3,9", "2015-01-20T07:00:00", "America/Argentina/Buenos_Aires");
    row("FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO", "2015-12-28T08:00:00", "Europe/Berlin");
    row("FREQ=YEARLY;BYYEARDAY=1,100,-1", "2014-01-01T00:30:00", "Australia/Sydney");
    row("FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;BYHOUR=2;BYMINUTE=30", "2015-10-25T02:30:00",
        "Europe/Berlin");
    row("FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4", "2016-11-24T10:00:00", "America/New_York");
    row("FREQ=YEARLY;BYDAY=20MO", "2019-05-13T11:00:00", "Asia/Kolkata");
    row("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", "2012-02-29T08:00:00", "UTC");
    // Plain sub-daily rules take their own short cut (expansion from just before `after`).
    row("FREQ=HOURLY;INTERVAL=5", "2023-12-01T00:20:00", "Europe/Berlin");
    row("FREQ=MINUTELY;INTERVAL=97", "2023-12-01T00:03:00", "Australia/Sydney");
}

void tst_Recurrence::skipAheadKeepsPhase()
{
    // Far from dtstart a rule is expanded from a later start (whole periods later, or just
    // before `after` for a plain sub-daily rule). A COUNT too large to matter forbids that
    // shortcut, so the same rule with it is the reference: both must agree on every
    // occurrence, from many points over months or years.
    QFETCH(QString, rule);
    QFETCH(QString, dtstart);
    QFETCH(QString, zone);
    const Schedule shifted = rrule(rule, dtstart, zone);
    const Schedule reference = rrule(rule + QStringLiteral(";COUNT=100000"), dtstart, zone);
    // Months apart for calendar rules; days apart (and past both DST changes) for sub-daily ones.
    const bool subDaily = rule.startsWith(QLatin1String("FREQ=HOURLY"))
                          || rule.startsWith(QLatin1String("FREQ=MINUTELY"));
    const qint64 spacing = (subDaily ? 9 : 37) * 86400 + 3607;
    QDateTime after = utc("2024-01-01T00:00:00Z");
    for (int probe = 0; probe < 40; ++probe, after = after.addSecs(spacing)) {
        QDateTime fromShifted = after;
        QDateTime fromReference = after;
        for (int i = 0; i < 3; ++i) {
            Result<QDateTime> a = Recurrence::nextAfter(shifted, fromShifted);
            Result<QDateTime> b = Recurrence::nextAfter(reference, fromReference);
            QVERIFY2(a && b, qPrintable(formatInstant(after)));
            QVERIFY2(*a == *b, qPrintable(QStringLiteral("after %1: %2 but the reference says %3")
                                              .arg(formatInstant(fromShifted), formatInstant(*a),
                                                   formatInstant(*b))));
            QVERIFY(a->isValid());
            fromShifted = *a;
            fromReference = *b;
        }
    }
}

void tst_Recurrence::hostileRulesEndQuickly_data()
{
    QTest::addColumn<QString>("rule");
    QTest::newRow("impossible month day")
        << QStringLiteral("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30");
    QTest::newRow("year day 366 in January")
        << QStringLiteral("FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1");
    QTest::newRow("week 53 Monday in January")
        << QStringLiteral("FREQ=YEARLY;BYWEEKNO=53;BYMONTH=1;BYDAY=MO");
}

void tst_Recurrence::hostileRulesEndQuickly()
{
    // A rule that can never occur is either refused with its reason or has no next occurrence;
    // it never hangs (the iteration budget bounds every call).
    QFETCH(QString, rule);
    const Schedule hostile
        = rrule(rule, QStringLiteral("2026-01-01T00:00:00"), QStringLiteral("UTC"));
    Result<QDateTime> next = Recurrence::nextAfter(hostile, utc("2026-01-01T00:00:00Z"));
    if (next) {
        QVERIFY2(!next->isValid(), qPrintable(formatInstant(*next)));
    } else {
        QVERIFY(next.error().code == ErrorCode::InvalidArgument);
        QVERIFY2(next.error().message.contains(QLatin1String("never occurs")),
                 qPrintable(next.error().message));
    }
}

QTEST_GUILESS_MAIN(tst_Recurrence)
#include "tst_Recurrence.moc"
