// RunQueue: materializing an occurrence twice queues it once; concurrent claimers on their own
// connections never get the same row; a lost lease cannot record a completion; claims go by
// priority, respect concurrency limits and start a serial task's runs one at a time.
#include "support/TempDataDir.h"

#include "core/Id.h"
#include "store/Database.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/Sql.h"
#include "store/TaskStore.h"

#include <QMutex>
#include <QSet>
#include <QTest>

#include <thread>

using namespace ordinaut;

class tst_RunQueue final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void enqueueIsIdempotentPerOccurrence();
    void concurrentClaimersNeverShareARow();
    void claimTakesHighestPriorityThenEarliestFirst();
    void concurrencyLimitHoldsBackRowsOfAFullKey();
    void expiredLeaseIsTakenOverEvenWhenItsKeyIsFull();
    void serialTaskStartsOneRunAtATime();
    void pausedRunHoldsBackNewRunsOfItsSerialTask();
    void allowedOverlapRunsTogether();
    void completionWithLostLeaseIsRefused();
    void expiredLeaseIsTakenOverAsTheNextAttempt();
    void renewedLeaseIsNotTakenOver();
    void healthSummarizesTheQueue();

private:
    EnqueueRequest request(const QString &taskId, qint64 scheduledMs, int priority = 5) const;
    // A task row whose flow control enqueue() copies onto the queued rows.
    void addTask(const QString &id, OverlapPolicy overlap, const QString &concurrencyKey = {},
                 int concurrencyLimit = 0);
    // The queued row of a run: its state and the flow control copied onto it.
    QVariantList rowOf(const QString &runId) const;

    std::unique_ptr<test::TempDataDir> m_dir;
    std::shared_ptr<Database> m_db;
    const QDateTime m_now = QDateTime::fromMSecsSinceEpoch(1795000000000, Qt::UTC);
};

void tst_RunQueue::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::shared_ptr<Database>> db = Database::open(m_dir->databaseFile());
    QVERIFY(db);
    m_db = *db;
}

void tst_RunQueue::cleanup()
{
    m_db.reset();
    m_dir.reset();
}

EnqueueRequest tst_RunQueue::request(const QString &taskId, qint64 scheduledMs, int priority) const
{
    EnqueueRequest r;
    r.taskId = taskId;
    r.scheduledFor = QDateTime::fromMSecsSinceEpoch(scheduledMs, Qt::UTC);
    r.runAt = m_now;
    r.priority = priority;
    return r;
}

void tst_RunQueue::addTask(const QString &id, OverlapPolicy overlap, const QString &concurrencyKey,
                           int concurrencyLimit)
{
    Task task;
    task.id = id;
    task.title = id;
    task.schedule = Schedule{ScheduleKind::Manual, QString(), QString(), QStringLiteral("UTC")};
    task.pipeline
        = *Pipeline::fromJson(Json::parse(R"({"pipeline":[]})"), QStringLiteral("payload"));
    task.overlapPolicy = overlap;
    task.concurrencyKey = concurrencyKey;
    task.concurrencyLimit = concurrencyLimit;
    task.createdAt = m_now;
    task.updatedAt = m_now;
    QVERIFY(TaskStore(*m_db).insert(task));
}

QVariantList tst_RunQueue::rowOf(const QString &runId) const
{
    Result<QSqlQuery> q = sql::exec(m_db->connection(),
                                    QStringLiteral("SELECT state, concurrency_key, "
                                                   "concurrency_limit, serial FROM run_queue "
                                                   "WHERE run_id=?"),
                                    {runId});
    if (!q || !q->next())
        return {};
    return {q->value(0), q->value(1), q->value(2), q->value(3)};
}

