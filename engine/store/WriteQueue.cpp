// WriteQueue: the writer thread's loop.
#include "WriteQueue.h"

#include "Database.h"
#include "Prepared.h"
#include "Sql.h"
#include "WalFlusher.h"

#include "core/Log.h"

#include <QElapsedTimer>
#include <QThread>

#include <sqlite3.h>

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
    // The submitter's LogContext, in force while the piece runs: its log lines, and the runs
    // it queues, name the request (or run) it was written for.
    LogContext::Fields context = LogContext::current();
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
    m_thread->wait(); // the writer waits for the flusher to finish
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
        {
            // Let commits gather: one checkpoint copies many of them. A long log goes at once.
            QMutexLocker lock(&m_mutex);
            if (!m_checkpointSoon && !m_stopping)
                m_committed.wait(&m_mutex, kCheckpointDelayMs);
            // Not while the writer restarts the log (both need the checkpoint lock).
            while (m_restartingLog && !m_stopping)
                m_committed.wait(&m_mutex);
            m_uncheckpointedCommits = 0;
            m_checkpointSoon = false;
            m_checkpointing = true;
        }
        // PASSIVE: copies what no reader still needs, without blocking the writer or readers.
        Result<QSqlQuery> done
            = sql::exec(m_database.connection(), QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)"));
        if (!done)
            qWarning("database: checkpoint failed: %s", qPrintable(done.error().describe()));
        else
            done->finish();
        QMutexLocker lock(&m_mutex);
        m_checkpointing = false;
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
        // The log's length after each commit (this replaces SQLite's automatic checkpoint).
        if (sqlite3 *handle = sql::sqliteHandle(m_database.connection()))
            sqlite3_wal_hook(handle, &WriteQueue::walHook, this);
        sql::StatementCache cache;
        loop();
    }
    {
        QMutexLocker lock(&m_mutex);
        m_writerDone = true;
        m_flushWake.wakeOne();
    }
    // The flusher's last flushes first: were this the database's last connection, closing it
    // would remove the log they flush.
    m_flusher->wait();
    m_database.closeThreadConnections();
}

void WriteQueue::loop()
{
    for (;;) {
        {
            QMutexLocker lock(&m_mutex);
            while (m_pending.empty() && !m_stopping)
                m_wake.wait(&m_mutex);
            if (m_pending.empty())
                return; // stopping, and everything queued is done
        }
        Batch batch;
        const bool flush = commitBatch(batch);
        bool handedOver = false;
        bool flushHere = false;
        {
            // To the flusher when it must flush, or when earlier batches still wait there
            // (answers keep commit order); otherwise answered here at once. With nothing else
            // waiting, the writer flushes itself: one thread hop less for a lone piece.
            QMutexLocker lock(&m_mutex);
            if (flush && flusherIdle() && m_pending.empty()) {
                flushHere = true;
            } else if (flush || !flusherIdle()) {
                m_committedBatches.push_back(Committed{std::move(batch), flush});
                m_flushWake.wakeOne();
                handedOver = true;
            }
        }
        if (flushHere) {
            if (const Status flushed = flushLog(); !flushed)
                failFlushed(batch, flushed.error());
        }
        if (!handedOver)
            answer(batch);
        restartLogIfLong();
    }
}

int WriteQueue::walHook(void *queue, sqlite3 *, const char *, int pages)
{
    auto *self = static_cast<WriteQueue *>(queue);
    // The log started over since the last commit when it is shorter now.
    const int written = pages >= self->m_logPages ? pages - self->m_logPages : pages;
    self->m_logPages = pages;
    QMutexLocker lock(&self->m_mutex);
    self->m_stats.logPagesWritten += written;
    if (pages >= kRestartLogPages / 2) {
        self->m_checkpointSoon = true;
        self->m_committed.wakeOne();
    }
    return SQLITE_OK;
}

