// Cancellation: how a run in progress is told to stop — canceled by someone, or its engine
// shutting down past the grace period. Set from any thread (API, lease heartbeat, shutdown);
// tools that wait (http.request, shell.run, llm.chat, email.send) check it while they wait and
// abort what they are doing.
#pragma once

#include "Error.h"

#include <QMutex>
#include <QString>

#include <atomic>

namespace ordinaut {

class Cancellation final
{
public:
    // Canceled: someone asked (API, overlap policy); Shutdown: the engine stops and its grace
    // period is over; LeaseLost: another worker took the run over — nothing may be recorded.
    enum class Reason { None, Canceled, Shutdown, LeaseLost };

    // The first request wins; later ones are ignored.
    void cancel(Reason reason, const QString &message)
    {
        QMutexLocker lock(&m_mutex);
        if (m_reason.load() != Reason::None || reason == Reason::None)
            return;
        m_message = message;
        m_reason.store(reason, std::memory_order_release);
    }
    bool isCanceled() const { return m_reason.load(std::memory_order_acquire) != Reason::None; }
    Reason reason() const { return m_reason.load(std::memory_order_acquire); }
    QString message() const
    {
        QMutexLocker lock(&m_mutex);
        return m_message;
    }
    // What a tool that stopped returns: Canceled with the reason.
    Error error() const { return Error{ErrorCode::Canceled, message(), {}}; }

private:
    mutable QMutex m_mutex;
    std::atomic<Reason> m_reason{Reason::None};
    QString m_message;
};

} // namespace ordinaut
