// WallClock: the DST policy — a gap runs at the pre-gap offset, an overlap at the earlier
// instant, ordinary times convert plainly.
#include "schedule/WallClock.h"

#include <QTest>

using namespace ordinaut;

class tst_WallClock final : public QObject
{
    Q_OBJECT

private slots:
    void resolvesWallTime_data();
    void resolvesWallTime();
};

void tst_WallClock::resolvesWallTime_data()
{
    QTest::addColumn<QString>("zone");
    QTest::addColumn<QString>("wall");
    QTest::addColumn<QString>("expected");
    QTest::newRow("springForwardGapRunsAtShiftedTime") << "America/New_York"
                                                       << "2026-03-08T02:30:00"
                                                       << "2026-03-08T07:30:00.000Z";
    QTest::newRow("dayAfterGapIsOrdinary") << "America/New_York"
                                           << "2026-03-09T02:30:00"
                                           << "2026-03-09T06:30:00.000Z";
    QTest::newRow("fallBackOverlapRunsAtEarlierInstant") << "America/New_York"
                                                         << "2026-11-01T01:30:00"
                                                         << "2026-11-01T05:30:00.000Z";
    QTest::newRow("winter") << "America/New_York"
                            << "2026-01-15T09:00:00"
                            << "2026-01-15T14:00:00.000Z";
    QTest::newRow("berlinSummer") << "Europe/Berlin"
                                  << "2026-07-01T08:00:00"
                                  << "2026-07-01T06:00:00.000Z";
    QTest::newRow("berlinGap") << "Europe/Berlin"
                               << "2026-03-29T02:15:00"
                               << "2026-03-29T01:15:00.000Z";
    QTest::newRow("berlinOverlap") << "Europe/Berlin"
                                   << "2026-10-25T02:15:00"
                                   << "2026-10-25T00:15:00.000Z";
    QTest::newRow("sydneyGapSouthernSpring") << "Australia/Sydney"
                                             << "2026-10-04T02:30:00"
                                             << "2026-10-03T16:30:00.000Z";
    QTest::newRow("sydneyOverlapSouthernAutumn") << "Australia/Sydney"
                                                 << "2026-04-05T02:30:00"
                                                 << "2026-04-04T15:30:00.000Z";
    QTest::newRow("chisinauGap") << "Europe/Chisinau"
                                 << "2026-03-29T02:30:00"
                                 << "2026-03-29T00:30:00.000Z";
    QTest::newRow("chisinauOverlap") << "Europe/Chisinau"
                                     << "2026-10-25T02:30:00"
                                     << "2026-10-24T23:30:00.000Z";
    QTest::newRow("etcGmtPlus3IsUtcMinus3") << "Etc/GMT+3"
                                            << "2026-05-05T10:00:00"
                                            << "2026-05-05T13:00:00.000Z";
    QTest::newRow("buenosAires") << "America/Argentina/Buenos_Aires"
                                 << "2026-05-05T10:00:00"
                                 << "2026-05-05T13:00:00.000Z";
    QTest::newRow("utc") << "UTC"
                         << "2026-05-05T05:05:05"
                         << "2026-05-05T05:05:05.000Z";
    QTest::newRow("halfHourZone") << "Asia/Kolkata"
                                  << "2026-05-05T10:00:00"
                                  << "2026-05-05T04:30:00.000Z";
}

void tst_WallClock::resolvesWallTime()
{
    QFETCH(QString, zone);
    QFETCH(QString, wall);
    QFETCH(QString, expected);
    const QDateTime local = QDateTime::fromString(wall, Qt::ISODate);
    const QDateTime instant
        = WallClock::toInstant(local.date(), local.time(), QTimeZone(zone.toUtf8()));
    QCOMPARE(instant.toUTC().toString(Qt::ISODateWithMs), expected);
}

QTEST_GUILESS_MAIN(tst_WallClock)
#include "tst_WallClock.moc"
