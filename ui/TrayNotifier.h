// TrayNotifier: notify.desktop in the desktop app — the engine's Notifier as a tray message.
// Workers call notify() on their threads; the signal crosses to the GUI thread queued.
#pragma once

#include "tools/Notifier.h"

#include <QObject>

namespace ordinaut {

class TrayNotifier final : public QObject, public Notifier
{
    Q_OBJECT
public:
    TrayNotifier() = default;

    void notify(const QString &title, const QString &body, NotificationUrgency urgency) override;
    QString channel() const override { return QStringLiteral("tray"); }

signals:
    void notificationRequested(const QString &title, const QString &body);
};

} // namespace ordinaut
