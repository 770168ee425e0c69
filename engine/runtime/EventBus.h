// EventBus: announces stored events to the rest of the process as a Qt signal. Storing happens
// in the same transaction as the change it describes (EventLog); announcing happens after the
// commit, so no one hears of a change that was rolled back. Safe to call from any thread.
#pragma once

#include "core/Event.h"
#include "core/Result.h"

#include <QObject>

namespace ordinaut {

class Clock;
class Database;

class EventBus final : public QObject
{
    Q_OBJECT
public:
    EventBus(const Database &database, const Clock &clock, QObject *parent = nullptr);
    Q_DISABLE_COPY_MOVE(EventBus)

    // Builds an event stamped now, ready for EventLog::append inside a transaction.
    Event make(const QString &topic, Json payload, const QString &source) const;
    // Stores (in its own implicit transaction) and announces. For events that change nothing else.
    Result<Event> publish(const QString &topic, Json payload, const QString &source);
    // Announces an event that is already stored.
    void announce(const ordinaut::Event &event);

signals:
    void eventPublished(const ordinaut::Event &event);

private:
    const Database &m_database;
    const Clock &m_clock;
};

} // namespace ordinaut
