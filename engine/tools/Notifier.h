// Notifier: how the engine tells the person at the machine something (notify.desktop). The app
// shows a tray notification; the server writes a log line. Lives with the tools because the
// tools layer calls it and sits below the runtime.
#pragma once

#include <QString>

namespace ordinaut {

enum class NotificationUrgency { Low, Normal, Critical };

class Notifier
{
public:
    virtual ~Notifier() = default;
    // Called from worker threads; implementations hand over to their own thread.
    virtual void notify(const QString &title, const QString &body, NotificationUrgency urgency) = 0;
    // "the tray", "the log", … for the tool's output.
    virtual QString channel() const = 0;
};

// Writes each notification as one log line (the server's Notifier).
class LogNotifier final : public Notifier
{
public:
    void notify(const QString &title, const QString &body, NotificationUrgency urgency) override;
    QString channel() const override { return QStringLiteral("log"); }
};

} // namespace ordinaut
