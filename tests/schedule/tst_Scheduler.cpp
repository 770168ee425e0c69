// Scheduler with a manual clock: a due task is queued once, missed occurrences coalesce into
// one late run, paused tasks are left alone, and the timer is armed for the next instant.
#include "support/TempDataDir.h"

#include "core/Clock.h"
#include "core/Id.h"
#include "schedule/Scheduler.h"
#include "store/Database.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/TaskStore.h"

#include <QSignalSpy>
#include <QTest>

using namespace ordinaut;

class tst_Scheduler final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void dueTaskIsQueuedExactlyOnce();
    void twoSchedulersQueueAnOccurrenceOnce();
    void missedOccurrencesCoalesceIntoOneRun();
    void pausedTaskIsNotQueued();
    void onceTaskIsSpentAfterFiring();
    void armsForEarliestNextRun();
    void queuedWorkWaitingToStartArmsTheTimer();
    void sleepAcrossOccurrencesFollowsPolicy_data();
    void sleepAcrossOccurrencesFollowsPolicy();
    void clockJumpsNeitherRepeatNorLoseRuns();

private:
    Task addTask(ScheduleKind kind, const QString &expression, const QDateTime &nextRunAt,
                 TaskStatus status = TaskStatus::Active);

    std::unique_ptr<test::TempDataDir> m_dir;
    std::shared_ptr<Database> m_db;
    ManualClock m_clock{QDateTime::fromString(QStringLiteral("2026-06-10T12:00:00Z"), Qt::ISODate)};
};

void tst_Scheduler::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::shared_ptr<Database>> db = Database::open(m_dir->databaseFile());
    QVERIFY(db);
    m_db = *db;
    m_clock.set(QDateTime::fromString(QStringLiteral("2026-06-10T12:00:00Z"), Qt::ISODate));
}

void tst_Scheduler::cleanup()
{
    m_db.reset();
    m_dir.reset();
}

Task tst_Scheduler::addTask(ScheduleKind kind, const QString &expression,
                            const QDateTime &nextRunAt, TaskStatus status)
{
    Task task;
    task.id = newId();
    task.title = QStringLiteral("t");
    task.schedule
        = Schedule{kind, expression,
                   kind == ScheduleKind::RRule ? QStringLiteral("2026-01-01T09:00:00") : QString(),
                   QStringLiteral("UTC")};
    task.pipeline
        = *Pipeline::fromJson(Json::parse(R"({"pipeline":[]})"), QStringLiteral("payload"));
    task.status = status;
    task.nextRunAt = nextRunAt;
    task.createdAt = m_clock.now();
    task.updatedAt = m_clock.now();
    TaskStore store(*m_db);
    [&] { QVERIFY(store.insert(task)); }();
    return task;
}

void tst_Scheduler::dueTaskIsQueuedExactlyOnce()
{
    const Task task = addTask(ScheduleKind::RRule, QStringLiteral("FREQ=DAILY;BYHOUR=9"),
                              m_clock.now().addSecs(-60));
    Scheduler scheduler(*m_db, m_clock);
    QSignalSpy queued(&scheduler, &Scheduler::runQueued);
    QCOMPARE(scheduler.tick(), 1);
    QCOMPARE(queued.count(), 1);
    QCOMPARE(queued.at(0).at(0).value<Event>().topic, QStringLiteral("run.queued"));
    QCOMPARE(scheduler.tick(), 0);
    QCOMPARE(*RunQueue(*m_db).pendingCount(), 1);
    const Task after = *TaskStore(*m_db).get(task.id);
    QCOMPARE(after.nextRunAt,
             QDateTime::fromString(QStringLiteral("2026-06-11T09:00:00Z"), Qt::ISODate));
}

