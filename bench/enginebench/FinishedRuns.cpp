// FinishedRuns: counting, stamping and waiting.
#include "FinishedRuns.h"

#include "core/Event.h"
#include "runtime/EventBus.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QTimer>

#include <condition_variable>
#include <mutex>

namespace ordinaut::bench {

struct FinishedRuns::State
{
    State(QString task, int count)
        : taskId(std::move(task))
        , expected(count)
    {}

    // On the announcing thread.
    void onEvent(const Event &event);

    const QString taskId;
    const int expected;
    std::mutex mutex;
    std::condition_variable changed;
    int succeeded = 0;
    int failed = 0;
    QString firstFailure;
    std::optional<TimePoint> completedAt;
    QHash<QString, Finish> finishes; // by run id
};

void FinishedRuns::State::onEvent(const Event &event)
{
    if (event.topic != QLatin1String("run.finished")
        || qs(event.payload.value("task_id", std::string())) != taskId)
        return;
    const TimePoint now = std::chrono::steady_clock::now();
    const QString status = qs(event.payload.value("status", std::string()));
    {
        const std::lock_guard lock(mutex);
        finishes.insert(qs(event.payload.value("run_id", std::string())), Finish{status, now});
        if (status == QLatin1String("succeeded")) {
            if (++succeeded == expected)
                completedAt = now;
        } else if (failed++ == 0)
            firstFailure = qs(event.payload.dump());
    }
    changed.notify_all();
}

FinishedRuns::FinishedRuns(EventBus &bus, QString taskId, int expected)
    : m_state(std::make_shared<State>(std::move(taskId), expected))
{
    QObject::connect(
        &bus, &EventBus::eventPublished, &m_context,
        [state = m_state](const Event &event) { state->onEvent(event); }, Qt::DirectConnection);
}

FinishedRuns::~FinishedRuns() = default;

int FinishedRuns::succeeded() const
{
    const std::lock_guard lock(m_state->mutex);
    return m_state->succeeded;
}

int FinishedRuns::failed() const
{
    const std::lock_guard lock(m_state->mutex);
    return m_state->failed;
}

QString FinishedRuns::firstFailure() const
{
    const std::lock_guard lock(m_state->mutex);
    return m_state->firstFailure;
}

int FinishedRuns::succeededBy(TimePoint instant) const
{
    const std::lock_guard lock(m_state->mutex);
    int count = 0;
    for (const Finish &finish : std::as_const(m_state->finishes))
        if (finish.status == QLatin1String("succeeded") && finish.seenAt <= instant)
            ++count;
    return count;
}

std::optional<FinishedRuns::TimePoint> FinishedRuns::completedAt() const
{
    const std::lock_guard lock(m_state->mutex);
    return m_state->completedAt;
}

std::optional<FinishedRuns::Finish> FinishedRuns::waitFor(const QString &runId, int timeoutMs)
{
    std::unique_lock lock(m_state->mutex);
    if (!m_state->changed.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                                   [&] { return m_state->finishes.contains(runId); }))
        return std::nullopt;
    return m_state->finishes.value(runId);
}

bool FinishedRuns::waitAll(int stallMs, const std::function<bool()> &aborted)
{
    int lastCount = -1;
    QElapsedTimer sinceProgress;
    sinceProgress.start();
    bool stalled = false;
    pumpEventsUntil([&] {
        const int count = succeeded() + failed();
        if (count != lastCount) {
            lastCount = count;
            sinceProgress.restart();
        }
        stalled = sinceProgress.elapsed() > stallMs;
        return count >= m_state->expected || failed() > 0 || stalled || aborted();
    });
    if (stalled)
        qWarning("no run finished for %d ms (%d of %d succeeded): giving up", stallMs, succeeded(),
                 m_state->expected);
    return succeeded() >= m_state->expected && failed() == 0;
}

void pumpEventsUntil(const std::function<bool()> &done, int pollMs)
{
    if (done())
        return;
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    poll.start(pollMs);
    loop.exec();
}

} // namespace ordinaut::bench
