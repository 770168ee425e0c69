// CancelWatch: a polling timer on the tool's thread.
#include "CancelWatch.h"

namespace ordinaut {

CancelWatch::CancelWatch(const ToolContext &context, std::function<void()> abort)
{
    if (!context.cancellation)
        return;
    m_timer.setInterval(kPollMs);
    QObject::connect(&m_timer, &QTimer::timeout, &m_timer,
                     [this, cancellation = context.cancellation, abort = std::move(abort)] {
                         if (m_fired || !cancellation->isCanceled())
                             return;
                         m_fired = true;
                         m_timer.stop();
                         abort();
                     });
    m_timer.start();
}

} // namespace ordinaut