void tst_Scheduler::twoSchedulersQueueAnOccurrenceOnce()
{
    const Task task = addTask(ScheduleKind::RRule, QStringLiteral("FREQ=DAILY;BYHOUR=9"),
                              m_clock.now().addSecs(-1));
    Scheduler first(*m_db, m_clock);
    Scheduler second(*m_db, m_clock);
    QCOMPARE(first.tick() + second.tick(), 1);
    QCOMPARE(*RunQueue(*m_db).pendingCount(), 1);
    Result<RunPage> runs = RunStore(*m_db).list(RunFilter{task.id, std::nullopt, 10, 0});
    QVERIFY(runs);
    QCOMPARE(runs->total, 1);
    QVERIFY(runs->items[0].trigger == RunTrigger::Schedule);
    QCOMPARE(runs->items[0].scheduledFor, task.nextRunAt);
    QCOMPARE(runs->items[0].taskVersion, task.version);
}

void tst_Scheduler::missedOccurrencesCoalesceIntoOneRun()
{
    // Asleep for three days: one late run, then back on schedule.
    const Task task = addTask(ScheduleKind::RRule, QStringLiteral("FREQ=DAILY;BYHOUR=9"),
                              m_clock.now().addDays(-3));
    Scheduler scheduler(*m_db, m_clock);
    QCOMPARE(scheduler.tick(), 1);
    QCOMPARE(scheduler.tick(), 0);
    QCOMPARE(*RunQueue(*m_db).pendingCount(), 1);
    QCOMPARE(TaskStore(*m_db).get(task.id)->nextRunAt,
             QDateTime::fromString(QStringLiteral("2026-06-11T09:00:00Z"), Qt::ISODate));
}

void tst_Scheduler::pausedTaskIsNotQueued()
{
    const Task paused = addTask(ScheduleKind::RRule, QStringLiteral("FREQ=DAILY"),
                                m_clock.now().addSecs(-5), TaskStatus::Paused);
    Scheduler scheduler(*m_db, m_clock);
    QCOMPARE(scheduler.tick(), 0);
    QCOMPARE(*RunQueue(*m_db).pendingCount(), 0);
    QCOMPARE(TaskStore(*m_db).get(paused.id)->nextRunAt, paused.nextRunAt);
}

void tst_Scheduler::onceTaskIsSpentAfterFiring()
{
    const QDateTime at = m_clock.now().addMSecs(500);
    const Task task = addTask(ScheduleKind::Once, formatInstant(at), at);
    Scheduler scheduler(*m_db, m_clock);
    QCOMPARE(scheduler.tick(), 0); // never early
    m_clock.advanceMs(500);
    QCOMPARE(scheduler.tick(), 1);
    QVERIFY(!TaskStore(*m_db).get(task.id)->nextRunAt.isValid());
}

void tst_Scheduler::armsForEarliestNextRun()
{
    addTask(ScheduleKind::RRule, QStringLiteral("FREQ=DAILY"), m_clock.now().addSecs(30));
    addTask(ScheduleKind::RRule, QStringLiteral("FREQ=DAILY"), m_clock.now().addSecs(10));
    Scheduler scheduler(*m_db, m_clock);
    scheduler.start();
    QCOMPARE(scheduler.armedFor(), m_clock.now().addSecs(10));
    scheduler.stop();
}

void tst_Scheduler::queuedWorkWaitingToStartArmsTheTimer()
{
    // A queued run that may start only later (a retry's backoff) is the earliest instant; when
    // it comes due the scheduler tells the workers, who keep no timers of their own.
    const Task task = addTask(ScheduleKind::Manual, QString(), QDateTime());
    EnqueueRequest request;
    request.taskId = task.id;
    request.scheduledFor = m_clock.now();
    request.runAt = m_clock.now().addSecs(20);
    request.trigger = RunTrigger::Manual;
    QVERIFY(RunQueue(*m_db).enqueue(request, m_clock.now()));
    addTask(ScheduleKind::RRule, QStringLiteral("FREQ=DAILY"), m_clock.now().addSecs(40));

    Scheduler scheduler(*m_db, m_clock);
    QSignalSpy due(&scheduler, &Scheduler::workDue);
    scheduler.start();
    QCOMPARE(scheduler.armedFor(), m_clock.now().addSecs(20));
    QCOMPARE(due.count(), 0);
    m_clock.advanceMs(20 * 1000);
    scheduler.rescan();
    QCOMPARE(due.count(), 1);
    QCOMPARE(scheduler.armedFor(), m_clock.now().addSecs(20)); // the task, 40 s after the start
    scheduler.stop();
}

