// WriteQueue: the writer thread's loop.
#include "WriteQueue.h"

#include "Database.h"
#include "Sql.h"

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
    , m_thread(QThread::create([this] { run(); }))
{
    m_thread->setObjectName(QStringLiteral("ordinaut-writer"));
    m_thread->start();
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
    m_thread->wait();
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
        // Checkpoints are the checkpointer's: a commit never waits for one.
        Result<QSqlQuery> manual
            = sql::exec(m_database.connection(), QStringLiteral("PRAGMA wal_autocheckpoint=0"));
        if (manual)
            manual->finish();
        sql::StatementCache cache;
        loop();
    }
    m_database.closeThreadConnections();
}

void WriteQueue::loop()
{
    for (;;) {
        std::deque<std::shared_ptr<Piece>> batch;
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
        commitBatch(batch);
        // Posted pieces hear first: a caller that waits on a later piece of its own (a
        // barrier) then knows that its earlier posts were answered.
        for (const auto &piece : batch)
            if (piece->onDone)
                piece->onDone(piece->result);
        // What the answers read on this thread (an event's listeners) must not keep a read
        // transaction open: its snapshot would go stale and the next BEGIN IMMEDIATE fail.
        sql::StatementCache::current()->finishAll();
        QMutexLocker lock(&m_mutex);
        for (const auto &piece : batch) {
            piece->done = true;
            piece->finished.wakeOne();
        }
    }
}

void WriteQueue::commitBatch(std::deque<std::shared_ptr<Piece>> &batch)
{
    sql::StatementCache &cache = *sql::StatementCache::current();
    const QSqlDatabase db = m_database.connection();
    bool durable = false;
    for (const auto &piece : batch)
        durable = durable || piece->durability == Durability::Durable;
    auto failAll = [&batch](const Error &error) {
        for (const auto &piece : batch)
            piece->result = error;
    };
    // The safety level can only change between transactions; it is set when it changes.
    if (m_synchronousFull != int(durable)) {
        if (Result<QSqlQuery> level
            = sql::exec(db, durable ? QStringLiteral("PRAGMA synchronous=FULL")
                                    : QStringLiteral("PRAGMA synchronous=NORMAL"));
            !level)
            return failAll(level.error());
        m_synchronousFull = int(durable);
    }
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
        return;
    }
    QMutexLocker lock(&m_mutex);
    m_stats.pieces += qint64(batch.size());
    ++m_stats.commits;
    if (m_uncheckpointedCommits++ == 0)
        m_committed.wakeOne();
    if (durable)
        ++m_stats.durableCommits;
}

} // namespace ordinaut
