// EventSubscriptions: which tasks listen for events — active tasks whose schedule kind is
// `event`, with the topic pattern their schedule holds.
#pragma once

#include "core/Result.h"

#include <QString>

#include <vector>

namespace ordinaut {

class Database;

struct EventSubscription
{
    QString taskId;
    QString pattern; // a topic, or "prefix.*"
};

class EventSubscriptions final
{
public:
    explicit EventSubscriptions(const Database &database);

    // Active event-scheduled tasks, oldest first (paused, proposed and archived ones listen
    // to nothing).
    Result<std::vector<EventSubscription>> active() const;

private:
    const Database &m_database;
};

} // namespace ordinaut
