// /api/v1/runs routes: run history with filters and one run with its steps.
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "service/Services.h"

namespace ordinaut {

void addRunRoutes(Router &router, Services &services)
{
    RunService &runs = services.runs;
    router.add(
        "GET", QStringLiteral("/api/v1/runs"), Access::scope(scopes::kRunsRead),
        [&runs](const HttpRequest &request) {
            RunFilter filter;
            filter.taskId = request.query.queryItemValue(QStringLiteral("task_id"));
            if (request.query.hasQueryItem(QStringLiteral("status"))) {
                filter.status
                    = runStatusFromString(request.query.queryItemValue(QStringLiteral("status")));
                if (!filter.status)
                    return HttpResponse::problem(
                        Error::invalid(QStringLiteral("status"),
                                       QStringLiteral("must be queued, running, succeeded, "
                                                      "failed, canceled, waiting, "
                                                      "waiting_approval, abandoned, timed_out "
                                                      "or skipped")),
                        request.path);
            }
            Result<int> limit
                = queryInt(request, QStringLiteral("limit"), 50, 1, RunService::kMaxPageSize);
            Result<int> offset = queryInt(request, QStringLiteral("offset"), 0, 0,
                                          std::numeric_limits<int>::max());
            if (!limit || !offset)
                return HttpResponse::problem(!limit ? limit.error() : offset.error(), request.path);
            filter.limit = *limit;
            filter.offset = *offset;
            Result<RunPage> page = runs.list(filter);
            if (!page)
                return HttpResponse::problem(page.error(), request.path);
            Json items = Json::array();
            for (const Run &run : page->items)
                items.push_back(run.toJson(false));
            return HttpResponse::json(
                200, pageJson(std::move(items), page->total, filter.limit, filter.offset));
        });
    router.add("GET", QStringLiteral("/api/v1/runs/{id}"), Access::scope(scopes::kRunsRead),
               [&runs](const HttpRequest &request) {
                   Result<Run> run = runs.get(request.pathParams.value(0), true);
                   if (!run)
                       return HttpResponse::problem(run.error(), request.path);
                   return HttpResponse::json(200, run->toJson(true));
               });
    // 202: a running run is being stopped (its status turns `canceled` once its worker has
    // stopped it); 200: it was canceled outright.
    router.add("POST", QStringLiteral("/api/v1/runs/{id}/cancel"),
               Access::scope(scopes::kRunsWrite), [&runs](const HttpRequest &request) {
                   if (Result<Json> body = optionalObject(request, {}); !body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<Run> run = runs.cancel(request.pathParams.value(0), request.actor());
                   if (!run)
                       return HttpResponse::problem(run.error(), request.path);
                   return HttpResponse::json(run->isFinished() ? 200 : 202, run->toJson(false));
               });
    // Body (optional): {"from_step": "<step id>"}. 201 with the new run.
    router.add("POST", QStringLiteral("/api/v1/runs/{id}/retry"), Access::scope(scopes::kRunsWrite),
               [&runs](const HttpRequest &request) {
                   Result<Json> body = optionalObject(request, {QStringLiteral("from_step")});
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   const Json fromStep = body->value("from_step", Json());
                   if (!fromStep.is_null() && (!fromStep.is_string() || fromStep.empty()))
                       return HttpResponse::problem(
                           Error::invalid(QStringLiteral("from_step"),
                                          QStringLiteral("must be a step id (a string)")),
                           request.path);
                   Result<Run> run = runs.retry(
                       request.pathParams.value(0),
                       fromStep.is_string() ? fromStep.get<QString>() : QString(), request.actor());
                   if (!run)
                       return HttpResponse::problem(run.error(), request.path);
                   return HttpResponse::json(201, run->toJson(true));
               });
}

} // namespace ordinaut
