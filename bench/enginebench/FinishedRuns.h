// FinishedRuns: hears the engine's run.finished events for one task on the thread that
// announces them (a direct connection), so the moment the last expected run succeeded is
// stamped where it happens rather than when some event loop gets round to it.
#pragma once

#include <QObject>
#include <QString>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace ordinaut {
class EventBus;
} // namespace ordinaut

namespace ordinaut::bench {

class FinishedRuns final
{
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    struct Finish
    {
        QString status;
        TimePoint seenAt; // when run.finished was announced
    };

    // Listens from now on for the runs of `taskId`; `expected` succeeded runs complete it.
    FinishedRuns(EventBus &bus, QString taskId, int expected);
    ~FinishedRuns();
    Q_DISABLE_COPY_MOVE(FinishedRuns)

    int succeeded() const;
    // Runs that finished with any status but succeeded; the first one's payload is in
    // firstFailure().
    int failed() const;
    QString firstFailure() const;
    // Runs that had succeeded by `instant`.
    int succeededBy(TimePoint instant) const;
    // When the expected number of runs had succeeded; nullopt before.
    std::optional<TimePoint> completedAt() const;

    // Blocks the calling thread until the run finished (or `timeoutMs` passed: nullopt). Not on
    // the main thread: the engine's wake-ups may go through its event loop.
    std::optional<Finish> waitFor(const QString &runId, int timeoutMs);
    // Runs the calling thread's event loop until the expected runs succeeded, a run failed,
    // `aborted` says so, or no run finished for `stallMs`. True when all succeeded.
    bool waitAll(int stallMs, const std::function<bool()> &aborted);

private:
    struct State;
    // Shared with the connected slot, which may still be running on a worker thread while
    // this object goes away.
    std::shared_ptr<State> m_state;
    QObject m_context; // ends the connection with this object
};

// How often a waiting loop looks at its condition by default. It never moves a measured
// instant: those are stamped on the thread where they happen.
inline constexpr int kDefaultPollMs = 20;

// Runs the calling thread's event loop until `done` holds, looking every `pollMs`.
void pumpEventsUntil(const std::function<bool()> &done, int pollMs = kDefaultPollMs);

} // namespace ordinaut::bench
