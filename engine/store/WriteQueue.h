// WriteQueue: group commit. The hot writes of this process (claims, step records, outcomes,
// enqueues) are handed to one writer thread, which takes everything waiting, runs it in one
// transaction — each piece in its own savepoint, so one piece's failure undoes only that piece
// — and commits once. Under load many pieces share one commit, and so one fsync; a lone piece
// waits for no one. The writer keeps its statements prepared (sql::StatementCache).
//
// Durable pieces (an acknowledged enqueue or completion) commit with synchronous=FULL: the
// commit survives power loss once write() returns. Relaxed pieces (a claim, a lease renewal, a
// step's progress record) commit with synchronous=NORMAL: at once visible to every connection
// and process and atomic, but made durable by the next FULL commit; a power cut may lose the
// last of them, which the engine recovers from (an unrecorded claim is claimed again).
#pragma once

#include "core/Result.h"

#include <QMutex>
#include <QWaitCondition>

#include <deque>
#include <functional>
#include <memory>

class QThread;

namespace ordinaut {

class Database;

enum class Durability { Durable, Relaxed };

class WriteQueue final
{
public:
    explicit WriteQueue(const Database &database);
    // Finishes what is queued, then ends the writer thread.
    ~WriteQueue();
    Q_DISABLE_COPY_MOVE(WriteQueue)

    // The most pieces one commit takes.
    static constexpr int kMaxBatch = 512;
    // How long the checkpointer lets commits gather before it copies them into the file.
    static constexpr int kCheckpointDelayMs = 200;

    // Runs `work` on the writer thread inside the shared transaction (sql::Transaction in it
    // becomes a savepoint) and returns once that transaction is committed: work's own error, or
    // the commit's (then nothing of `work` is kept). Called on the writer thread itself (from
    // inside a piece), runs `work` at once as part of the current piece.
    Status write(Durability durability, const std::function<Status()> &work);
    // Queues `work` like write() but returns at once; `done` is then called on the writer
    // thread with what write() would have returned, right after the commit (or the failure)
    // and before any later piece's caller is woken. It must be quick and must not write().
    // For callers with more to do than wait, e.g. a worker whose next run is already claimed.
    void post(Durability durability, std::function<Status()> work,
              std::function<void(const Status &)> done);

    // Pieces committed and commits made so far (for benchmarks and health).
    struct Stats
    {
        qint64 pieces = 0;
        qint64 commits = 0;
        qint64 durableCommits = 0;
    };
    Stats stats() const;

private:
    struct Piece;
    void run();
    void loop();
    void commitBatch(std::deque<std::shared_ptr<Piece>> &batch);

    // Checkpoints the WAL into the database file on its own thread and connection, a moment
    // after commits happened (never when idle), so the writer never stalls on one.
    void checkpointLoop();

    const Database &m_database;
    mutable QMutex m_mutex;
    QWaitCondition m_committed; // the checkpointer: there is something to checkpoint
    qint64 m_uncheckpointedCommits = 0;
    std::unique_ptr<QThread> m_checkpointer;
    QWaitCondition m_wake; // the writer: work is waiting
    std::deque<std::shared_ptr<Piece>> m_pending;
    bool m_stopping = false;
    Stats m_stats;
    int m_synchronousFull = -1; // the writer connection's level: 1 FULL, 0 NORMAL, -1 unknown
    std::unique_ptr<QThread> m_thread;
};

} // namespace ordinaut
