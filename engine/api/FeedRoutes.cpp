// /api/v1/calendar.ics: the agents' upcoming runs as an iCalendar feed. Calendar apps cannot
// send headers, so this read-only route also takes the access token as ?token=.
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "service/Services.h"

namespace ordinaut {

void addFeedRoutes(Router &router, Services &services)
{
    FeedService &feeds = services.feeds;
    router.add(
        "GET", QStringLiteral("/api/v1/calendar.ics"),
        Access::scope(scopes::kTasksRead).allowQueryToken(), [&feeds](const HttpRequest &request) {
            FeedQuery query;
            Result<int> days = queryInt(request, QStringLiteral("days"), FeedService::kDefaultDays,
                                        1, FeedService::kMaxDays);
            if (!days)
                return HttpResponse::problem(days.error(), request.path);
            query.days = *days;
            Result<int> limit = queryInt(request, QStringLiteral("limit"),
                                         FeedService::kDefaultLimit, 1, FeedService::kMaxLimit);
            if (!limit)
                return HttpResponse::problem(limit.error(), request.path);
            query.limit = *limit;
            query.taskIds
                = request.query.allQueryItemValues(QStringLiteral("task_id"), QUrl::FullyDecoded);
            // Events link to their task at the address the calendar app used (HttpApi has
            // checked Host against the names this API answers to).
            const QByteArray host = request.headers.value("host");
            if (!host.isEmpty())
                query.taskUrlBase = QStringLiteral("http://") + QString::fromLatin1(host);
            Result<Feed> feed = feeds.calendar(query);
            if (!feed)
                return HttpResponse::problem(feed.error(), request.path);
            HttpResponse response;
            response.contentType = "text/calendar; charset=utf-8";
            response.body = std::move(feed->ics);
            response.headers.append(
                qMakePair(QByteArray("X-Ordinaut-Events"), QByteArray::number(feed->events)));
            response.headers.append(
                qMakePair(QByteArray("X-Ordinaut-Truncated"),
                          feed->truncated ? QByteArray("true") : QByteArray("false")));
            // The feed is the caller's and its URL may hold a token: no cache is to keep it.
            response.headers.append(
                qMakePair(QByteArray("Cache-Control"), QByteArray("private, no-store")));
            return response;
        });
}

} // namespace ordinaut
