// Cron: translation to RRULEs (names, ranges, steps, lists, Sunday as 0 or 7, Vixie's day OR)
// and next occurrences in a zone; malformed fields are refused naming the field.
#include "schedule/CronTranslator.h"
#include "schedule/Recurrence.h"

#include "core/Json.h"

#include <QTest>

using namespace ordinaut;

class tst_CronTranslator final : public QObject
{
    Q_OBJECT

private slots:
    void translates_data();
    void translates();
    void nextOccurrence_data();
    void nextOccurrence();
    void refusesBadFields_data();
    void refusesBadFields();
};

void tst_CronTranslator::translates_data()
{
    QTest::addColumn<QString>("cron");
    QTest::addColumn<QStringList>("rules");
    QTest::newRow("weekdaysAt0730")
        << "30 7 * * 1-5"
        << QStringList{QStringLiteral("FREQ=DAILY;BYHOUR=7;BYMINUTE=30;BYDAY=FR,MO,TH,TU,WE")};
    QTest::newRow("everyFifteen") << "*/15 * * * *"
                                  << QStringList{QStringLiteral(
                                         "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
                                         "16,17,18,19,20,21,22,23;BYMINUTE=0,15,30,45")};
    QTest::newRow("namesAndSundaySeven")
        << "0 9 * jan,mar sun,7"
        << QStringList{QStringLiteral("FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYMONTH=1,3;BYDAY=SU")};
    QTest::newRow("bothDayFieldsAreOred")
        << "0 12 1,15 * fri"
        << QStringList{QStringLiteral("FREQ=DAILY;BYHOUR=12;BYMINUTE=0;BYMONTHDAY=1,15"),
                       QStringLiteral("FREQ=DAILY;BYHOUR=12;BYMINUTE=0;BYDAY=FR")};
    QTest::newRow("rangeWithStep")
        << "0 8-18/5 * * *" << QStringList{QStringLiteral("FREQ=DAILY;BYHOUR=8,13,18;BYMINUTE=0")};
    QTest::newRow("startWithStep")
        << "5/20 0 * * *" << QStringList{QStringLiteral("FREQ=DAILY;BYHOUR=0;BYMINUTE=5,25,45")};
}

void tst_CronTranslator::translates()
{
    QFETCH(QString, cron);
    QFETCH(QStringList, rules);
    Result<QStringList> got = CronTranslator::toRRules(cron);
    QVERIFY2(got, qPrintable(got ? QString() : got.error().describe()));
    QCOMPARE(*got, rules);
}

void tst_CronTranslator::nextOccurrence_data()
{
    QTest::addColumn<QString>("cron");
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("after");
    QTest::addColumn<QString>("expected");
    QTest::newRow("weekdayMorningNewYork") << "30 7 * * 1-5"
                                           << "America/New_York"
                                           << "2026-12-04T13:00:00Z"
                                           << "2026-12-07T12:30:00.000Z";
    QTest::newRow("firstOrFridayIsEarlier") << "0 12 1 * fri"
                                            << "UTC"
                                            << "2026-05-01T12:00:00Z"
                                            << "2026-05-08T12:00:00.000Z";
    QTest::newRow("firstOfMonthWins") << "0 12 1 * fri"
                                      << "UTC"
                                      << "2026-05-29T12:00:00Z"
                                      << "2026-06-01T12:00:00.000Z";
    QTest::newRow("everyFifteenMinutes") << "*/15 * * * *"
                                         << "Asia/Kolkata"
                                         << "2026-05-05T10:07:00Z"
                                         << "2026-05-05T10:15:00.000Z";
    QTest::newRow("springForwardGap") << "30 2 * * *"
                                      << "America/New_York"
                                      << "2026-03-08T06:00:00Z"
                                      << "2026-03-08T07:30:00.000Z";
}

void tst_CronTranslator::nextOccurrence()
{
    QFETCH(QString, cron);
    QFETCH(QString, zone);
    QFETCH(QString, after);
    QFETCH(QString, expected);
    Result<QDateTime> next = Recurrence::nextAfter(
        Schedule{ScheduleKind::Cron, cron, QString(), zone}, *parseInstant(after));
    QVERIFY2(next, qPrintable(next ? QString() : next.error().describe()));
    QCOMPARE(formatInstant(*next), expected);
}

void tst_CronTranslator::refusesBadFields_data()
{
    QTest::addColumn<QString>("cron");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("fourFields") << "0 9 * *"
                                << "has 4 fields";
    QTest::newRow("hourOutOfRange") << "0 24 * * *"
                                    << "cron field 2 (hour): 24 is out of range 0-23";
    QTest::newRow("badName") << "0 9 * foo *"
                             << "cron field 4 (month): 'foo' is not a number or a name";
    QTest::newRow("backwardsRange") << "0 9 * * 5-1"
                                    << "range '5-1' runs backwards";
    QTest::newRow("zeroStep") << "*/0 * * * *"
                              << "bad step";
    QTest::newRow("emptyItem") << "1,,2 * * * *"
                               << "empty list item";
}

void tst_CronTranslator::refusesBadFields()
{
    QFETCH(QString, cron);
    QFETCH(QString, mentions);
    Result<QStringList> got = CronTranslator::toRRules(cron);
    QVERIFY(!got);
    QCOMPARE(got.error().field, QStringLiteral("schedule_expr"));
    QVERIFY2(got.error().message.contains(mentions), qPrintable(got.error().message));
}

QTEST_GUILESS_MAIN(tst_CronTranslator)
#include "tst_CronTranslator.moc"
