// LeaseKeeper: a timer on its own thread, active while claims are held.
#include "LeaseKeeper.h"

#include "core/Clock.h"
#include "store/WorkerStore.h"

#include <QTimer>

namespace ordinaut {

LeaseKeeper::LeaseKeeper(const Database &database, const Clock &clock, qint64 leaseMs)
    : m_database(database)
    , m_clock(clock)
    , m_leaseMs(leaseMs)
    , m_timer(new QTimer(this))
{
    // A third of the lease: two renewals may fail (a busy database) before it runs out.
    m_timer->setInterval(static_cast<int>(std::max<qint64>(leaseMs / 3, 1)));
    connect(m_timer, &QTimer::timeout, this, &LeaseKeeper::renewAll);
}

void LeaseKeeper::hold(const Claim &claim)
{
    {
        QMutexLocker lock(&m_mutex);
        m_claims[claim.queueId] = claim;
    }
    QMetaObject::invokeMethod(this, &LeaseKeeper::ensureRunning, Qt::QueuedConnection);
}

void LeaseKeeper::release(qint64 queueId)
{
    QMutexLocker lock(&m_mutex);
    m_claims.erase(queueId);
}

void LeaseKeeper::ensureRunning()
{
    if (!m_timer->isActive())
        m_timer->start();
}

void LeaseKeeper::renewAll()
{
    std::vector<Claim> claims;
    {
        QMutexLocker lock(&m_mutex);
        for (const auto &[id, claim] : m_claims)
            claims.push_back(claim);
    }
    if (claims.empty()) {
        m_timer->stop(); // idle: no wake-ups until the next claim
        return;
    }
    std::vector<Claim> lost;
    Status renewed = RunQueue(m_database).renew(claims, m_clock.now(), m_leaseMs, &lost);
    // The renewal doubles as the workers' heartbeat in the workers table.
    for (const Claim &claim : claims)
        if (renewed)
            renewed = WorkerStore(m_database).touch(claim.workerId, m_clock.now());
    if (!renewed)
        qWarning("leases: cannot renew %zu lease(s): %s", claims.size(),
                 qPrintable(renewed.error().describe()));
    for (const Claim &claim : lost)
        qWarning("leases: run %s lost its lease; another worker took it over",
                 qPrintable(claim.runId));
}

} // namespace ordinaut
