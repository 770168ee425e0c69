// EventService: events posted by clients and the event log read back. Posting stores the event
// and, in the same transaction, queues a run of every active task whose schedule listens for its
// topic, with one audit row; the event and the runs are announced once committed.
#pragma once

#include "core/Event.h"
#include "core/Result.h"
#include "core/Run.h"

#include <vector>

namespace ordinaut {

class Engine;
class EventBus;
class RunService;

struct PostedEvent
{
    Event event;
    std::vector<Run> runs;     // queued for it (none when deduplicated)
    bool deduplicated = false; // `event` is the one stored earlier under the same dedupe_key
    // Matching tasks that got no run: their creator's daily run budget is used up (why).
    std::vector<std::pair<QString, QString>> overBudget;
};

struct EventPage
{
    std::vector<Event> items;
    qint64 nextAfterId = 0; // the cursor for the next page: the last id read, or the one given
};

class EventService final
{
public:
    EventService(Engine &engine, RunService &runs);

    static constexpr int kMaxTopicLength = 200;
    static constexpr int kMaxDedupeKeyLength = 200;
    static constexpr int kMaxPageSize = 500;

    // `body`: {"topic": 1..200 characters of A-Z a-z 0-9 . _ : -, "payload": any JSON (default
    // {}), "dedupe_key": 1..200 characters (optional)}. Stores the event (its source is
    // `actor`) and queues a run (trigger `event`, context {"event": {id, topic, payload,
    // source}}) of every active task whose schedule kind is event and whose topic pattern
    // matches (topicMatches). A dedupe_key stored before answers with that event: nothing is
    // stored or queued (`deduplicated`; the audit log says event.post_deduplicated).
    // InvalidArgument naming the field (an unknown one too); nothing is stored then.
    Result<PostedEvent> post(const Json &body, const QString &actor);
    // Events after `afterId`, oldest first, whose topic matches `pattern` (empty: all).
    // InvalidArgument naming `topic`, `limit` or `after_id`.
    Result<EventPage> list(qint64 afterId, const QString &pattern, int limit) const;
    // The newest event's id (0 when there is none): where a live-only stream starts.
    Result<qint64> lastId() const;
    EventBus &bus() const;

    // Whether a task's or a reader's `pattern` matches `topic`: the topic itself, or
    // "prefix.*" for every topic that starts with "prefix." (not "prefix" itself). "*" alone is
    // not a pattern: leave the filter out to see every topic.
    static bool topicMatches(const QString &pattern, const QString &topic);
    // InvalidArgument naming `field` unless `pattern` is a topic or "prefix.*".
    static Status checkPattern(const QString &field, const QString &pattern);

private:
    Engine &m_engine;
    RunService &m_runs;
};

} // namespace ordinaut
