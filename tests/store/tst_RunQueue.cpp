// RunQueue: materializing an occurrence twice queues it once; concurrent claimers on their own
// connections never get the same row; a lost lease cannot record a completion.
#include "support/TempDataDir.h"

#include "core/Id.h"
#include "store/Database.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/Sql.h"

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
    void claimTakesMostUrgentFirst();
    void completionWithLostLeaseIsRefused();
    void expiredLeaseIsTakenOverAsTheNextAttempt();
    void renewedLeaseIsNotTakenOver();
    void healthSummarizesTheQueue();

private:
    EnqueueRequest request(const QString &taskId, qint64 scheduledMs, int priority = 5) const;

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

void tst_RunQueue::claimTakesMostUrgentFirst()
{
    RunQueue queue(*m_db);
    QVERIFY(queue.enqueue(request(QStringLiteral("low"), 1000, 9), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("high"), 2000, 1), m_now));
    EnqueueRequest later = request(QStringLiteral("future"), 3000, 1);
    later.runAt = m_now.addSecs(60);
    QVERIFY(queue.enqueue(later, m_now));
    QCOMPARE((*queue.claim(QStringLiteral("w"), m_now, 1000))->taskId, QStringLiteral("high"));
    QCOMPARE((*queue.claim(QStringLiteral("w"), m_now, 1000))->taskId, QStringLiteral("low"));
    QVERIFY(!queue.claim(QStringLiteral("w"), m_now, 1000)->has_value()); // not due yet
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
    QVERIFY(queue.enqueue(request(QStringLiteral("claimed"), 3000, 1), m_now));
    QVERIFY(queue.claim(QStringLiteral("w"), m_now, 10000)->has_value()); // priority 1 first
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
