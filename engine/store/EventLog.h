// EventLog: the append-only events table. Ids grow monotonically, so a consumer's cursor is
// the last id it has seen.
#pragma once

#include "core/Event.h"
#include "core/Result.h"

#include <optional>
#include <vector>

namespace ordinaut {

class Database;

class EventLog final
{
public:
    explicit EventLog(const Database &database);

    // Stores the event and returns it with its id. Runs inside the caller's transaction.
    Result<Event> append(Event event);
    // The same, kept under `dedupeKey` (unique: look for it first with byDedupeKey inside the
    // same transaction).
    Result<Event> append(Event event, const QString &dedupeKey);
    // The event stored under `dedupeKey`, if any.
    Result<std::optional<Event>> byDedupeKey(const QString &dedupeKey) const;
    // Events with id > afterId, oldest first; only those whose topic matches `pattern` when it
    // is not empty: the topic itself, or "prefix.*" for every topic under "prefix.".
    Result<std::vector<Event>> since(qint64 afterId, int limit, const QString &pattern = {}) const;
    // The id of the newest event; 0 when there is none.
    Result<qint64> lastId() const;

private:
    const Database &m_database;
};

} // namespace ordinaut
