// RunQueue: materializing an occurrence twice queues it once; concurrent claimers on their own
// connections never get the same row; a lost lease cannot record a completion; claims go by
// priority, respect concurrency limits and start a serial task's runs one at a time; claiming
// ahead leases at once what those claims would, and leaves expired leases to claim().
#include "support/TempDataDir.h"

#include "core/Id.h"
#include "store/Database.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/Sql.h"
#include "store/TaskStore.h"

#include <QMutex>
#include <QSet>
#include <QSqlRecord>
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
    void claimAheadTakesReadyRowsInClaimOrder();
    void claimAheadRespectsConcurrencyLimits();
    void claimAheadStartsOneAtATimeTasksOnce();
    void claimAheadLeavesExpiredLeasesToClaim();
    void claimAheadLeavesExpiredCancelsToClaim();
    void claimAheadWithNothingReadyLeasesNothing();
    void claimAheadLeasesWhatAClaimLoopWould();

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

namespace {

// What went wrong, for QVERIFY2 (which builds its message whether or not the check fails).
template<typename T>
QString problemOf(const Result<T> &result)
{
    return result ? QString() : result.error().describe();
}

// Everything a claim may change: one line per queue row (its lease and its run's status), then
// the number of runs in each status. No run ids, so two databases given the same steps compare.
QStringList queueSnapshot(const Database &db)
{
    QStringList lines;
    const QStringList statements{
        QStringLiteral("SELECT q.id, q.task_id, q.scheduled_for, q.run_at, q.state, q.lease_owner, "
                       "q.lease_expires_at, q.lease_epoch, r.status, r.started_at, r.worker, "
                       "r.attempt FROM run_queue q LEFT JOIN runs r ON r.id = q.run_id ORDER BY "
                       "q.id"),
        QStringLiteral("SELECT status, COUNT(*) FROM runs GROUP BY status ORDER BY status")};
    for (const QString &statement : statements) {
        Result<QSqlQuery> q = sql::exec(db.connection(), statement);
        if (!q)
            return {q.error().describe()};
        while (q->next()) {
            QStringList cells;
            for (int column = 0; column < q->record().count(); ++column) {
                const QVariant value = q->value(column);
                cells << (value.isNull() ? QStringLiteral("NULL") : value.toString());
            }
            lines << cells.join(u'|');
        }
        q->finish();
    }
    return lines;
}

// The lease on a queue row: "state|lease_owner|lease_expires_at (ms)|lease_epoch|run_id".
QString leaseOf(const Database &db, qint64 queueId)
{
    Result<QSqlQuery> q = sql::exec(db.connection(),
                                    QStringLiteral("SELECT state, COALESCE(lease_owner, 'NULL'), "
                                                   "COALESCE(lease_expires_at, 'NULL'), "
                                                   "lease_epoch, run_id FROM run_queue WHERE id=?"),
                                    {queueId});
    if (!q || !q->next())
        return {};
    QStringList cells;
    for (int column = 0; column < 5; ++column)
        cells << q->value(column).toString();
    q->finish();
    return cells.join(u'|');
}

QString expectedLease(const QString &workerId, const QDateTime &expiresAt, qint64 epoch,
                      const QString &runId)
{
    return QStringLiteral("leased|%1|%2|%3|%4")
        .arg(workerId, QString::number(expiresAt.toMSecsSinceEpoch()), QString::number(epoch),
             runId);
}

// The queue rows of claims as "task@scheduled_for", in the claims' order: the same in two
// databases given the same steps (run ids are not).
QStringList labelsOf(const Database &db, const std::vector<Claim> &claims)
{
    QStringList labels;
    for (const Claim &claim : claims) {
        Result<QSqlQuery> q = sql::exec(
            db.connection(),
            QStringLiteral("SELECT task_id || '@' || scheduled_for FROM run_queue WHERE id=?"),
            {claim.queueId});
        labels << (q && q->next() ? q->value(0).toString() : QStringLiteral("?"));
        if (q)
            q->finish();
    }
    return labels;
}

QStringList tasksOf(const std::vector<Claim> &claims)
{
    QStringList tasks;
    for (const Claim &claim : claims)
        tasks << claim.taskId;
    return tasks;
}

} // namespace

