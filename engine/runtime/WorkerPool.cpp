// WorkerPool: thread ownership and wake-ups.
#include "WorkerPool.h"

#include "ClaimBuffer.h"
#include "LeaseKeeper.h"
#include "Worker.h"

#include "store/Database.h"
#include "store/Sql.h"
#include "store/WriteQueue.h"

#include <QDeadlineTimer>
#include <QThread>

#include <algorithm>

namespace ordinaut {

WorkerPool::WorkerPool(int size, const QString &engineId, const Database &database,
                       const Clock &clock, const ToolRegistry &tools, EventBus &bus,
                       Metrics &metrics, qint64 leaseMs, QObject *parent)
    : QObject(parent)
    , m_database(database)
    // Runs wait for a worker while the next commit and flush go on: a worker goes from one run
    // to the next without waiting for them.
    , m_buffer(std::make_unique<ClaimBuffer>(std::max(16, 4 * size)))
    , m_leaseThread(std::make_unique<QThread>())
    , m_leases(new LeaseKeeper(database, clock, leaseMs))
{
    m_leaseThread->setObjectName(QStringLiteral("ordinaut-leases"));
    m_leases->moveToThread(m_leaseThread.get());
    connect(m_leaseThread.get(), &QThread::finished, m_leases, &QObject::deleteLater);
    for (int i = 0; i < std::max(1, size); ++i) {
        auto thread = std::make_unique<QThread>();
        thread->setObjectName(QStringLiteral("ordinaut-worker-%1").arg(i + 1));
        auto *worker = new Worker(
            QStringLiteral("%1/w%2").arg(engineId).arg(i + 1), database, clock, tools, bus, metrics,
            *m_leases, *m_buffer, [this] { wake(); }, m_stopping);
        worker->moveToThread(thread.get());
        connect(thread.get(), &QThread::started, worker, &Worker::start);
        connect(thread.get(), &QThread::finished, worker, &QObject::deleteLater);
        m_workers.push_back(worker);
        m_threads.push_back(std::move(thread));
    }
}

WorkerPool::~WorkerPool()
{
    stop();
    for (size_t i = 0; i < m_threads.size(); ++i) {
        if (!m_threads[i]->isFinished())
            delete m_workers[i]; // never started: no thread will delete it
    }
    if (!m_leaseThread->isFinished())
        delete m_leases;
}

int WorkerPool::defaultSize()
{
    return std::max(2, QThread::idealThreadCount());
}

void WorkerPool::start()
{
    m_stopping = false;
    m_leaseThread->start();
    for (const auto &thread : m_threads)
        thread->start();
}

void WorkerPool::stop(qint64 graceMs)
{
    m_stopping = true;
    for (size_t i = 0; i < m_threads.size(); ++i) {
        if (m_threads[i]->isRunning())
            QMetaObject::invokeMethod(m_workers[i], &Worker::finish, Qt::QueuedConnection);
    }
    const QDeadlineTimer grace(std::max<qint64>(graceMs, 0));
    bool finished = true;
    for (const auto &thread : m_threads)
        finished = thread->wait(grace) && finished;
    if (!finished) {
        handBackBuffered();
        const int released
            = m_leases->abandonAll(QStringLiteral("the engine shut down before the run finished"));
        if (released > 0)
            qInfo("shutdown: %d run(s) still going after %lld ms were stopped and their leases "
                  "released for the next engine",
                  released, static_cast<long long>(graceMs));
    }
    for (const auto &thread : m_threads)
        thread->wait();
    // What outcomes recorded while stopping claimed for the buffer.
    handBackBuffered();
    // Renewals go on until every worker has recorded its run.
    m_leaseThread->quit();
    m_leaseThread->wait();
}

void WorkerPool::handBackBuffered()
{
    const std::vector<ClaimedRun> waiting = m_buffer->takeAll();
    if (waiting.empty())
        return;
    Status back = m_database.writer().write(Durability::Relaxed, [&]() -> Status {
        for (const ClaimedRun &run : waiting) {
            // One whose lease was lost meanwhile is another engine's now; the rest go back.
            sql::Transaction one(m_database.connection());
            if (RunQueue(m_database).unclaim(run.claim))
                (void)one.commit();
        }
        return {};
    });
    if (!back)
        qWarning("shutdown: cannot hand back %zu claimed run(s) (taken over when their leases "
                 "end): %s",
                 waiting.size(), qPrintable(back.error().describe()));
    for (const ClaimedRun &run : waiting)
        m_leases->release(run.claim.queueId);
}

bool WorkerPool::cancel(const QString &runId, const QString &message)
{
    return m_leases->cancel(runId, message);
}

void WorkerPool::wake()
{
    if (m_stopping || m_workers.empty())
        return;
    // One worker per wake-up (one per run queued), an idle one if there is: it claims what it
    // can for the pool and wakes another when more waits than it takes. Waking every worker
    // for each run had them all ask the writer for work most of them did not find. A busy
    // worker woken looks for work again after its run.
    const size_t count = m_workers.size();
    const size_t first = m_nextWake.fetch_add(1) % count;
    for (size_t i = 0; i < count; ++i) {
        Worker *worker = m_workers[(first + i) % count];
        if (worker->isIdle()) {
            worker->wake();
            return;
        }
    }
    m_workers[first]->wake();
}

} // namespace ordinaut
