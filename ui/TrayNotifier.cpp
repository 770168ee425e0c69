// TrayNotifier: forwards as a signal; the connection to the tray icon is queued.
#include "TrayNotifier.h"

namespace ordinaut {

void TrayNotifier::notify(const QString &title, const QString &body, NotificationUrgency)
{
    emit notificationRequested(title, body);
}

} // namespace ordinaut
