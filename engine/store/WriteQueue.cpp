// WriteQueue: the writer thread's loop.
#include "WriteQueue.h"

#include "Database.h"
#include "Sql.h"
#include "WalFlusher.h"

#include <QThread>

namespace ordinaut {

namespace {
thread_local bool t_isWriter = false;
}

struct WriteQueue::Piece
{
    Durability durability;
    const std::function<Status()> *work;
    Status result = {};
    bool done = false;
    QWaitCondition finished; // its caller waits on it: a commit wakes only its own callers
    // A posted piece owns its work and is answered through `onDone` instead.
    std::function<Status()> ownWork;
    std::function<void(const Status &)> onDone;
};

WriteQueue::WriteQueue(const Database &database)
    : m_database(database)
    , m_wal(std::make_unique<WalFlusher>(database.filePath()))
    , m_thread(QThread::create([this] { run(); }))
    , m_flusher(QThread::create([this] { flushLoop(); }))
{
    m_thread->setObjectName(QStringLiteral("ordinaut-writer"));
    m_thread->start();
    m_flusher->setObjectName(QStringLiteral("ordinaut-flusher"));
    m_flusher->start();
    m_checkpointer.reset(QThread::create([this] { checkpointLoop(); }));
    m_checkpointer->setObjectName(QStringLiteral("ordinaut-checkpoint"));
    m_checkpointer->start();
}

WriteQueue::~WriteQueue()
{
    {
        QMutexLocker lock(&m_mutex);
        m_stopping = true;
        m_wake.wakeAll();
        m_committed.wakeAll();
    }
    m_thread->wait(); // the writer tells the flusher when it is done
    m_flusher->wait();
    m_checkpointer->wait();
}

void WriteQueue::checkpointLoop()
{
    for (;;) {
        {
            QMutexLocker lock(&m_mutex);
            while (m_uncheckpointedCommits == 0 && !m_stopping)
                m_committed.wait(&m_mutex);
            if (m_stopping)
                break;
        }
        // Let commits gather: one checkpoint copies many of them.
        QThread::msleep(kCheckpointDelayMs);
        {
            QMutexLocker lock(&m_mutex);
            m_uncheckpointedCommits = 0;
        }
        // PASSIVE: copies what no reader still needs, without blocking the writer or readers.
        Result<QSqlQuery> done
            = sql::exec(m_database.connection(), QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)"));
        if (!done)
            qWarning("database: checkpoint failed: %s", qPrintable(done.error().describe()));
        else
            done->finish();
    }
    m_database.closeThreadConnections();
}

Status WriteQueue::write(Durability durability, const std::function<Status()> &work)
{
    if (t_isWriter)
        return work();
    auto piece = std::make_shared<Piece>();
    piece->durability = durability;
    piece->work = &work;
    QMutexLocker lock(&m_mutex);
    if (m_stopping)
        return Error{ErrorCode::Unavailable, QStringLiteral("the database writer has stopped"), {}};
    m_pending.push_back(piece);
    m_wake.wakeOne();
    while (!piece->done)
        piece->finished.wait(&m_mutex);
    return piece->result;
}

void WriteQueue::post(Durability durability, std::function<Status()> work,
                      std::function<void(const Status &)> done)
{
    auto piece = std::make_shared<Piece>();
    piece->durability = durability;
    piece->ownWork = std::move(work);
    piece->work = &piece->ownWork;
    piece->onDone = std::move(done);
    {
        QMutexLocker lock(&m_mutex);
        if (!m_stopping) {
            m_pending.push_back(piece);
            m_wake.wakeOne();
            return;
        }
    }
    piece->onDone(
        Error{ErrorCode::Unavailable, QStringLiteral("the database writer has stopped"), {}});
}

WriteQueue::Stats WriteQueue::stats() const
{
    QMutexLocker lock(&m_mutex);
    return m_stats;
}

void WriteQueue::run()
{
    t_isWriter = true;
    {
        // Checkpoints are the checkpointer's: a commit never waits for one. The writer does not
        // wait for the disk either: durable commits are made so by the flusher.
        for (const QString &pragma : {QStringLiteral("PRAGMA wal_autocheckpoint=0"),
                                      QStringLiteral("PRAGMA synchronous=NORMAL")}) {
            Result<QSqlQuery> set = sql::exec(m_database.connection(), pragma);
            if (set)
                set->finish();
        }
        sql::StatementCache cache;
        loop();
    }
    m_database.closeThreadConnections();
    QMutexLocker lock(&m_mutex);
    m_writerDone = true;
    m_flushWake.wakeOne();
}

void WriteQueue::loop()
{
    for (;;) {
        Batch batch;
        {
            QMutexLocker lock(&m_mutex);
            while (m_pending.empty() && !m_stopping)
                m_wake.wait(&m_mutex);
            if (m_pending.empty())
                return; // stopping, and everything queued is done
            while (!m_pending.empty() && batch.size() < size_t(kMaxBatch)) {
                batch.push_back(std::move(m_pending.front()));
                m_pending.pop_front();
            }
        }
        const bool flush = commitBatch(batch);
        {
            // To the flusher when it must flush, or when earlier batches still wait there
            // (answers keep commit order); otherwise answered here at once.
            QMutexLocker lock(&m_mutex);
            if (flush || !m_committedBatches.empty() || m_flusherAnswering) {
                m_committedBatches.push_back(Committed{std::move(batch), flush});
                m_flushWake.wakeOne();
                continue;
            }
        }
        answer(batch);
    }
}

void WriteQueue::answer(const Batch &batch)
{
    // Posted pieces hear first: a caller that waits on a later piece of its own (a barrier)
    // then knows that its earlier posts were answered.
    for (const auto &piece : batch)
        if (piece->onDone)
            piece->onDone(piece->result);
    // What the answers read on the writer thread (an event's listeners) must not keep a read
    // transaction open: its snapshot would go stale and the next BEGIN IMMEDIATE fail.
    if (sql::StatementCache *cache = sql::StatementCache::current())
        cache->finishAll();
    QMutexLocker lock(&m_mutex);
    for (const auto &piece : batch) {
        piece->done = true;
        piece->finished.wakeOne();
    }
}

void WriteQueue::flushLoop()
{
    for (;;) {
        std::deque<Committed> ready;
        {
            QMutexLocker lock(&m_mutex);
            while (m_committedBatches.empty() && !m_writerDone)
                m_flushWake.wait(&m_mutex);
            if (m_committedBatches.empty())
                break; // the writer is done and everything is answered
            ready.swap(m_committedBatches);
            m_flusherAnswering = true;
        }
        bool flush = false;
        for (const Committed &committed : ready)
            flush = flush || committed.flush;
        // One flush for every commit written before it: they were all written when it starts.
        const Status flushed = flush ? m_wal->flush() : Status();
        if (!flushed)
            qCritical("database: %s", qPrintable(flushed.error().describe()));
        if (flush) {
            QMutexLocker lock(&m_mutex);
            ++m_stats.flushes;
        }
        for (Committed &committed : ready) {
            if (committed.flush && !flushed)
                for (const auto &piece : committed.batch)
                    if (piece->result)
                        piece->result = flushed.error();
            answer(committed.batch);
        }
        QMutexLocker lock(&m_mutex);
        m_flusherAnswering = false;
    }
    m_database.closeThreadConnections();
}

bool WriteQueue::commitBatch(Batch &batch)
{
    sql::StatementCache &cache = *sql::StatementCache::current();
    const QSqlDatabase db = m_database.connection();
    bool durable = false;
    for (const auto &piece : batch)
        durable = durable || piece->durability == Durability::Durable;
    auto failAll = [&batch](const Error &error) {
        for (const auto &piece : batch)
            piece->result = error;
        return false;
    };
    cache.finishAll(); // no statement left open since: nothing holds an old snapshot
    if (Result<QSqlQuery> begun = sql::exec(db, QStringLiteral("BEGIN IMMEDIATE")); !begun)
        return failAll(begun.error());
    cache.setInTransaction(true);
    for (const auto &piece : batch) {
        // Each piece in its own savepoint: a failed one leaves no trace, the others stay.
        sql::Transaction savepoint(db);
        piece->result = savepoint.isOpen() ? (*piece->work)() : Status(savepoint.error());
        if (piece->result) {
            if (Status released = savepoint.commit(); !released)
                piece->result = released;
        }
    }
    cache.setInTransaction(false);
    cache.finishAll();
    Result<QSqlQuery> committed = sql::exec(db, QStringLiteral("COMMIT"));
    if (!committed) {
        (void)sql::exec(db, QStringLiteral("ROLLBACK"));
        for (const auto &piece : batch)
            if (piece->result)
                piece->result = committed.error();
        return false;
    }
    QMutexLocker lock(&m_mutex);
    m_stats.pieces += qint64(batch.size());
    ++m_stats.commits;
    if (m_uncheckpointedCommits++ == 0)
        m_committed.wakeOne();
    if (durable)
        ++m_stats.durableCommits;
    return durable;
}

} // namespace ordinaut