void tst_RunQueue::claimAheadTakesReadyRowsInClaimOrder()
{
    RunQueue queue(*m_db);
    // Paused: leased once and handed back by defer(), due again. Its lease epoch goes on from 1.
    const Run paused = **queue.enqueue(request(QStringLiteral("paused"), 1000, 1), m_now);
    const Claim before
        = **queue.claim(QStringLiteral("w0"), m_now, 60000, RunQueue::ClaimStart::Later);
    QCOMPARE(before.runId, paused.id);
    QVERIFY(queue.defer(before, m_now.addSecs(-60)));
    QVERIFY(queue.enqueue(request(QStringLiteral("low"), 2000, 1), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("high"), 3000, 9), m_now));
    EnqueueRequest waitedLonger = request(QStringLiteral("middle-earlier"), 4000, 5);
    waitedLonger.runAt = m_now.addSecs(-30);
    EnqueueRequest waitedLess = request(QStringLiteral("middle-later"), 5000, 5);
    waitedLess.runAt = m_now.addSecs(-10);
    QVERIFY(queue.enqueue(waitedLess, m_now)); // queued first, due later
    QVERIFY(queue.enqueue(waitedLonger, m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("middle-now-a"), 6000, 5), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("middle-now-b"), 7000, 5), m_now));
    EnqueueRequest later = request(QStringLiteral("future"), 8000, 9);
    later.runAt = m_now.addSecs(60);
    const Run future = **queue.enqueue(later, m_now);

    constexpr qint64 kLeaseMs = 120000; // outlives the test: nothing runs out
    RunStore runs(*m_db);
    // Each claim holds its row's lease for `workerId` (the epoch one past what it was) and its
    // run has not started: still queued, no started_at, no worker.
    auto verifyLeasedAhead
        = [&](const std::vector<Claim> &claims, const QString &workerId, const QDateTime &now) {
              for (const Claim &claim : claims) {
                  QCOMPARE(claim.workerId, workerId);
                  QVERIFY(claim.abandonedRunId.isEmpty());
                  const qint64 epoch = claim.runId == paused.id ? 2 : 1;
                  QCOMPARE(claim.leaseEpoch, epoch);
                  QCOMPARE(leaseOf(*m_db, claim.queueId),
                           expectedLease(workerId, now.addMSecs(kLeaseMs), epoch, claim.runId));
                  Result<Run> run = runs.get(claim.runId, false);
                  QVERIFY2(run, qPrintable(problemOf(run)));
                  QCOMPARE(run->taskId, claim.taskId);
                  QVERIFY(run->status == RunStatus::Queued);
                  QVERIFY(!run->startedAt.isValid());
                  QVERIFY(run->worker.isEmpty());
              }
          };

    Result<RunQueue::ClaimedAhead> first
        = queue.claimAhead(QStringLiteral("w1"), m_now, kLeaseMs, 3);
    QVERIFY2(first, qPrintable(problemOf(first)));
    QVERIFY(!first->leaseExpired);
    // What claim() would take first (9 before 5 before 1; within a priority the earliest due).
    QCOMPARE(tasksOf(first->claims),
             QStringList({QStringLiteral("high"), QStringLiteral("middle-earlier"),
                          QStringLiteral("middle-later")}));
    verifyLeasedAhead(first->claims, QStringLiteral("w1"), m_now);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(*queue.pendingCount(), 5); // the other four ready rows and the future one

    Result<RunQueue::ClaimedAhead> rest
        = queue.claimAhead(QStringLiteral("w2"), m_now, kLeaseMs, 10);
    QVERIFY2(rest, qPrintable(problemOf(rest)));
    QVERIFY(!rest->leaseExpired);
    QCOMPARE(tasksOf(rest->claims),
             QStringList({QStringLiteral("middle-now-a"), QStringLiteral("middle-now-b"),
                          QStringLiteral("paused"), QStringLiteral("low")}));
    verifyLeasedAhead(rest->claims, QStringLiteral("w2"), m_now);
    if (QTest::currentTestFailed())
        return;

    // The future row is not due: nothing more now, and neither would claim() find anything.
    QCOMPARE(rowOf(future.id).value(0).toString(), QStringLiteral("pending"));
    Result<RunQueue::ClaimedAhead> none
        = queue.claimAhead(QStringLiteral("w3"), m_now.addSecs(59), kLeaseMs, 10);
    QVERIFY2(none, qPrintable(problemOf(none)));
    QVERIFY(!none->leaseExpired);
    QVERIFY(none->claims.empty());
    QVERIFY(!queue.claim(QStringLiteral("w3"), m_now.addSecs(59), kLeaseMs)->has_value());
    // Once due, it is taken.
    Result<RunQueue::ClaimedAhead> due
        = queue.claimAhead(QStringLiteral("w3"), m_now.addSecs(60), kLeaseMs, 10);
    QVERIFY2(due, qPrintable(problemOf(due)));
    QVERIFY(!due->leaseExpired);
    QCOMPARE(int(due->claims.size()), 1);
    QCOMPARE(due->claims.front().runId, future.id);
    QCOMPARE(*queue.pendingCount(), 0);
}

