// SignalWatcher: turns SIGINT/SIGTERM into a Qt signal (self-pipe), so Ctrl+C shuts the server
// down cleanly instead of killing it mid-write.
#pragma once

#include <QObject>

class QSocketNotifier;

namespace ordinaut {

class SignalWatcher final : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

signals:
    void terminationRequested();

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace ordinaut