void tst_RunQueue::enqueueIsIdempotentPerOccurrence()
{
    RunQueue queue(*m_db);
    Result<std::optional<Run>> first = queue.enqueue(request(QStringLiteral("t1"), 1000), m_now);
    QVERIFY(first && first->has_value());
    Result<std::optional<Run>> again = queue.enqueue(request(QStringLiteral("t1"), 1000), m_now);
    QVERIFY(again);
    QVERIFY(!again->has_value());
    EnqueueRequest retry = request(QStringLiteral("t1"), 1000);
    retry.attempt = 2;
    Result<std::optional<Run>> second = queue.enqueue(retry, m_now);
    QVERIFY(second && second->has_value());
    QCOMPARE(*queue.pendingCount(), 2);
    Result<RunPage> runs = RunStore(*m_db).list(RunFilter{});
    QVERIFY(runs);
    QCOMPARE(runs->total, 2);
    QVERIFY(runs->items[0].status == RunStatus::Queued);
}

void tst_RunQueue::concurrentClaimersNeverShareARow()
{
    constexpr int kRows = 200;
    constexpr int kClaimers = 4;
    {
        RunQueue queue(*m_db);
        sql::Transaction tx(m_db->connection());
        for (int i = 0; i < kRows; ++i)
            QVERIFY(queue.enqueue(request(QStringLiteral("task-%1").arg(i % 7), 1000 + i), m_now));
        QVERIFY(tx.commit());
    }
    QMutex mutex;
    QList<QString> claimed;
    int failures = 0;
    std::vector<std::thread> threads;
    for (int w = 0; w < kClaimers; ++w) {
        threads.emplace_back([&, w] {
            RunQueue queue(*m_db); // each thread gets its own connection
            for (;;) {
                Result<std::optional<Claim>> claim
                    = queue.claim(QStringLiteral("w%1").arg(w), m_now, 60000);
                QMutexLocker lock(&mutex);
                if (!claim) {
                    ++failures;
                    continue;
                }
                if (!claim->has_value())
                    return;
                claimed << (*claim)->runId;
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    QCOMPARE(failures, 0);
    QCOMPARE(claimed.size(), kRows);
    QCOMPARE(QSet<QString>(claimed.begin(), claimed.end()).size(), kRows);
    QCOMPARE(*RunQueue(*m_db).pendingCount(), 0);
    Result<RunPage> running
        = RunStore(*m_db).list(RunFilter{QString(), RunStatus::Running, 500, 0});
    QVERIFY(running);
    QCOMPARE(running->total, kRows);
}

void tst_RunQueue::claimTakesHighestPriorityThenEarliestFirst()
{
    RunQueue queue(*m_db);
    QVERIFY(queue.enqueue(request(QStringLiteral("low"), 1000, 1), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("high"), 2000, 9), m_now));
    EnqueueRequest waitedLonger = request(QStringLiteral("middle-earlier"), 3000, 5);
    waitedLonger.runAt = m_now.addSecs(-30);
    EnqueueRequest waitedLess = request(QStringLiteral("middle-later"), 4000, 5);
    waitedLess.runAt = m_now.addSecs(-10);
    QVERIFY(queue.enqueue(waitedLess, m_now)); // queued first, due later
    QVERIFY(queue.enqueue(waitedLonger, m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("middle-now-a"), 5000, 5), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("middle-now-b"), 6000, 5), m_now));
    EnqueueRequest later = request(QStringLiteral("future"), 7000, 9);
    later.runAt = m_now.addSecs(60);
    QVERIFY(queue.enqueue(later, m_now));
    QStringList order;
    for (;;) {
        Result<std::optional<Claim>> claim = queue.claim(QStringLiteral("w"), m_now, 1000);
        QVERIFY(claim);
        if (!claim->has_value())
            break;
        order << (*claim)->taskId;
    }
    // 9 before 5 before 1; within a priority the earliest due, then the order of queueing;
    // never before run_at.
    QCOMPARE(order, QStringList({QStringLiteral("high"), QStringLiteral("middle-earlier"),
                                 QStringLiteral("middle-later"), QStringLiteral("middle-now-a"),
                                 QStringLiteral("middle-now-b"), QStringLiteral("low")}));
}

void tst_RunQueue::concurrencyLimitHoldsBackRowsOfAFullKey()
{
    for (const char *id : {"a", "b", "c", "e"})
        addTask(QString::fromLatin1(id), OverlapPolicy::Allow, QStringLiteral("k"), 2);
    addTask(QStringLiteral("free"), OverlapPolicy::Allow);
    addTask(QStringLiteral("other"), OverlapPolicy::Allow, QStringLiteral("k2"), 2);
    RunQueue queue(*m_db);
    // The keyed rows are the most urgent, so only the limit can hold them back.
    const Run a = **queue.enqueue(request(QStringLiteral("a"), 1000, 9), m_now);
    QVERIFY(queue.enqueue(request(QStringLiteral("b"), 1000, 9), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("c"), 1000, 9), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("free"), 1000, 1), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("other"), 1000, 1), m_now));
    QVERIFY2(rowOf(a.id) == (QVariantList{QStringLiteral("pending"), QStringLiteral("k"), 2, 0}),
             "the task's key and limit are copied onto its queued row");

    auto claimed = [&]() -> std::optional<Claim> {
        Result<std::optional<Claim>> claim = queue.claim(QStringLiteral("w"), m_now, 60000);
        return claim ? *claim : std::nullopt;
    };
    const Claim first = *claimed();
    const Claim second = *claimed();
    QCOMPARE(first.taskId, QStringLiteral("a"));
    QCOMPARE(second.taskId, QStringLiteral("b"));
    // "c" waits while two rows of key k are leased; other keys and rows without one go on.
    QStringList others{claimed()->taskId, claimed()->taskId};
    others.sort();
    QCOMPARE(others, QStringList({QStringLiteral("free"), QStringLiteral("other")}));
    QVERIFY(!claimed().has_value());
    QVERIFY(queue.complete(first));
    const std::optional<Claim> third = claimed();
    QVERIFY(third.has_value());
    QCOMPARE(third->taskId, QStringLiteral("c"));

    // A run being canceled still holds its place until its worker lets go.
    QVERIFY(queue.enqueue(request(QStringLiteral("e"), 1000, 9), m_now));
    QVERIFY(*queue.cancel(second.runId, QStringLiteral("stop"), m_now) == CancelEffect::Stopping);
    QVERIFY(!claimed().has_value());
    QVERIFY(queue.complete(second));
    const std::optional<Claim> fourth = claimed();
    QVERIFY(fourth.has_value());
    QCOMPARE(fourth->taskId, QStringLiteral("e"));
}

