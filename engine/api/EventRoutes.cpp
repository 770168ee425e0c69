// /api/v1/events routes: posting events (which start the tasks listening for them), reading the
// event log a page at a time, and following it live as Server-Sent Events.
#include "Routes.h"

#include "EventStream.h"
#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "service/Services.h"

#include <atomic>

namespace ordinaut {

namespace {

// More streams than this at once are refused (503): each holds a connection and a thread's
// attention for as long as its client stays.
constexpr int kMaxEventStreams = 64;

// ?name=<event id>: nullopt when absent; InvalidArgument naming it unless a non-negative integer.
Result<std::optional<qint64>> queryId(const QString &name, const QString &text, bool present)
{
    if (!present)
        return std::optional<qint64>();
    bool ok = false;
    const qint64 id = text.trimmed().toLongLong(&ok);
    if (!ok || id < 0)
        return Error::invalid(name, QStringLiteral("must be an event id (an integer, 0 or more)"));
    return std::optional<qint64>(id);
}

} // namespace

void addEventRoutes(Router &router, Services &services)
{
    EventService &events = services.events;
    // 202: the event is stored and the runs it started are queued (they run later).
    router.add("POST", QStringLiteral("/api/v1/events"), Access::scope(scopes::kEventsWrite),
               [&events](const HttpRequest &request) {
                   Result<Json> body = readJsonBody(request);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<PostedEvent> posted = events.post(*body, request.actor());
                   if (!posted)
                       return HttpResponse::problem(posted.error(), request.path);
                   Json runs = Json::array();
                   for (const Run &run : posted->runs)
                       runs.push_back(Json{{"id", run.id}, {"task_id", run.taskId}});
                   Json overBudget = Json::array();
                   for (const auto &[taskId, reason] : posted->overBudget)
                       overBudget.push_back(Json{{"task_id", taskId}, {"reason", reason}});
                   return HttpResponse::json(posted->deduplicated ? 200 : 202,
                                             Json{{"event", posted->event.toJson()},
                                                  {"runs", std::move(runs)},
                                                  {"over_budget", std::move(overBudget)},
                                                  {"deduplicated", posted->deduplicated}});
               });
    router.add("GET", QStringLiteral("/api/v1/events"), Access::scope(scopes::kRunsRead),
               [&events](const HttpRequest &request) {
                   Result<std::optional<qint64>> after
                       = queryId(QStringLiteral("after_id"),
                                 request.query.queryItemValue(QStringLiteral("after_id")),
                                 request.query.hasQueryItem(QStringLiteral("after_id")));
                   if (!after)
                       return HttpResponse::problem(after.error(), request.path);
                   Result<int> limit = queryInt(request, QStringLiteral("limit"), 100, 1,
                                                EventService::kMaxPageSize);
                   if (!limit)
                       return HttpResponse::problem(limit.error(), request.path);
                   Result<EventPage> page
                       = events.list(after->value_or(0),
                                     request.query.queryItemValue(QStringLiteral("topic")), *limit);
                   if (!page)
                       return HttpResponse::problem(page.error(), request.path);
                   Json items = Json::array();
                   for (const Event &event : page->items)
                       items.push_back(event.toJson());
                   const bool full = static_cast<int>(page->items.size()) == *limit;
                   return HttpResponse::json(200, Json{{"items", std::move(items)},
                                                       {"next_after_id", page->nextAfterId},
                                                       {"has_more", full}});
               });
    auto open = std::make_shared<std::atomic<int>>(0);
    router.add(
        "GET", QStringLiteral("/api/v1/events/stream"), Access::scope(scopes::kRunsRead),
        [&events, open](const HttpRequest &request) {
            // Last-Event-ID (a reconnecting EventSource sends it) wins over ?after_id=.
            const QByteArray lastEventId = request.headers.value("last-event-id");
            Result<std::optional<qint64>> after
                = !lastEventId.isEmpty()
                      ? queryId(QStringLiteral("Last-Event-ID"), QString::fromLatin1(lastEventId),
                                true)
                      : queryId(QStringLiteral("after_id"),
                                request.query.queryItemValue(QStringLiteral("after_id")),
                                request.query.hasQueryItem(QStringLiteral("after_id")));
            if (!after)
                return HttpResponse::problem(after.error(), request.path);
            const QString pattern = request.query.queryItemValue(QStringLiteral("topic"));
            if (!pattern.isEmpty()) {
                if (Status checked = EventService::checkPattern(QStringLiteral("topic"), pattern);
                    !checked)
                    return HttpResponse::problem(checked.error(), request.path);
            }
            if (open->fetch_add(1) >= kMaxEventStreams) {
                open->fetch_sub(1);
                HttpResponse busy = HttpResponse::problem(
                    503,
                    QStringLiteral("%1 event streams are open, the most this server keeps; try "
                                   "again later")
                        .arg(kMaxEventStreams),
                    request.path);
                busy.headers.append(qMakePair(QByteArray("Retry-After"), QByteArray("5")));
                return busy;
            }
            HttpResponse response;
            response.contentType = "text/event-stream";
            response.eventStream = std::make_shared<EventStreamRequest>(EventStreamRequest{
                &events, *after, pattern,
                std::shared_ptr<void>(nullptr, [open](void *) { open->fetch_sub(1); })});
            return response;
        });
}

} // namespace ordinaut
