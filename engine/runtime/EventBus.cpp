// EventBus implementation.
#include "EventBus.h"

#include "core/Clock.h"
#include "store/EventLog.h"

namespace ordinaut {

EventBus::EventBus(const Database &database, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_clock(clock)
{
    qRegisterMetaType<ordinaut::Event>();
}

Event EventBus::make(const QString &topic, Json payload, const QString &source) const
{
    Event event;
    event.topic = topic;
    event.payload = std::move(payload);
    event.source = source;
    event.createdAt = m_clock.now();
    return event;
}

Result<Event> EventBus::publish(const QString &topic, Json payload, const QString &source)
{
    Result<Event> stored = EventLog(m_database).append(make(topic, std::move(payload), source));
    if (stored)
        announce(*stored);
    return stored;
}

void EventBus::announce(const Event &event)
{
    emit eventPublished(event);
}

} // namespace ordinaut