void tst_RunQueue::expiredLeaseIsTakenOverEvenWhenItsKeyIsFull()
{
    addTask(QStringLiteral("a"), OverlapPolicy::Allow, QStringLiteral("k"), 1);
    RunQueue queue(*m_db);
    QVERIFY(queue.enqueue(request(QStringLiteral("a"), 1000), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("a"), 2000), m_now));
    const Claim first = **queue.claim(QStringLiteral("w1"), m_now, 30000);
    QVERIFY(!queue.claim(QStringLiteral("w2"), m_now.addSecs(29), 30000)->has_value());
    // The takeover keeps the row (and its place under the limit); the other row still waits.
    Result<std::optional<Claim>> takeover
        = queue.claim(QStringLiteral("w2"), m_now.addSecs(30), 30000);
    QVERIFY(takeover && takeover->has_value());
    QCOMPARE((*takeover)->queueId, first.queueId);
    QCOMPARE((*takeover)->abandonedRunId, first.runId);
    QVERIFY(!queue.claim(QStringLiteral("w3"), m_now.addSecs(31), 30000)->has_value());
    QVERIFY(queue.complete(**takeover));
    Result<std::optional<Claim>> next = queue.claim(QStringLiteral("w3"), m_now.addSecs(31), 30000);
    QVERIFY(next && next->has_value());
    QVERIFY((*next)->queueId != first.queueId);
}

