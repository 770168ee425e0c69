// LeaseKeeper: the workers' heartbeat. Every claim a worker holds is renewed, all in one short
// transaction, every third of the lease, from its own thread — a worker blocked in a long step
// keeps its run. If the process dies the renewals stop, the leases run out and another worker
// (or the next start) takes the runs over. The timer runs only while claims are held.
#pragma once

#include "store/RunQueue.h"

#include <QMutex>
#include <QObject>

#include <map>

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
    // Both are called from worker threads.
    void hold(const Claim &claim);
    void release(qint64 queueId);

private:
    void ensureRunning();
    void renewAll();

    const Database &m_database;
    const Clock &m_clock;
    const qint64 m_leaseMs;
    QTimer *m_timer;
    QMutex m_mutex;
    std::map<qint64, Claim> m_claims;
};

} // namespace ordinaut
