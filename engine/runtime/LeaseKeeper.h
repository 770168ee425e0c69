// LeaseKeeper: the workers' heartbeat. Every claim a worker holds is renewed, all in one short
// transaction, every third of the lease, from its own thread — a worker blocked in a long step
// keeps its run. If the process dies the renewals stop, the leases run out and another worker
// (or the next start) takes the runs over. The timer runs only while claims are held.
#pragma once

#include "core/Cancellation.h"
#include "store/RunQueue.h"

#include <QMutex>
#include <QObject>

#include <map>
#include <memory>

class QTimer;

namespace ordinaut {

class Clock;
class Database;

class LeaseKeeper final : public QObject
{
    Q_OBJECT
public:
    LeaseKeeper(const Database &database, const Clock &clock, qint64 leaseMs);
    Q_DISABLE_COPY_MOVE(LeaseKeeper)

    qint64 leaseMs() const { return m_leaseMs; }
    // Called from worker threads. The cancellation of a held claim is set when its run is
    // canceled (here or by another engine, seen at the next renewal) or its lease is lost.
    void hold(const Claim &claim, std::shared_ptr<Cancellation> cancellation);
    void release(qint64 queueId);
    // Any thread. Stops the run `runId` if a worker here holds it; false when none does.
    bool cancel(const QString &runId, const QString &message);
    // Any thread, at shutdown once the grace period is over: stops every run still held and
    // ends their leases now, so the next claim anywhere takes them over at once. Returns how
    // many were released.
    int abandonAll(const QString &message);
    int heldCount() const;

private:
    struct Held
    {
        Claim claim;
        std::shared_ptr<Cancellation> cancellation;
    };
    void ensureRunning();
    void renewAll();

    const Database &m_database;
    const Clock &m_clock;
    const qint64 m_leaseMs;
    QTimer *m_timer;
    mutable QMutex m_mutex;
    std::map<qint64, Held> m_claims;
    // The timer runs or is about to start (guarded by m_mutex): a claim posts to this thread
    // only when it is the first since the timer stopped, not once per run.
    bool m_timerActive = false;
};

} // namespace ordinaut
