// LogNotifier: a notification as a log line.
#include "Notifier.h"

#include <QDebug>

namespace ordinaut {

void LogNotifier::notify(const QString &title, const QString &body, NotificationUrgency urgency)
{
    const char *level = urgency == NotificationUrgency::Critical ? "critical"
                        : urgency == NotificationUrgency::Low    ? "low"
                                                                 : "normal";
    qInfo().noquote()
        << QStringLiteral("notification (%1): %2 — %3").arg(QLatin1String(level), title, body);
}

} // namespace ordinaut
