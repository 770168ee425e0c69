// WriteQueue: group commit. Writers on many threads share commits; each piece is all or
// nothing on its own (a failing piece leaves no trace and does not undo the others, also when it
// uses sql::Transaction inside); what write() acknowledged is visible to every connection; and
// only batches with a durable piece count as durable commits.
#include "support/TempDataDir.h"

#include "store/Database.h"
#include "store/Sql.h"
#include "store/WriteQueue.h"

#include <QFileInfo>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

using namespace ordinaut;

class tst_WriteQueue final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void concurrentWritersShareCommits();
    void aFailingPieceLeavesNoTraceAndSparesTheOthers();
    void nestedTransactionsBecomeSavepoints();
    void joinedTransactionsStandOrFallWithTheirPiece();
    void durabilityFollowsThePieces();
    void answersKeepCommitOrder();
    void writeFromInsideAPieceRunsAtOnce();
    void postedPiecesAreAnsweredBeforeLaterCallers();
    void anAnswerThatReadsLeavesNoStaleSnapshot();
    void theLogStaysBoundedUnderSteadyWritesAndReads();

private:
    int count(const QString &where = QStringLiteral("1=1")) const;
    Status insert(const QString &key) const;

    std::unique_ptr<test::TempDataDir> m_dir;
    std::shared_ptr<Database> m_db;
};

void tst_WriteQueue::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::shared_ptr<Database>> db = Database::open(m_dir->databaseFile());
    QVERIFY(db);
    m_db = *db;
}

void tst_WriteQueue::cleanup()
{
    m_db.reset();
    m_dir.reset();
}

int tst_WriteQueue::count(const QString &where) const
{
    // Read on this thread's own connection: what the writer committed is visible here.
    Result<QSqlQuery> q = sql::exec(
        m_db->connection(), QStringLiteral("SELECT COUNT(*) FROM side_effects WHERE ") + where);
    return q && q->next() ? q->value(0).toInt() : -1;
}

Status tst_WriteQueue::insert(const QString &key) const
{
    Result<QSqlQuery> q = sql::exec(
        m_db->connection(),
        QStringLiteral("INSERT INTO side_effects (key, created_at) VALUES (?, 0)"), {key});
    return q ? Status() : Status(q.error());
}

void tst_WriteQueue::concurrentWritersShareCommits()
{
    constexpr int kThreads = 16;
    constexpr int kEach = 50;
    std::atomic_int failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const QString key = QStringLiteral("k%1-%2").arg(t).arg(i);
                if (!m_db->writer().write(Durability::Durable, [&] { return insert(key); }))
                    ++failures;
            }
        });
    for (std::thread &thread : threads)
        thread.join();
    QCOMPARE(failures.load(), 0);
    QCOMPARE(count(), kThreads * kEach);
    const WriteQueue::Stats stats = m_db->writer().stats();
    QCOMPARE(stats.pieces, qint64(kThreads * kEach));
    // Sixteen writers waiting on fsyncs: commits are shared, far fewer than pieces.
    QVERIFY2(stats.commits * 2 < stats.pieces,
             qPrintable(
                 QStringLiteral("%1 commits for %2 pieces").arg(stats.commits).arg(stats.pieces)));
}

void tst_WriteQueue::aFailingPieceLeavesNoTraceAndSparesTheOthers()
{
    std::atomic_bool go{false};
    std::vector<std::thread> threads;
    std::vector<Status> results(8);
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            while (!go.load())
                std::this_thread::yield();
            results[t] = m_db->writer().write(Durability::Relaxed, [&]() -> Status {
                if (Status first = insert(QStringLiteral("a%1").arg(t)); !first)
                    return first;
                // Odd pieces fail after writing: their first row must vanish too.
                if (t % 2 == 1)
                    return insert(QStringLiteral("a%1").arg(t)); // duplicate key
                return insert(QStringLiteral("b%1").arg(t));
            });
        });
    go = true;
    for (std::thread &thread : threads)
        thread.join();
    for (int t = 0; t < 8; ++t) {
        QCOMPARE(bool(results[t]), t % 2 == 0);
        if (t % 2 == 1)
            QVERIFY(results[t].error().code == ErrorCode::Conflict);
    }
    QCOMPARE(count(QStringLiteral("key LIKE 'a%'")), 4);
    QCOMPARE(count(QStringLiteral("key LIKE 'b%'")), 4);
}

void tst_WriteQueue::nestedTransactionsBecomeSavepoints()
{
    Status outer = m_db->writer().write(Durability::Durable, [&]() -> Status {
        if (Status kept = insert(QStringLiteral("kept")); !kept)
            return kept;
        {
            // Code written for its own transaction, rolled back: only its rows go.
            sql::Transaction tx(m_db->connection(), sql::TransactionMode::Immediate);
            if (!tx.isOpen())
                return tx.error();
            if (Status dropped = insert(QStringLiteral("dropped")); !dropped)
                return dropped;
        }
        sql::Transaction tx(m_db->connection(), sql::TransactionMode::Immediate);
        if (Status inner = insert(QStringLiteral("inner")); !inner)
            return inner;
        return tx.commit();
    });
    QVERIFY2(outer, outer ? "" : qPrintable(outer.error().describe()));
    QCOMPARE(count(QStringLiteral("key IN ('kept', 'inner')")), 2);
    QCOMPARE(count(QStringLiteral("key = 'dropped'")), 0);
}

