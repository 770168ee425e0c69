// LeaseKeeper: a timer on its own thread, active while claims are held.
#include "LeaseKeeper.h"

#include "core/Clock.h"
#include "store/Database.h"
#include "store/WorkerStore.h"
#include "store/WriteQueue.h"

#include <QTimer>

#include <utility>

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

void LeaseKeeper::hold(const Claim &claim, std::shared_ptr<Cancellation> cancellation)
{
    QMutexLocker lock(&m_mutex);
    m_claims[claim.queueId] = Held{claim, std::move(cancellation)};
    if (!std::exchange(m_timerActive, true))
        QMetaObject::invokeMethod(this, &LeaseKeeper::ensureRunning, Qt::QueuedConnection);
}

void LeaseKeeper::release(qint64 queueId)
{
    QMutexLocker lock(&m_mutex);
    m_claims.erase(queueId);
}

bool LeaseKeeper::cancel(const QString &runId, const QString &message)
{
    QMutexLocker lock(&m_mutex);
    for (const auto &[id, held] : m_claims) {
        if (held.claim.runId == runId) {
            held.cancellation->cancel(Cancellation::Reason::Canceled, message);
            return true;
        }
    }
    return false;
}

int LeaseKeeper::abandonAll(const QString &message)
{
    std::vector<Claim> claims;
    {
        QMutexLocker lock(&m_mutex);
        for (const auto &[id, held] : m_claims) {
            held.cancellation->cancel(Cancellation::Reason::Shutdown, message);
            claims.push_back(held.claim);
        }
    }
    if (claims.empty())
        return 0;
    if (Status released = RunQueue(m_database).release(claims, m_clock.now()); !released) {
        qWarning("leases: cannot release %zu lease(s) at shutdown (they run out in %lld ms): %s",
                 claims.size(), static_cast<long long>(m_leaseMs),
                 qPrintable(released.error().describe()));
        return 0;
    }
    return static_cast<int>(claims.size());
}

int LeaseKeeper::heldCount() const
{
    QMutexLocker lock(&m_mutex);
    return static_cast<int>(m_claims.size());
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
        for (const auto &[id, held] : m_claims)
            claims.push_back(held.claim);
        if (claims.empty()) {
            m_timer->stop(); // idle: no wake-ups until the next claim
            m_timerActive = false;
            return;
        }
    }
    std::vector<Claim> lost;
    std::vector<CancelRequest> canceling;
    // Through the writer, relaxed: a renewal shares a commit with the claims and results
    // going on, and needs no fsync (a lease lost to a power cut is moot: so is its worker).
    Status renewed = m_database.writer().write(Durability::Relaxed, [&]() -> Status {
        lost.clear();
        canceling.clear();
        if (Status done
            = RunQueue(m_database).renew(claims, m_clock.now(), m_leaseMs, &lost, &canceling);
            !done)
            return done;
        // The renewal doubles as the workers' heartbeat in the workers table.
        for (const Claim &claim : claims)
            if (Status touched = WorkerStore(m_database).touch(claim.workerId, m_clock.now());
                !touched)
                return touched;
        return {};
    });
    {
        QMutexLocker lock(&m_mutex);
        for (const CancelRequest &request : canceling) {
            if (auto it = m_claims.find(request.claim.queueId); it != m_claims.end())
                it->second.cancellation->cancel(
                    Cancellation::Reason::Canceled,
                    request.message.isEmpty() ? QStringLiteral("canceled") : request.message);
        }
        // A run that finished since the snapshot was released meanwhile: its lease is not lost.
        std::erase_if(lost, [this](const Claim &claim) {
            const auto it = m_claims.find(claim.queueId);
            return it == m_claims.end() || it->second.claim.leaseEpoch != claim.leaseEpoch;
        });
        for (const Claim &claim : lost)
            m_claims.at(claim.queueId)
                .cancellation->cancel(
                    Cancellation::Reason::LeaseLost,
                    QStringLiteral("the lease was lost; another worker took the run over"));
    }
    if (!renewed)
        qWarning("leases: cannot renew %zu lease(s): %s", claims.size(),
                 qPrintable(renewed.error().describe()));
    for (const Claim &claim : lost)
        qWarning("leases: run %s lost its lease; another worker took it over",
                 qPrintable(claim.runId));
}

} // namespace ordinaut
