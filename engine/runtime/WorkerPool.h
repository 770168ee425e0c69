// WorkerPool: N worker threads, each with one Worker. Woken when runs are queued.
#pragma once

#include <QObject>

#include <atomic>
#include <memory>
#include <vector>

class QThread;

namespace ordinaut {

class Clock;
class Database;
class EventBus;
class LeaseKeeper;
class Metrics;
class ClaimBuffer;
class ToolRegistry;
class Worker;

class WorkerPool final : public QObject
{
    Q_OBJECT
public:
    WorkerPool(int size, const QString &engineId, const Database &database, const Clock &clock,
               const ToolRegistry &tools, EventBus &bus, Metrics &metrics, qint64 leaseMs,
               QObject *parent = nullptr);
    ~WorkerPool() override;
    Q_DISABLE_COPY_MOVE(WorkerPool)

    static int defaultSize();
    int size() const { return static_cast<int>(m_workers.size()); }

    void start();
    // Stops claiming and lets each worker finish and record the run it is on, for up to
    // `graceMs`. Runs still going then are stopped and their leases released, so another
    // engine (or the next start) takes them over at once. Joins the threads. Not restartable.
    void stop(qint64 graceMs = 10000);
    // Any thread. Stops the run if one of this pool's workers is on it; false otherwise.
    bool cancel(const QString &runId, const QString &message);

public slots:
    void wake();

private:
    // Hands the claimed runs no worker started back to the queue, as they were.
    void handBackBuffered();

    const Database &m_database;
    std::atomic_bool m_stopping{false};
    std::atomic_size_t m_nextWake{0}; // where wake() starts looking, so wake-ups spread
    std::unique_ptr<ClaimBuffer> m_buffer;
    std::unique_ptr<QThread> m_leaseThread;
    LeaseKeeper *m_leases; // lives on m_leaseThread, deleted when it finishes
    std::vector<std::unique_ptr<QThread>> m_threads;
    std::vector<Worker *> m_workers; // each owned by its thread (deleted on finish)
};

} // namespace ordinaut
