// EventService: validation, fan-out to listening tasks, audit and announcement.
#include "EventService.h"

#include "RunService.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/EventSubscriptions.h"
#include "store/Sql.h"
#include "store/WriteQueue.h"

#include <QRegularExpression>

namespace ordinaut {

namespace {

bool isTopic(const QString &text)
{
    static const QRegularExpression topic(QStringLiteral("^[A-Za-z0-9._:-]+$"));
    return !text.isEmpty() && text.size() <= EventService::kMaxTopicLength
           && topic.match(text).hasMatch();
}

Status checkTopic(const QString &field, const Json &value)
{
    if (!value.is_string())
        return Error::invalid(field, QStringLiteral("must be a string: the event's topic, e.g. "
                                                    "\"mail.received\""));
    const QString topic = value.get<QString>();
    if (topic.isEmpty() || topic.size() > EventService::kMaxTopicLength)
        return Error::invalid(field, QStringLiteral("must be 1 to %1 characters long (got %2)")
                                         .arg(EventService::kMaxTopicLength)
                                         .arg(topic.size()));
    if (!isTopic(topic))
        return Error::invalid(field, QStringLiteral("may hold only letters A-Z and a-z, digits "
                                                    "and . _ : - (e.g. \"mail.received\")"));
    return {};
}

} // namespace

EventService::EventService(Engine &engine, RunService &runs)
    : m_engine(engine)
    , m_runs(runs)
{}

EventBus &EventService::bus() const
{
    return m_engine.eventBus();
}

bool EventService::topicMatches(const QString &pattern, const QString &topic)
{
    if (pattern.endsWith(QLatin1String(".*")))
        return pattern.size() > 2 && topic.startsWith(QStringView(pattern).chopped(1));
    return pattern == topic;
}

Status EventService::checkPattern(const QString &field, const QString &pattern)
{
    const QString topic = pattern.endsWith(QLatin1String(".*")) ? pattern.chopped(2) : pattern;
    if (!isTopic(topic) || pattern.size() > kMaxTopicLength)
        return Error::invalid(field,
                              QStringLiteral("must be a topic (up to %1 characters of letters, "
                                             "digits and . _ : -) or \"prefix.*\" for every topic "
                                             "under a prefix; leave it out for all topics")
                                  .arg(kMaxTopicLength));
    return {};
}

Result<PostedEvent> EventService::post(const Json &body, const QString &actor)
{
    if (!body.is_object())
        return Error::invalid(QString(), QStringLiteral("the body must be a JSON object with "
                                                        "\"topic\" and optionally \"payload\" "
                                                        "and \"dedupe_key\""));
    for (const auto &[key, value] : body.items()) {
        if (key != "topic" && key != "payload" && key != "dedupe_key")
            return Error::invalid(qs(key), QStringLiteral("is not a field (known: topic, payload, "
                                                          "dedupe_key)"));
    }
    if (!body.contains("topic"))
        return Error::invalid(QStringLiteral("topic"), QStringLiteral("is required"));
    if (Status topic = checkTopic(QStringLiteral("topic"), body["topic"]); !topic)
        return topic.error();
    QString dedupeKey;
    if (body.contains("dedupe_key")) {
        const Json &key = body["dedupe_key"];
        if (!key.is_string() || key.get<QString>().isEmpty()
            || key.get<QString>().size() > kMaxDedupeKeyLength)
            return Error::invalid(
                QStringLiteral("dedupe_key"),
                QStringLiteral("must be a string of 1 to %1 characters").arg(kMaxDedupeKeyLength));
        dedupeKey = key.get<QString>();
    }
    const QString topic = body["topic"].get<QString>();
    const Json payload = body.value("payload", Json::object());

    // Through the writer, like run-now: the event, its runs and the audit row commit together
    // (durably) and are announced after.
    PostedEvent posted;
    std::vector<Event> announce;
    const Database &db = m_engine.database();
    if (Status written = db.writer().write(
            Durability::Durable,
            [&]() -> Status {
                posted = PostedEvent();
                announce.clear();
                sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
                if (!tx.isOpen())
                    return tx.error();
                EventLog log(db);
                AuditLog audit(db);
                const QDateTime now = m_engine.clock().now();
                if (!dedupeKey.isEmpty()) {
                    Result<std::optional<Event>> earlier = log.byDedupeKey(dedupeKey);
                    if (!earlier)
                        return earlier.error();
                    if (*earlier) {
                        posted.event = **earlier;
                        posted.deduplicated = true;
                        if (Status audited = audit.append(
                                AuditEntry{0, actor, QStringLiteral("event.post_deduplicated"),
                                           QString::number(posted.event.id),
                                           Json{{"topic", topic}, {"dedupe_key", dedupeKey}}, now});
                            !audited)
                            return audited;
                        return tx.commit();
                    }
                }
                Result<Event> stored
                    = log.append(m_engine.eventBus().make(topic, payload, actor), dedupeKey);
                if (!stored)
                    return stored.error();
                posted.event = *stored;
                announce.push_back(*stored);
                Result<std::vector<EventSubscription>> listening = EventSubscriptions(db).active();
                if (!listening)
                    return listening.error();
                const Json context{{"event",
                                    {{"id", stored->id},
                                     {"topic", topic},
                                     {"payload", payload},
                                     {"source", actor}}}};
                Json runIds = Json::array();
                for (const EventSubscription &subscription : *listening) {
                    if (!topicMatches(subscription.pattern, topic))
                        continue;
                    bool deduplicated = false;
                    std::optional<Event> queued;
                    Result<Run> run = m_runs.enqueueForEvent(subscription.taskId, context, actor,
                                                             &deduplicated, &queued);
                    if (!run && run.error().code == ErrorCode::RateLimited) {
                        // One agent's used-up budget does not hold back the others' tasks.
                        posted.overBudget.emplace_back(subscription.taskId, run.error().message);
                        continue;
                    }
                    if (!run)
                        return run.error();
                    if (deduplicated)
                        continue; // the task's dedupe_key answered with a run queued earlier
                    runIds.push_back(Json{{"run_id", run->id}, {"task_id", run->taskId}});
                    posted.runs.push_back(*run);
                    if (queued)
                        announce.push_back(*queued);
                }
                Json details{{"topic", topic}, {"runs", runIds}};
                if (!posted.overBudget.empty()) {
                    details["over_budget"] = Json::array();
                    for (const auto &[taskId, reason] : posted.overBudget)
                        details["over_budget"].push_back(taskId);
                }
                if (!dedupeKey.isEmpty())
                    details["dedupe_key"] = dedupeKey;
                if (Status audited
                    = audit.append(AuditEntry{0, actor, QStringLiteral("event.post"),
                                              QString::number(stored->id), details, now});
                    !audited)
                    return audited;
                return tx.commit();
            });
        !written)
        return written.error();
    for (const Event &event : announce)
        m_engine.eventBus().announce(event);
    return posted;
}

Result<EventPage> EventService::list(qint64 afterId, const QString &pattern, int limit) const
{
    if (afterId < 0)
        return Error::invalid(QStringLiteral("after_id"), QStringLiteral("must not be negative"));
    if (limit < 1 || limit > kMaxPageSize)
        return Error::invalid(QStringLiteral("limit"),
                              QStringLiteral("must be an integer from 1 to %1").arg(kMaxPageSize));
    if (!pattern.isEmpty()) {
        if (Status checked = checkPattern(QStringLiteral("topic"), pattern); !checked)
            return checked.error();
    }
    Result<std::vector<Event>> events
        = EventLog(m_engine.database()).since(afterId, limit, pattern);
    if (!events)
        return events.error();
    EventPage page;
    page.nextAfterId = events->empty() ? afterId : events->back().id;
    page.items = std::move(*events);
    return page;
}

Result<qint64> EventService::lastId() const
{
    return EventLog(m_engine.database()).lastId();
}

} // namespace ordinaut