void WriteQueue::restartLogIfLong()
{
    if (m_logPages < m_restartLogAt)
        return;
    sqlite3 *handle = sql::sqliteHandle(m_database.connection());
    if (!handle)
        return;
    {
        // After the checkpointer's run, which copies most of the log without holding anyone up.
        QMutexLocker lock(&m_mutex);
        if (m_checkpointing)
            return;
        m_restartingLog = true;
    }
    // No transaction is open here, and no statement: the checkpoint can take the write lock.
    sqlite3_busy_timeout(handle, kRestartWaitMs);
    const int done
        = sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
    sqlite3_busy_timeout(handle, Database::kBusyTimeoutMs);
    {
        QMutexLocker lock(&m_mutex);
        m_restartingLog = false;
        m_committed.wakeOne();
    }
    if (done == SQLITE_OK) {
        m_logPages = 0;
        m_restartLogAt = kRestartLogPages;
        QMutexLocker lock(&m_mutex);
        ++m_stats.logRestarts;
        return;
    }
    // Readers stayed on the old log, or the checkpointer was busy: again once the log has
    // grown some more, so a long reader does not make every commit wait.
    m_restartLogAt = m_logPages + kRestartLogPages / 4;
    if (done != SQLITE_BUSY && done != SQLITE_LOCKED)
        qWarning("database: restarting the log failed: %s", sqlite3_errmsg(handle));
}

Status WriteQueue::flushLog()
{
    QElapsedTimer flushing;
    flushing.start();
    const Status flushed = m_wal->flush();
    if (!flushed)
        qCritical("database: %s", qPrintable(flushed.error().describe()));
    const qint64 tookUs = flushing.nsecsElapsed() / 1000;
    QMutexLocker lock(&m_mutex);
    ++m_stats.flushes;
    m_stats.flushMicroseconds += tookUs;
    return flushed;
}

void WriteQueue::failFlushed(const Batch &batch, const Error &error)
{
    // Committed, but not known to be on disk: its callers must not count on it.
    for (const auto &piece : batch)
        if (piece->result)
            piece->result = error;
}

bool WriteQueue::flusherIdle() const
{
    return m_committedBatches.empty() && !m_flusherAnswering;
}

void WriteQueue::takePending(Batch &batch)
{
    QMutexLocker lock(&m_mutex);
    while (!m_pending.empty() && batch.size() < size_t(kMaxBatch)) {
        batch.push_back(std::move(m_pending.front()));
        m_pending.pop_front();
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
        const Status flushed = flush ? flushLog() : Status();
        for (Committed &committed : ready) {
            if (committed.flush && !flushed)
                failFlushed(committed.batch, flushed.error());
            answer(committed.batch);
        }
        QMutexLocker lock(&m_mutex);
        m_flusherAnswering = false;
        if (m_committedBatches.empty())
            m_wake.wakeOne(); // the writer may be holding its batch open until now
    }
    m_database.closeThreadConnections();
}

bool WriteQueue::commitBatch(Batch &batch)
{
    sql::StatementCache &cache = *sql::StatementCache::current();
    const QSqlDatabase db = m_database.connection();
    cache.finishAll(); // no statement left open since: nothing holds an old snapshot
    if (Result<QSqlQuery> begun = sql::exec(db, QStringLiteral("BEGIN IMMEDIATE")); !begun) {
        takePending(batch);
        for (const auto &piece : batch)
            piece->result = begun.error();
        return false;
    }
    cache.setInTransaction(true);
    bool durable = false;
    for (;;) {
        const size_t first = batch.size();
        takePending(batch);
        for (size_t i = first; i < batch.size(); ++i) {
            Piece &piece = *batch[i];
            durable = durable || piece.durability == Durability::Durable;
            // Each piece in its own savepoint: a failed one leaves no trace, the others stay.
            sql::Transaction savepoint(db);
            const LogContext context(piece.context);
            piece.result = savepoint.isOpen() ? (*piece.work)() : Status(savepoint.error());
            if (piece.result) {
                if (Status released = savepoint.commit(); !released)
                    piece.result = released;
            }
        }
        // While the flusher is busy, this batch could be answered after its next flush at the
        // earliest: pieces arriving meanwhile join the open transaction and share the commit
        // (fewer, larger commits write fewer pages per piece). Commit once it is idle.
        QMutexLocker lock(&m_mutex);
        while (m_pending.empty() && !flusherIdle() && !m_stopping)
            m_wake.wait(&m_mutex);
        if (m_pending.empty() || flusherIdle() || m_stopping || batch.size() >= size_t(kMaxBatch))
            break;
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