void tst_RunQueue::serialTaskStartsOneRunAtATime()
{
    addTask(QStringLiteral("s"), OverlapPolicy::QueueOne);
    addTask(QStringLiteral("free"), OverlapPolicy::Allow);
    RunQueue queue(*m_db);
    const Run one = **queue.enqueue(request(QStringLiteral("s"), 1000, 9), m_now);
    const Run two = **queue.enqueue(request(QStringLiteral("s"), 2000, 9), m_now);
    QVERIFY(queue.enqueue(request(QStringLiteral("free"), 1000, 1), m_now));
    QCOMPARE(rowOf(one.id).value(3).toInt(), 1);
    const Claim first = **queue.claim(QStringLiteral("w"), m_now, 60000);
    QCOMPARE(first.runId, one.id);
    // The second run of "s" waits for the first; the lower-priority row of another task goes.
    QCOMPARE((*queue.claim(QStringLiteral("w"), m_now, 60000))->taskId, QStringLiteral("free"));
    QVERIFY(!queue.claim(QStringLiteral("w"), m_now, 60000)->has_value());
    QVERIFY(queue.complete(first));
    QCOMPARE((*queue.claim(QStringLiteral("w"), m_now, 60000))->runId, two.id);
}

void tst_RunQueue::pausedRunHoldsBackNewRunsOfItsSerialTask()
{
    addTask(QStringLiteral("s"), OverlapPolicy::CancelPrevious);
    RunQueue queue(*m_db);
    const Run paused = **queue.enqueue(request(QStringLiteral("s"), 1000), m_now);
    const Run next = **queue.enqueue(request(QStringLiteral("s"), 2000), m_now);
    const Claim first = **queue.claim(QStringLiteral("w"), m_now, 60000);
    QCOMPARE(first.runId, paused.id);
    // Paused until +60 s (time.wait): no worker holds it, yet the next run still waits.
    QVERIFY(queue.defer(first, m_now.addSecs(60)));
    QVERIFY(!queue.claim(QStringLiteral("w"), m_now.addSecs(1), 60000)->has_value());
    // When its time comes the paused run goes on first, then the next one.
    const Claim resumed = **queue.claim(QStringLiteral("w"), m_now.addSecs(60), 60000);
    QCOMPARE(resumed.runId, paused.id);
    QVERIFY(!queue.claim(QStringLiteral("w"), m_now.addSecs(61), 60000)->has_value());
    QVERIFY(queue.complete(resumed));
    QCOMPARE((*queue.claim(QStringLiteral("w"), m_now.addSecs(61), 60000))->runId, next.id);
}

void tst_RunQueue::allowedOverlapRunsTogether()
{
    addTask(QStringLiteral("a"), OverlapPolicy::Allow);
    RunQueue queue(*m_db);
    const Run one = **queue.enqueue(request(QStringLiteral("a"), 1000), m_now);
    QVERIFY(queue.enqueue(request(QStringLiteral("a"), 2000), m_now));
    const QVariantList row = rowOf(one.id);
    QCOMPARE(row.size(), 4);
    QVERIFY2(row[1].isNull() && row[2].isNull() && row[3].toInt() == 0, "no key, not serial");
    QVERIFY(queue.claim(QStringLiteral("w"), m_now, 60000)->has_value());
    QVERIFY(queue.claim(QStringLiteral("w"), m_now, 60000)->has_value());
}

void tst_RunQueue::completionWithLostLeaseIsRefused()
{
    RunQueue queue(*m_db);
    QVERIFY(queue.enqueue(request(QStringLiteral("t"), 1000), m_now));
    Result<std::optional<Claim>> claim = queue.claim(QStringLiteral("w1"), m_now, 1000);
    QVERIFY(claim && claim->has_value());
    Claim stale = **claim;
    stale.leaseEpoch += 1;
    Status refused = queue.complete(stale);
    QVERIFY(!refused);
    QVERIFY(refused.error().code == ErrorCode::Conflict);
    Claim otherOwner = **claim;
    otherOwner.workerId = QStringLiteral("w2");
    QVERIFY(queue.complete(otherOwner).error().code == ErrorCode::Conflict);
    QVERIFY(queue.complete(**claim));
    QVERIFY(queue.complete(**claim).error().code == ErrorCode::Conflict); // only once
}