void tst_RunQueue::claimAheadRespectsConcurrencyLimits()
{
    for (const char *id : {"a", "b", "c", "d", "e"})
        addTask(QString::fromLatin1(id), OverlapPolicy::Allow, QStringLiteral("k"), 2);
    addTask(QStringLiteral("free"), OverlapPolicy::Allow);
    addTask(QStringLiteral("other"), OverlapPolicy::Allow, QStringLiteral("k2"), 2);
    RunQueue queue(*m_db);
    // The keyed rows are the most urgent; the rows that may go come after them in claim order.
    for (const char *id : {"a", "b", "c", "d", "e"})
        QVERIFY(queue.enqueue(request(QString::fromLatin1(id), 1000, 9), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("other"), 1000, 5), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("free"), 1000, 1), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("free"), 2000, 1), m_now));

    Result<RunQueue::ClaimedAhead> ahead = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(ahead, qPrintable(problemOf(ahead)));
    QVERIFY(!ahead->leaseExpired);
    // Two of key k (its limit), then the rest in order: "c", "d" and "e" wait.
    QCOMPARE(tasksOf(ahead->claims),
             QStringList({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("other"),
                          QStringLiteral("free"), QStringLiteral("free")}));
    QCOMPARE(*queue.pendingCount(), 3);
    Result<RunQueue::ClaimedAhead> full = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(full, qPrintable(problemOf(full)));
    QVERIFY(full->claims.empty());

    // A finished row makes room for one more; a row being canceled still holds its place.
    QVERIFY(queue.complete(ahead->claims[0]));
    Result<RunQueue::ClaimedAhead> room = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(room, qPrintable(problemOf(room)));
    QCOMPARE(tasksOf(room->claims), QStringList({QStringLiteral("c")}));
    QVERIFY(*queue.cancel(ahead->claims[1].runId, QStringLiteral("stop"), m_now)
            == CancelEffect::Stopping);
    Result<RunQueue::ClaimedAhead> canceling
        = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(canceling, qPrintable(problemOf(canceling)));
    QVERIFY(canceling->claims.empty());
    QVERIFY(queue.complete(ahead->claims[1]));
    Result<RunQueue::ClaimedAhead> last = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(last, qPrintable(problemOf(last)));
    QCOMPARE(tasksOf(last->claims), QStringList({QStringLiteral("d")}));
}

void tst_RunQueue::claimAheadStartsOneAtATimeTasksOnce()
{
    addTask(QStringLiteral("s"), OverlapPolicy::QueueOne);
    addTask(QStringLiteral("skip"), OverlapPolicy::Skip);
    addTask(QStringLiteral("a"), OverlapPolicy::Allow);
    RunQueue queue(*m_db);
    // Interleaved in claim order: s, skip, a at 9, then at 5, then at 1.
    for (const int priority : {9, 5, 1}) {
        const qint64 scheduledMs = 10000 - priority;
        for (const char *id : {"s", "skip", "a"}) {
            Result<std::optional<Run>> queued
                = queue.enqueue(request(QString::fromLatin1(id), scheduledMs, priority), m_now);
            QVERIFY2(queued, qPrintable(problemOf(queued)));
            QVERIFY(queued->has_value());
            QVERIFY((*queued)->status == RunStatus::Queued);
        }
    }

    Result<RunQueue::ClaimedAhead> ahead = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(ahead, qPrintable(problemOf(ahead)));
    QVERIFY(!ahead->leaseExpired);
    // One run of each one-at-a-time task (its most urgent), every run of the task that allows
    // overlap.
    QCOMPARE(labelsOf(*m_db, ahead->claims),
             QStringList({QStringLiteral("s@9991"), QStringLiteral("skip@9991"),
                          QStringLiteral("a@9991"), QStringLiteral("a@9995"),
                          QStringLiteral("a@9999")}));
    Result<RunQueue::ClaimedAhead> held = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(held, qPrintable(problemOf(held)));
    QVERIFY(held->claims.empty());
    QVERIFY(!queue.claim(QStringLiteral("w"), m_now, 60000)->has_value());

    // When the run of "s" is done, its next one (only) may go.
    QVERIFY(queue.complete(ahead->claims[0]));
    Result<RunQueue::ClaimedAhead> next = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(next, qPrintable(problemOf(next)));
    QCOMPARE(labelsOf(*m_db, next->claims), QStringList({QStringLiteral("s@9995")}));
}

