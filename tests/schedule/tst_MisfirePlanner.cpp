// MisfirePlanner: after a sleep across several occurrences, run_once queues one late run
// standing for all of them, run_all queues each (capped), skip queues none; slightly late is on
// time within the grace window.
#include "schedule/MisfirePlanner.h"

#include <QTest>

using namespace ordinaut;

namespace {

QDateTime at(const char *text)
{
    return QDateTime::fromString(QString::fromLatin1(text), Qt::ISODate);
}

// Every 30 minutes from 08:00 UTC.
const Schedule kHalfHourly{ScheduleKind::RRule, QStringLiteral("FREQ=MINUTELY;INTERVAL=30"),
                           QStringLiteral("2026-05-01T08:00:00"), QStringLiteral("UTC")};

} // namespace

class tst_MisfirePlanner final : public QObject
{
    Q_OBJECT

private slots:
    void policies_data();
    void policies();
    void runAllIsCapped();
    void endedScheduleHasNoNext();
};

void tst_MisfirePlanner::policies_data()
{
    QTest::addColumn<int>("policy");
    QTest::addColumn<int>("graceSeconds");
    QTest::addColumn<QDateTime>("now");
    QTest::addColumn<QStringList>("runs"); // scheduled_for/late_ms/coalesced
    QTest::addColumn<QDateTime>("next");

    // Asleep from before 08:00 until 10:10: occurrences 08:00 … 10:00 (five) were missed.
    const QDateTime woke = at("2026-05-01T10:10:00Z");
    QTest::newRow("sleepRunOnce") << int(MisfirePolicy::RunOnce) << 60 << woke
                                  << QStringList{QStringLiteral("10:00/7800000/5")}
                                  << at("2026-05-01T10:30:00Z");
    QTest::newRow("sleepRunAll") << int(MisfirePolicy::RunAll) << 60 << woke
                                 << QStringList{QStringLiteral("08:00/7800000/1"),
                                                QStringLiteral("08:30/6000000/1"),
                                                QStringLiteral("09:00/4200000/1"),
                                                QStringLiteral("09:30/2400000/1"),
                                                QStringLiteral("10:00/600000/1")}
                                 << at("2026-05-01T10:30:00Z");
    QTest::newRow("sleepSkip") << int(MisfirePolicy::Skip) << 60 << woke << QStringList{}
                               << at("2026-05-01T10:30:00Z");
    // Woke 20 s after 10:00: the last occurrence is on time; skip still runs that one.
    QTest::newRow("skipKeepsOnTimeOccurrence")
        << int(MisfirePolicy::Skip) << 60 << at("2026-05-01T10:00:20Z")
        << QStringList{QStringLiteral("10:00/0/1")} << at("2026-05-01T10:30:00Z");
    QTest::newRow("onTimeWithinGrace")
        << int(MisfirePolicy::Skip) << 60 << at("2026-05-01T08:00:45Z")
        << QStringList{QStringLiteral("08:00/0/1")} << at("2026-05-01T08:30:00Z");
    QTest::newRow("lateBeyondGraceRunOnce")
        << int(MisfirePolicy::RunOnce) << 10 << at("2026-05-01T08:01:00Z")
        << QStringList{QStringLiteral("08:00/60000/1")} << at("2026-05-01T08:30:00Z");
    QTest::newRow("lateBeyondGraceSkip")
        << int(MisfirePolicy::Skip) << 10 << at("2026-05-01T08:01:00Z") << QStringList{}
        << at("2026-05-01T08:30:00Z");
    QTest::newRow("exactlyDue") << int(MisfirePolicy::RunOnce) << 0 << at("2026-05-01T08:00:00Z")
                                << QStringList{QStringLiteral("08:00/0/1")}
                                << at("2026-05-01T08:30:00Z");
}

void tst_MisfirePlanner::policies()
{
    QFETCH(int, policy);
    QFETCH(int, graceSeconds);
    QFETCH(QDateTime, now);
    QFETCH(QStringList, runs);
    QFETCH(QDateTime, next);
    Result<MisfirePlan> plan
        = MisfirePlanner::plan(kHalfHourly, static_cast<MisfirePolicy>(policy), graceSeconds,
                               at("2026-05-01T08:00:00Z"), now, 10);
    QVERIFY2(plan, qPrintable(plan ? QString() : plan.error().describe()));
    QStringList got;
    for (const PlannedRun &run : plan->runs)
        got << QStringLiteral("%1/%2/%3")
                   .arg(run.scheduledFor.toUTC().toString(QStringLiteral("HH:mm")))
                   .arg(run.lateMs)
                   .arg(run.coalesced);
    QCOMPARE(got, runs);
    QCOMPARE(plan->next, next);
}

void tst_MisfirePlanner::runAllIsCapped()
{
    // Two days asleep: 96 missed half-hours, at most 3 queued — the most recent ones.
    Result<MisfirePlan> plan
        = MisfirePlanner::plan(kHalfHourly, MisfirePolicy::RunAll, 60, at("2026-05-01T08:00:00Z"),
                               at("2026-05-03T07:59:00Z"), 3);
    QVERIFY(plan);
    QCOMPARE(plan->missed, 96);
    QCOMPARE(plan->runs.size(), size_t(3));
    QCOMPARE(plan->runs.back().scheduledFor, at("2026-05-03T07:30:00Z"));
    QCOMPARE(plan->next, at("2026-05-03T08:00:00Z"));
}

void tst_MisfirePlanner::endedScheduleHasNoNext()
{
    const Schedule twice{ScheduleKind::RRule, QStringLiteral("FREQ=DAILY;COUNT=2"),
                         QStringLiteral("2026-05-01T08:00:00"), QStringLiteral("UTC")};
    Result<MisfirePlan> plan
        = MisfirePlanner::plan(twice, MisfirePolicy::RunOnce, 60, at("2026-05-01T08:00:00Z"),
                               at("2026-05-09T00:00:00Z"), 10);
    QVERIFY(plan);
    QCOMPARE(plan->missed, 2);
    QCOMPARE(plan->runs.size(), size_t(1));
    QCOMPARE(plan->runs[0].coalesced, 2);
    QVERIFY(!plan->next.isValid());
}

QTEST_GUILESS_MAIN(tst_MisfirePlanner)
#include "tst_MisfirePlanner.moc"