void tst_Scheduler::sleepAcrossOccurrencesFollowsPolicy_data()
{
    QTest::addColumn<int>("policy");
    QTest::addColumn<int>("queuedRuns");
    QTest::addColumn<int>("coalescedInFirst");
    QTest::newRow("runOnce") << int(MisfirePolicy::RunOnce) << 1 << 5;
    QTest::newRow("runAll") << int(MisfirePolicy::RunAll) << 5 << 1;
    QTest::newRow("skip") << int(MisfirePolicy::Skip) << 0 << 0;
}

void tst_Scheduler::sleepAcrossOccurrencesFollowsPolicy()
{
    QFETCH(int, policy);
    QFETCH(int, queuedRuns);
    QFETCH(int, coalescedInFirst);
    // Hourly at :30; the machine sleeps from 11:50 to 16:45 (5 occurrences, 12:30 … 16:30).
    m_clock.set(QDateTime::fromString(QStringLiteral("2026-06-10T11:50:00Z"), Qt::ISODate));
    Task task = addTask(ScheduleKind::RRule, QStringLiteral("FREQ=HOURLY;BYMINUTE=30"),
                        QDateTime::fromString(QStringLiteral("2026-06-10T12:30:00Z"), Qt::ISODate));
    task.misfirePolicy = static_cast<MisfirePolicy>(policy);
    QVERIFY(TaskStore(*m_db).update(task));
    Scheduler scheduler(*m_db, m_clock);
    QCOMPARE(scheduler.tick(), 0);
    m_clock.set(QDateTime::fromString(QStringLiteral("2026-06-10T16:45:00Z"), Qt::ISODate));
    QCOMPARE(scheduler.tick(), queuedRuns);
    QCOMPARE(scheduler.tick(), 0);
    RunFilter filter;
    filter.taskId = task.id;
    Result<RunPage> runs = RunStore(*m_db).list(filter);
    QVERIFY(runs);
    QCOMPARE(runs->total, queuedRuns);
    if (queuedRuns > 0) {
        const Run &oldest = runs->items.back();
        QCOMPARE(oldest.coalesced, coalescedInFirst);
        QVERIFY(oldest.lateMs > 0); // marked late
    }
    QCOMPARE(TaskStore(*m_db).get(task.id)->nextRunAt,
             QDateTime::fromString(QStringLiteral("2026-06-10T17:30:00Z"), Qt::ISODate));
}

void tst_Scheduler::clockJumpsNeitherRepeatNorLoseRuns()
{
    m_clock.set(QDateTime::fromString(QStringLiteral("2026-06-10T09:00:00Z"), Qt::ISODate));
    const Task task
        = addTask(ScheduleKind::RRule, QStringLiteral("FREQ=HOURLY;BYMINUTE=0"),
                  QDateTime::fromString(QStringLiteral("2026-06-10T09:00:00Z"), Qt::ISODate));
    Scheduler scheduler(*m_db, m_clock);
    QCOMPARE(scheduler.tick(), 1); // 09:00
    m_clock.set(
        QDateTime::fromString(QStringLiteral("2026-06-10T07:30:00Z"), Qt::ISODate)); // back 1.5 h
    QCOMPARE(scheduler.tick(), 0); // nothing repeats: next is still 10:00
    QCOMPARE(TaskStore(*m_db).get(task.id)->nextRunAt,
             QDateTime::fromString(QStringLiteral("2026-06-10T10:00:00Z"), Qt::ISODate));
    m_clock.set(QDateTime::fromString(QStringLiteral("2026-06-10T10:00:30Z"),
                                      Qt::ISODate)); // forward again
    QCOMPARE(scheduler.tick(), 1);                   // 10:00, on time within the grace window
    RunFilter filter;
    filter.taskId = task.id;
    Result<RunPage> runs = RunStore(*m_db).list(filter);
    QVERIFY(runs);
    QCOMPARE(runs->total, 2);
    QCOMPARE(runs->items.front().lateMs, qint64(0));
}

QTEST_GUILESS_MAIN(tst_Scheduler)
#include "tst_Scheduler.moc"