void tst_RunQueue::claimAheadLeavesExpiredLeasesToClaim()
{
    RunQueue queue(*m_db);
    QVERIFY(queue.enqueue(request(QStringLiteral("held"), 1000, 1), m_now));
    const Claim held = **queue.claim(QStringLiteral("w1"), m_now, 30000);
    QCOMPARE(held.taskId, QStringLiteral("held"));
    QVERIFY(queue.enqueue(request(QStringLiteral("ready-a"), 2000, 9), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("ready-b"), 3000, 5), m_now));

    // Until the lease runs out, rows are leased ahead as usual.
    Result<RunQueue::ClaimedAhead> before
        = queue.claimAhead(QStringLiteral("w2"), m_now.addMSecs(29999), 60000, 1);
    QVERIFY2(before, qPrintable(problemOf(before)));
    QVERIFY(!before->leaseExpired);
    QCOMPARE(tasksOf(before->claims), QStringList({QStringLiteral("ready-a")}));

    // Run out (at lease_expires_at exactly): nothing is leased, not even the ready row.
    const QStringList snapshot = queueSnapshot(*m_db);
    Result<RunQueue::ClaimedAhead> expired
        = queue.claimAhead(QStringLiteral("w2"), m_now.addSecs(30), 60000, 10);
    QVERIFY2(expired, qPrintable(problemOf(expired)));
    QVERIFY(expired->leaseExpired);
    QVERIFY(expired->claims.empty());
    QCOMPARE(queueSnapshot(*m_db), snapshot);

    // claim() takes the expired run over as the next attempt, before the ready row.
    Result<std::optional<Claim>> takeover
        = queue.claim(QStringLiteral("w2"), m_now.addSecs(30), 60000);
    QVERIFY2(takeover, qPrintable(problemOf(takeover)));
    QVERIFY(takeover->has_value());
    QCOMPARE((*takeover)->queueId, held.queueId);
    QCOMPARE((*takeover)->abandonedRunId, held.runId);
    QVERIFY(RunStore(*m_db).get(held.runId, false)->status == RunStatus::Abandoned);

    // Nothing has run out any more: the ready row is leased ahead.
    Result<RunQueue::ClaimedAhead> after
        = queue.claimAhead(QStringLiteral("w2"), m_now.addSecs(30), 60000, 10);
    QVERIFY2(after, qPrintable(problemOf(after)));
    QVERIFY(!after->leaseExpired);
    QCOMPARE(tasksOf(after->claims), QStringList({QStringLiteral("ready-b")}));
}