void tst_WriteQueue::joinedTransactionsStandOrFallWithTheirPiece()
{
    // Joined: no savepoint of its own. A piece that fails takes the joined rows with it...
    Status failed = m_db->writer().write(Durability::Durable, [&]() -> Status {
        sql::Transaction tx(m_db->connection(), sql::TransactionMode::Immediate,
                            sql::Nesting::Join);
        if (Status first = insert(QStringLiteral("joined-a")); !first)
            return first;
        if (Status committed = tx.commit(); !committed)
            return committed;
        return insert(QStringLiteral("joined-a")); // duplicate key: the piece fails
    });
    QVERIFY(!failed);
    QCOMPARE(count(QStringLiteral("key = 'joined-a'")), 0);
    // ...and one that succeeds keeps them.
    Status kept = m_db->writer().write(Durability::Durable, [&]() -> Status {
        sql::Transaction tx(m_db->connection(), sql::TransactionMode::Immediate,
                            sql::Nesting::Join);
        if (Status first = insert(QStringLiteral("joined-b")); !first)
            return first;
        return tx.commit();
    });
    QVERIFY2(kept, kept ? "" : qPrintable(kept.error().describe()));
    QCOMPARE(count(QStringLiteral("key = 'joined-b'")), 1);
    // Outside the writer it is an ordinary transaction: not committed, nothing stays.
    {
        sql::Transaction tx(m_db->connection(), sql::TransactionMode::Immediate,
                            sql::Nesting::Join);
        QVERIFY(tx.isOpen());
        QVERIFY(insert(QStringLiteral("joined-c")));
    }
    QCOMPARE(count(QStringLiteral("key = 'joined-c'")), 0);
}

void tst_WriteQueue::durabilityFollowsThePieces()
{
    const WriteQueue::Stats before = m_db->writer().stats();
    QVERIFY(m_db->writer().write(Durability::Relaxed, [&] { return insert(QStringLiteral("r")); }));
    WriteQueue::Stats after = m_db->writer().stats();
    QCOMPARE(after.commits - before.commits, qint64(1));
    QCOMPARE(after.durableCommits - before.durableCommits, qint64(0));
    QCOMPARE(after.flushes - before.flushes, qint64(0));
    // A durable piece is answered only after the log was flushed.
    QVERIFY(m_db->writer().write(Durability::Durable, [&] { return insert(QStringLiteral("d")); }));
    after = m_db->writer().stats();
    QCOMPARE(after.durableCommits - before.durableCommits, qint64(1));
    QCOMPARE(after.flushes - before.flushes, qint64(1));
    // The writer itself commits without waiting for the disk (NORMAL, 1): the flusher does.
    int level = -1;
    QVERIFY(m_db->writer().write(Durability::Durable, [&]() -> Status {
        Result<QSqlQuery> q = sql::exec(m_db->connection(), QStringLiteral("PRAGMA synchronous"));
        level = q && q->next() ? q->value(0).toInt() : -1;
        return {};
    }));
    QCOMPARE(level, 1);
}

void tst_WriteQueue::answersKeepCommitOrder()
{
    // One thread posts durable pieces, the others relaxed ones; each piece takes a number when
    // it runs (commit order). The answers must arrive in that order, although relaxed batches
    // need no flush and could otherwise overtake a durable batch that waits for one.
    constexpr int kThreads = 8;
    constexpr int kEach = 150;
    QMutex mutex;
    int taken = 0;                  // writer thread only
    std::vector<int> answeredOrder; // under mutex
    std::atomic_int failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                auto number = std::make_shared<int>(-1);
                const QString key = QStringLiteral("o%1-%2").arg(t).arg(i);
                m_db->writer().post(
                    t == 0 ? Durability::Durable : Durability::Relaxed,
                    [&, number, key]() -> Status {
                        *number = taken++;
                        return insert(key);
                    },
                    [&, number](const Status &status) {
                        if (!status)
                            ++failures;
                        QMutexLocker lock(&mutex);
                        answeredOrder.push_back(*number);
                    });
                // A barrier, answered after the post: batches stay small, and many hold no
                // durable piece.
                if (!m_db->writer().write(Durability::Relaxed, [] { return Status(); }))
                    ++failures;
            }
        });
    for (std::thread &thread : threads)
        thread.join();
    QCOMPARE(failures.load(), 0);
    QCOMPARE(int(answeredOrder.size()), kThreads * kEach);
    QVERIFY(std::is_sorted(answeredOrder.begin(), answeredOrder.end()));
    QVERIFY(m_db->writer().stats().flushes > 0);
}