void tst_RunQueue::expiredLeaseIsTakenOverAsTheNextAttempt()
{
    RunQueue queue(*m_db);
    QVERIFY(queue.enqueue(request(QStringLiteral("t"), 1000), m_now));
    const Claim first = **queue.claim(QStringLiteral("w1"), m_now, 30000);
    // Still leased: nobody else may take it, and the outlook wakes up when the lease runs out.
    QVERIFY(!queue.claim(QStringLiteral("w2"), m_now.addSecs(29), 30000)->has_value());
    QCOMPARE(queue.outlook(m_now.addSecs(29))->nextLater, m_now.addSecs(30));
    QVERIFY(queue.outlook(m_now.addSecs(30))->readyNow);

    Result<std::optional<Claim>> second
        = queue.claim(QStringLiteral("w2"), m_now.addSecs(30), 30000);
    QVERIFY(second && second->has_value());
    QCOMPARE((*second)->queueId, first.queueId);
    QCOMPARE((*second)->abandonedRunId, first.runId);
    QVERIFY((*second)->runId != first.runId);
    QVERIFY((*second)->leaseEpoch > first.leaseEpoch);

    RunStore runs(*m_db);
    const Run old = *runs.get(first.runId, false);
    QVERIFY(old.status == RunStatus::Abandoned);
    QVERIFY2(old.error.contains(QLatin1String("worker w1 stopped renewing its lease")),
             qPrintable(old.error));
    const Run next = *runs.get((*second)->runId, false);
    QVERIFY(next.status == RunStatus::Running);
    QCOMPARE(next.attempt, old.attempt + 1);
    QCOMPARE(next.scheduledFor, old.scheduledFor);
    QCOMPARE(next.worker, QStringLiteral("w2"));

    // Fencing: the first worker can neither renew nor record any more.
    std::vector<Claim> lost;
    QVERIFY(queue.renew({first}, m_now.addSecs(31), 30000, &lost));
    QCOMPARE(int(lost.size()), 1);
    QVERIFY(queue.complete(first).error().code == ErrorCode::Conflict);
    QVERIFY(queue.complete(**second));
}

void tst_RunQueue::renewedLeaseIsNotTakenOver()
{
    RunQueue queue(*m_db);
    QVERIFY(queue.enqueue(request(QStringLiteral("t"), 1000), m_now));
    const Claim claim = **queue.claim(QStringLiteral("w1"), m_now, 30000);
    std::vector<Claim> lost;
    QVERIFY(queue.renew({claim}, m_now.addSecs(20), 30000, &lost)); // now expires at +50 s
    QVERIFY(lost.empty());
    QVERIFY(!queue.claim(QStringLiteral("w2"), m_now.addSecs(45), 30000)->has_value());
    QVERIFY(queue.claim(QStringLiteral("w2"), m_now.addSecs(50), 30000)->has_value());
}

void tst_RunQueue::healthSummarizesTheQueue()
{
    RunQueue queue(*m_db);
    EnqueueRequest later = request(QStringLiteral("later"), 1000);
    later.runAt = m_now.addSecs(60);
    QVERIFY(queue.enqueue(later, m_now));
    EnqueueRequest due = request(QStringLiteral("due"), 2000);
    due.runAt = m_now.addSecs(-5);
    QVERIFY(queue.enqueue(due, m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("claimed"), 3000, 9), m_now));
    QVERIFY(queue.claim(QStringLiteral("w"), m_now, 10000)->has_value()); // priority 9 first
    Json health = *queue.health(m_now);
    QVERIFY2(health
                 == (Json{{"pending", 2},
                          {"ready", 1},
                          {"oldest_due", formatInstant(m_now.addSecs(-5))},
                          {"leased", 1},
                          {"expired_leases", 0},
                          {"next_lease_expiry", formatInstant(m_now.addSecs(10))}}),
             health.dump().c_str());
    health = *queue.health(m_now.addSecs(11));
    QVERIFY(health["expired_leases"] == 1);
}

QTEST_GUILESS_MAIN(tst_RunQueue)
#include "tst_RunQueue.moc"