void tst_RunQueue::claimAheadLeavesExpiredCancelsToClaim()
{
    RunQueue queue(*m_db);
    QVERIFY(queue.enqueue(request(QStringLiteral("stopping"), 1000, 1), m_now));
    const Claim stopping = **queue.claim(QStringLiteral("w1"), m_now, 30000);
    QVERIFY(*queue.cancel(stopping.runId, QStringLiteral("stop"), m_now) == CancelEffect::Stopping);
    QVERIFY(queue.enqueue(request(QStringLiteral("ready"), 2000, 9), m_now));

    // A run being canceled whose worker went away is also claim()'s to close.
    const QStringList snapshot = queueSnapshot(*m_db);
    Result<RunQueue::ClaimedAhead> expired
        = queue.claimAhead(QStringLiteral("w2"), m_now.addSecs(30), 60000, 10);
    QVERIFY2(expired, qPrintable(problemOf(expired)));
    QVERIFY(expired->leaseExpired);
    QVERIFY(expired->claims.empty());
    QCOMPARE(queueSnapshot(*m_db), snapshot);

    Result<std::optional<Claim>> claimed
        = queue.claim(QStringLiteral("w2"), m_now.addSecs(30), 60000);
    QVERIFY2(claimed, qPrintable(problemOf(claimed)));
    QVERIFY(claimed->has_value());
    QCOMPARE((*claimed)->taskId, QStringLiteral("ready"));
    QVERIFY(RunStore(*m_db).get(stopping.runId, false)->status == RunStatus::Canceled);
    Result<RunQueue::ClaimedAhead> after
        = queue.claimAhead(QStringLiteral("w2"), m_now.addSecs(30), 60000, 10);
    QVERIFY2(after, qPrintable(problemOf(after)));
    QVERIFY(!after->leaseExpired);
    QVERIFY(after->claims.empty());
}

void tst_RunQueue::claimAheadWithNothingReadyLeasesNothing()
{
    RunQueue queue(*m_db);
    Result<RunQueue::ClaimedAhead> empty = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(empty, qPrintable(problemOf(empty)));
    QVERIFY(!empty->leaseExpired);
    QVERIFY(empty->claims.empty());

    // Pending rows, none of which may start: not due, key full, task's run going.
    addTask(QStringLiteral("keyed"), OverlapPolicy::Allow, QStringLiteral("k"), 1);
    addTask(QStringLiteral("serial"), OverlapPolicy::QueueOne);
    QVERIFY(queue.enqueue(request(QStringLiteral("keyed"), 1000, 9), m_now));
    QVERIFY(queue.claim(QStringLiteral("other"), m_now, 60000)->has_value());
    QVERIFY(queue.enqueue(request(QStringLiteral("serial"), 1000, 9), m_now));
    QVERIFY(queue.claim(QStringLiteral("other"), m_now, 60000)->has_value());
    QVERIFY(queue.enqueue(request(QStringLiteral("keyed"), 2000, 9), m_now));
    QVERIFY(queue.enqueue(request(QStringLiteral("serial"), 2000, 9), m_now));
    EnqueueRequest later = request(QStringLiteral("future"), 1000, 9);
    later.runAt = m_now.addSecs(60);
    QVERIFY(queue.enqueue(later, m_now));
    QCOMPARE(*queue.pendingCount(), 3);

    const QStringList snapshot = queueSnapshot(*m_db);
    Result<RunQueue::ClaimedAhead> none = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 10);
    QVERIFY2(none, qPrintable(problemOf(none)));
    QVERIFY(!none->leaseExpired);
    QVERIFY(none->claims.empty());
    QCOMPARE(queueSnapshot(*m_db), snapshot);

    // Asked for none: a ready row stays as it is.
    QVERIFY(queue.enqueue(request(QStringLiteral("ready"), 1000, 1), m_now));
    const QStringList withReady = queueSnapshot(*m_db);
    Result<RunQueue::ClaimedAhead> zero = queue.claimAhead(QStringLiteral("w"), m_now, 60000, 0);
    QVERIFY2(zero, qPrintable(problemOf(zero)));
    QVERIFY(zero->claims.empty());
    QCOMPARE(queueSnapshot(*m_db), withReady);
}