void tst_WriteQueue::writeFromInsideAPieceRunsAtOnce()
{
    Status outer = m_db->writer().write(Durability::Durable, [&]() -> Status {
        // Would wait for itself forever if it were queued.
        return m_db->writer().write(Durability::Relaxed,
                                    [&] { return insert(QStringLiteral("nested")); });
    });
    QVERIFY(outer);
    QCOMPARE(count(QStringLiteral("key = 'nested'")), 1);
}

void tst_WriteQueue::postedPiecesAreAnsweredBeforeLaterCallers()
{
    // Answers arrive on the writer thread; the test thread only reads them after its barrier.
    struct Answer
    {
        bool called = false;
        Status status;
        int visible = -1; // rows with the key, seen from the writer thread once committed
    };
    std::vector<Answer> answers(3);
    const QStringList keys{QStringLiteral("p0"), QStringLiteral("p1"), QStringLiteral("p1")};
    for (int i = 0; i < 3; ++i)
        m_db->writer().post(
            Durability::Durable, [this, key = keys[i]] { return insert(key); },
            [&, i](const Status &status) {
                answers[i].called = true;
                answers[i].status = status;
                answers[i].visible = count(QStringLiteral("key = '%1'").arg(keys[i]));
            });
    // A later piece's caller wakes only after the posted pieces before it were answered.
    QVERIFY(m_db->writer().write(Durability::Relaxed, [] { return Status(); }));
    for (const Answer &answer : answers)
        QVERIFY(answer.called);
    QVERIFY(answers[0].status);
    QCOMPARE(answers[0].visible, 1);
    QVERIFY(answers[1].status);
    // The third repeats the second's key: it alone fails, with the constraint's error.
    QVERIFY(!answers[2].status);
    QVERIFY(answers[2].status.error().code == ErrorCode::Conflict);
    QCOMPARE(count(), 2);
}

void tst_WriteQueue::anAnswerThatReadsLeavesNoStaleSnapshot()
{
    QVERIFY(insert(QStringLiteral("r1")));
    QVERIFY(insert(QStringLiteral("r2")));
    // An answer's listener reads on the writer thread, one row of two: left alone, its
    // statement would keep a read transaction (and its snapshot) open there.
    std::atomic_bool answered{false};
    m_db->writer().post(
        Durability::Relaxed, [] { return Status(); },
        [&](const Status &) {
            Result<QSqlQuery> q = sql::exec(
                m_db->connection(), QStringLiteral("SELECT key FROM side_effects ORDER BY key"));
            if (q)
                q->next();
            answered = true;
        });
    QTRY_VERIFY(answered.load());
    // Another connection commits; the writer's next transaction must still begin.
    QVERIFY(insert(QStringLiteral("r3")));
    Status written
        = m_db->writer().write(Durability::Relaxed, [&] { return insert(QStringLiteral("r4")); });
    QVERIFY2(written, written ? "" : qPrintable(written.error().describe()));
    QCOMPARE(count(), 4);
}

void tst_WriteQueue::theLogStaysBoundedUnderSteadyWritesAndReads()
{
    // Writers that never pause and readers that never stop: a checkpoint beside them never
    // copies the whole log, so without the writer's restart the log would grow by every page
    // written (here a page per piece: some 48 MiB).
    constexpr int kWriters = 4;
    constexpr int kEach = 3000;
    const QByteArray filler(3500, 'x');
    std::atomic_bool writing{true};
    std::atomic_int failures{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r)
        readers.emplace_back([&] {
            while (writing.load()) {
                Result<QSqlQuery> q = sql::exec(
                    m_db->connection(), QStringLiteral("SELECT COUNT(*) FROM side_effects"));
                if (!q)
                    ++failures;
            }
            m_db->closeThreadConnections();
        });
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([&, w] {
            for (int i = 0; i < kEach; ++i) {
                const QString key = QStringLiteral("w%1-%2").arg(w).arg(i);
                const Status written = m_db->writer().write(Durability::Durable, [&]() -> Status {
                    Result<QSqlQuery> q = sql::exec(
                        m_db->connection(),
                        QStringLiteral("INSERT INTO side_effects (key, result, created_at) "
                                       "VALUES (?, ?, 0)"),
                        {key, QString::fromLatin1(filler)});
                    return q ? Status() : Status(q.error());
                });
                if (!written)
                    ++failures;
            }
        });
    for (std::thread &thread : writers)
        thread.join();
    writing = false;
    for (std::thread &thread : readers)
        thread.join();
    QCOMPARE(failures.load(), 0);
    QCOMPARE(count(), kWriters * kEach);
    // The restart threshold plus what piles up while the checkpointer copies: well under the
    // whole volume written.
    const qint64 logBytes = QFileInfo(m_db->filePath() + QStringLiteral("-wal")).size();
    const qint64 limit = qint64(WriteQueue::kRestartLogPages) * 4096 * 2;
    QVERIFY2(logBytes < limit,
             qPrintable(QStringLiteral("log of %1 bytes, limit %2").arg(logBytes).arg(limit)));
}

QTEST_GUILESS_MAIN(tst_WriteQueue)
#include "tst_WriteQueue.moc"
