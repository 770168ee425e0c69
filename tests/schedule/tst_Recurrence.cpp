// Recurrence: next occurrences of RRULEs in a zone (including far from dtstart and across DST),
// once instants, and errors that name the offending field.
#include "schedule/Recurrence.h"

#include "core/Json.h"

#include <QTest>

using namespace ordinaut;

namespace {

Schedule rrule(const QString &rule, const QString &dtstart, const QString &zone)
{
    return Schedule{ScheduleKind::RRule, rule, dtstart, zone};
}

QDateTime utc(const char *text)
{
    return *parseInstant(QString::fromLatin1(text));
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
    QTest::newRow("gapDayShiftsOnlyThatDay") << "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"
                                             << "2026-03-01T02:30:00"
                                             << "America/New_York"
                                             << "2026-03-08T06:00:00Z"
                                             << "2026-03-08T07:30:00.000Z";
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
    QTest::newRow("onceBadDate") << int(ScheduleKind::Once) << "2026-02-30T10:00:00Z"
                                 << ""
                                 << "UTC"
                                 << "schedule_expr";
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

void tst_Recurrence::manualHasNoOccurrence()
{
    Result<QDateTime> next = Recurrence::nextAfter(Schedule{}, utc("2026-01-01T00:00:00Z"));
    QVERIFY(next);
    QVERIFY(!next->isValid());
}

QTEST_GUILESS_MAIN(tst_Recurrence)
#include "tst_Recurrence.moc"
