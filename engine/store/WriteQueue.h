// WriteQueue: group commit. The hot writes of this process (claims, step records, outcomes,
// enqueues) are handed to one writer thread, which takes everything waiting, runs it in one
// transaction — each piece in its own savepoint, so one piece's failure undoes only that piece
// — and commits once. Under load many pieces share one commit; a lone piece waits for no one.
// The writer keeps its statements prepared (sql::StatementCache).
//
// Durable pieces (an acknowledged enqueue or completion) are answered once their commit is on
// stable storage, and so survive power loss. The writer does not wait for the disk: it commits
// (synchronous=NORMAL) and hands the batch to the flusher thread, which makes the log durable
// once for every commit written meanwhile (WalFlusher) and then answers; the writer runs the
// next batch during the flush. Relaxed pieces (a claim, a lease renewal, a step's progress
// record) need no flush: visible at once to every connection and process and atomic, made
// durable by the next flush; a power cut may lose the last of them, which the engine recovers
// from (an unrecorded claim is claimed again). Answers go out in commit order: a relaxed batch
// committed after a durable one is answered after that one's flush.
#pragma once

#include "core/Result.h"

#include <QMutex>
#include <QWaitCondition>

#include <deque>
#include <functional>
#include <memory>

class QThread;
struct sqlite3;

namespace ordinaut {

class Database;
class WalFlusher;

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
    // Under steady load the log would only grow (a checkpoint running beside the writer never
    // catches up with it, and only a fully copied log starts over): past this many pages, the
    // writer restarts it between two commits, once the checkpointer has copied most of it. A
    // log that stays this size is rewritten in place, which flushes faster than one that grows.
    static constexpr int kRestartLogPages = 4096;
    // How long that restart waits for readers still on the old log before it tries again later.
    static constexpr int kRestartWaitMs = 20;

    // Runs `work` on the writer thread inside the shared transaction (sql::Transaction in it
    // becomes a savepoint) and returns once that transaction is committed — and, for a durable
    // piece, flushed: work's own error, the commit's (then nothing of `work` is kept), or the
    // flush's (Unavailable: committed, but not known to be on disk). Called on the writer thread
    // itself (from inside a piece), runs `work` at once as part of the current piece.
    Status write(Durability durability, const std::function<Status()> &work);
    // Queues `work` like write() but returns at once; `done` is then called on the writer or
    // the flusher thread with what write() would have returned, once write() would have
    // returned and before any later piece's caller is woken. It must be quick and must not
    // write().
    // For callers with more to do than wait, e.g. a worker whose next run is already claimed.
    void post(Durability durability, std::function<Status()> work,
              std::function<void(const Status &)> done);

    // Pieces committed, commits made and log flushes so far (for benchmarks and health).
    struct Stats
    {
        qint64 pieces = 0;
        qint64 commits = 0;
        qint64 durableCommits = 0;    // commits with a durable piece
        qint64 flushes = 0;           // one flush covers the durable commits written before it
        qint64 flushMicroseconds = 0; // the time those flushes took
        qint64 logRestarts = 0;       // the writer started the log over (kRestartLogPages)
        qint64 logPagesWritten = 0;   // pages the commits appended to the log
    };
    Stats stats() const;

private:
    struct Piece;
    using Batch = std::deque<std::shared_ptr<Piece>>;
    struct Committed
    {
        Batch batch;
        bool flush = false; // holds a committed durable piece
    };
    void run();
    void loop();
    // Takes the waiting pieces into `batch` and commits them, with those that arrive while the
    // flusher is busy. True when committed with a durable piece in it.
    bool commitBatch(Batch &batch);
    void takePending(Batch &batch);
    bool flusherIdle() const; // under m_mutex
    // Calls the posted pieces' `done`, then wakes the waiting callers.
    void answer(const Batch &batch);
    void flushLoop();
    // Flushes the log (WalFlusher), counted in the stats. On the flusher thread, or on the
    // writer while the flusher is idle and nothing else waits.
    Status flushLog();
    static void failFlushed(const Batch &batch, const Error &error);
    // Copies the rest of the log into the database file and has the next commit start it over
    // (checkpoint RESTART), when it has grown past kRestartLogPages. Writer thread only.
    void restartLogIfLong();
    static int walHook(void *queue, sqlite3 *db, const char *name, int pages);

    // Checkpoints the WAL into the database file on its own thread and connection, a moment
    // after commits happened (never when idle), so the writer never stalls on one.
    void checkpointLoop();

    const Database &m_database;
    mutable QMutex m_mutex;
    QWaitCondition m_committed; // the checkpointer: there is something to checkpoint
    qint64 m_uncheckpointedCommits = 0;
    bool m_checkpointSoon = false;         // the log is long: no delay before the next checkpoint
    bool m_checkpointing = false;          // the checkpointer is copying
    bool m_restartingLog = false;          // the writer is restarting the log
    int m_logPages = 0;                    // the writer's: pages in the log after its last commit
    int m_restartLogAt = kRestartLogPages; // the writer's: when to try a restart next
    std::unique_ptr<QThread> m_checkpointer;
    QWaitCondition m_wake; // the writer: work is waiting, or the flusher became idle
    std::deque<std::shared_ptr<Piece>> m_pending;
    bool m_stopping = false;
    Stats m_stats;
    std::deque<Committed> m_committedBatches; // for the flusher, in commit order
    QWaitCondition m_flushWake;
    bool m_flusherAnswering = false; // the flusher holds batches it has not answered yet
    bool m_writerDone = false;
    std::unique_ptr<WalFlusher> m_wal; // used by one thread at a time (see flushLog())
    std::unique_ptr<QThread> m_thread;
    std::unique_ptr<QThread> m_flusher;
};

} // namespace ordinaut
