// EventLog: the append-only events table. Ids grow monotonically, so a consumer's cursor is
// the last id it has seen.
#pragma once

#include "core/Event.h"
#include "core/Result.h"

#include <vector>

namespace ordinaut {

class Database;

class EventLog final
{
public:
    explicit EventLog(const Database &database);

    // Stores the event and returns it with its id. Runs inside the caller's transaction.
    Result<Event> append(Event event);
    // Events with id > afterId, oldest first.
    Result<std::vector<Event>> since(qint64 afterId, int limit) const;

private:
    const Database &m_database;
};

} // namespace ordinaut
