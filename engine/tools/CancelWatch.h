// CancelWatch: while a tool waits in an event loop (a network reply), polls the call's
// Cancellation every 25 ms and calls `abort` once it is set, so a canceled run stops promptly.
#pragma once

#include "Tool.h"

#include <QTimer>

#include <functional>

namespace ordinaut {

class CancelWatch final
{
public:
    static constexpr int kPollMs = 25;

    CancelWatch(const ToolContext &context, std::function<void()> abort);
    Q_DISABLE_COPY_MOVE(CancelWatch)

    // Whether the call was canceled (and `abort` called).
    bool fired() const { return m_fired; }

private:
    QTimer m_timer;
    bool m_fired = false;
};

} // namespace ordinaut