void tst_RunQueue::claimAheadLeasesWhatAClaimLoopWould()
{
    // One queue mixing what holds rows back, built afresh for each way of claiming.
    auto build = [this] {
        cleanup();
        init();
        addTask(QStringLiteral("k1a"), OverlapPolicy::Allow, QStringLiteral("k1"), 2);
        addTask(QStringLiteral("k1b"), OverlapPolicy::Allow, QStringLiteral("k1"), 2);
        addTask(QStringLiteral("k1c"), OverlapPolicy::Allow, QStringLiteral("k1"), 2);
        addTask(QStringLiteral("k2"), OverlapPolicy::QueueOne, QStringLiteral("k2"), 1);
        addTask(QStringLiteral("p"), OverlapPolicy::QueueOne);
        addTask(QStringLiteral("s"), OverlapPolicy::QueueOne);
        addTask(QStringLiteral("free"), OverlapPolicy::Allow);
        RunQueue queue(*m_db);
        // Held by another worker: one of k1's two places, k2's only one (being canceled), and
        // a paused run of "p" (waiting until +60 s).
        QVERIFY(queue.enqueue(request(QStringLiteral("k1a"), 1000, 5), m_now));
        QVERIFY(queue.claim(QStringLiteral("other"), m_now, 60000)->has_value());
        QVERIFY(queue.enqueue(request(QStringLiteral("k2"), 1000, 5), m_now));
        const Claim k2 = **queue.claim(QStringLiteral("other"), m_now, 60000);
        QVERIFY(*queue.cancel(k2.runId, QStringLiteral("stop"), m_now) == CancelEffect::Stopping);
        QVERIFY(queue.enqueue(request(QStringLiteral("p"), 1000, 5), m_now));
        const Claim p = **queue.claim(QStringLiteral("other"), m_now, 60000);
        QVERIFY(queue.defer(p, m_now.addSecs(60)));
        // A task made one-at-a-time while a run of it was queued (that row is not serial, the
        // next is): leasing the first holds back the second.
        QVERIFY(queue.enqueue(request(QStringLiteral("changed"), 1500, 10), m_now));
        addTask(QStringLiteral("changed"), OverlapPolicy::QueueOne);
        // Ready, limited rows interleaved with rows that may always go.
        const std::pair<const char *, int> ready[]
            = {{"free", 9}, {"k1b", 9},   {"k1c", 9},     {"k2", 9},  {"p", 9},
               {"s", 8},    {"s", 8},     {"free", 8},    {"k1a", 7}, {"s", 6},
               {"free", 1}, {"loose", 5}, {"changed", 10}};
        qint64 scheduledMs = 2000;
        for (const auto &[id, priority] : ready) {
            Result<std::optional<Run>> queued
                = queue.enqueue(request(QString::fromLatin1(id), scheduledMs++, priority), m_now);
            QVERIFY2(queued, qPrintable(problemOf(queued)));
            QVERIFY(queued->has_value() && (*queued)->status == RunStatus::Queued);
        }
        EnqueueRequest later = request(QStringLiteral("free"), 9999, 9);
        later.runAt = m_now.addSecs(60);
        QVERIFY(queue.enqueue(later, m_now));
    };
    const QDateTime at = m_now.addSecs(1);
    for (const int most : {1, 2, 3, 4, 6, 100}) {
        build();
        if (QTest::currentTestFailed())
            return;
        std::vector<Claim> looped;
        {
            RunQueue queue(*m_db);
            while (int(looped.size()) < most) {
                Result<std::optional<Claim>> claim
                    = queue.claim(QStringLiteral("w"), at, 60000, RunQueue::ClaimStart::Later);
                QVERIFY2(claim, qPrintable(problemOf(claim)));
                if (!claim->has_value())
                    break;
                looped.push_back(**claim);
            }
        }
        const QStringList loopedLabels = labelsOf(*m_db, looped);
        const QStringList loopedSnapshot = queueSnapshot(*m_db);

        build();
        if (QTest::currentTestFailed())
            return;
        Result<RunQueue::ClaimedAhead> ahead
            = RunQueue(*m_db).claimAhead(QStringLiteral("w"), at, 60000, most);
        QVERIFY2(ahead, qPrintable(problemOf(ahead)));
        QVERIFY(!ahead->leaseExpired);
        QCOMPARE(labelsOf(*m_db, ahead->claims), loopedLabels);
        QCOMPARE(queueSnapshot(*m_db), loopedSnapshot);
        if (most == 100) {
            // One run of "changed" and of "s" at a time, k1 has one place left, k2 none, "p"
            // is paused; the future row is not due.
            QCOMPARE(loopedLabels,
                     QStringList({QStringLiteral("changed@1500"), QStringLiteral("free@2000"),
                                  QStringLiteral("k1b@2001"), QStringLiteral("s@2005"),
                                  QStringLiteral("free@2007"), QStringLiteral("loose@2011"),
                                  QStringLiteral("free@2010")}));
        }
    }
}

QTEST_GUILESS_MAIN(tst_RunQueue)
#include "tst_RunQueue.moc"
