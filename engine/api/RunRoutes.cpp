// /api/v1/runs routes: run history with filters, statistics, one run with its steps, and what
// may be done to a run (cancel, retry, approve or reject the approval it waits for).
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "service/Ownership.h"
#include "service/Services.h"

namespace ordinaut {

namespace {

const QString kStatusNames = QStringLiteral("queued, running, succeeded, failed, canceled, "
                                            "waiting, waiting_approval, abandoned, timed_out or "
                                            "skipped");

// The list's filters from the query: status (repeatable or comma-separated), trigger and the
// two time windows. InvalidArgument naming the parameter.
Result<RunCriteria> criteriaOf(const HttpRequest &request)
{
    RunCriteria criteria;
    for (const QString &value : request.query.allQueryItemValues(QStringLiteral("status"))) {
        for (const QString &name : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const std::optional<RunStatus> status = runStatusFromString(name.trimmed());
            if (!status)
                return Error::invalid(QStringLiteral("status"),
                                      QStringLiteral("'%1' is not a run status (%2)")
                                          .arg(name.trimmed(), kStatusNames));
            criteria.statuses.push_back(*status);
        }
    }
    if (request.query.hasQueryItem(QStringLiteral("status")) && criteria.statuses.empty())
        return Error::invalid(QStringLiteral("status"),
                              QStringLiteral("must name a status (%1)").arg(kStatusNames));
    if (request.query.hasQueryItem(QStringLiteral("trigger"))) {
        criteria.trigger
            = runTriggerFromString(request.query.queryItemValue(QStringLiteral("trigger")));
        if (!criteria.trigger)
            return Error::invalid(QStringLiteral("trigger"),
                                  QStringLiteral("must be schedule, manual, api, retry or event"));
    }
    const std::pair<const char *, QDateTime *> instants[] = {
        {"scheduled_after", &criteria.scheduledAfter},
        {"scheduled_before", &criteria.scheduledBefore},
        {"started_after", &criteria.startedAfter},
        {"started_before", &criteria.startedBefore},
    };
    for (const auto &[name, instant] : instants) {
        const QString key = QLatin1String(name);
        if (!request.query.hasQueryItem(key))
            continue;
        const std::optional<QDateTime> parsed
            = parseInstant(request.query.queryItemValue(key, QUrl::FullyDecoded));
        if (!parsed)
            return Error::invalid(key, QStringLiteral("must be an ISO 8601 instant with an offset, "
                                                      "e.g. 2026-03-01T00:00:00Z"));
        *instant = *parsed;
    }
    return criteria;
}

Json statsJson(const RunStatsGroup &group)
{
    Json counts = Json::object();
    for (int i = 0; i <= static_cast<int>(RunStatus::Skipped); ++i) {
        const auto status = static_cast<RunStatus>(i);
        const auto found = group.counts.find(status);
        counts[toString(status).toStdString()] = found == group.counts.end() ? 0 : found->second;
    }
    auto seconds = [](const std::optional<qint64> &ms) {
        return ms ? Json(double(*ms) / 1000.0) : Json(nullptr);
    };
    return Json{{"total", group.total},
                {"counts", std::move(counts)},
                {"success_rate", group.withOutcome > 0
                                     ? Json(double(group.succeeded) / group.withOutcome)
                                     : Json(nullptr)},
                {"p50_seconds", seconds(group.p50Ms)},
                {"p95_seconds", seconds(group.p95Ms)}};
}

// The optional body of approve/reject: {"comment": "…"}.
Result<QString> commentOf(const HttpRequest &request)
{
    Result<Json> body = optionalObject(request, {QStringLiteral("comment")});
    if (!body)
        return body.error();
    const Json comment = body->value("comment", Json());
    if (!comment.is_null() && !comment.is_string())
        return Error::invalid(QStringLiteral("comment"), QStringLiteral("must be a string"));
    return comment.is_string() ? comment.get<QString>() : QString();
}

} // namespace

void addRunRoutes(Router &router, Services &services)
{
    RunService &runs = services.runs;
    TaskService &tasks = services.tasks;
    ApprovalService &approvals = services.approvals;
    router.add(
        "GET", QStringLiteral("/api/v1/runs"), Access::scope(scopes::kRunsRead),
        [&runs](const HttpRequest &request) {
            RunFilter filter;
            filter.taskId = request.query.queryItemValue(QStringLiteral("task_id"));
            Result<RunCriteria> criteria = criteriaOf(request);
            if (!criteria)
                return HttpResponse::problem(criteria.error(), request.path);
            Result<int> limit
                = queryInt(request, QStringLiteral("limit"), 50, 1, RunService::kMaxPageSize);
            Result<int> offset = queryInt(request, QStringLiteral("offset"), 0, 0,
                                          std::numeric_limits<int>::max());
            if (!limit || !offset)
                return HttpResponse::problem(!limit ? limit.error() : offset.error(), request.path);
            filter.limit = *limit;
            filter.offset = *offset;
            Result<RunPage> page = runs.list(filter, *criteria);
            if (!page)
                return HttpResponse::problem(page.error(), request.path);
            Json items = Json::array();
            for (const Run &run : page->items)
                items.push_back(run.toJson(false));
            return HttpResponse::json(
                200, pageJson(std::move(items), page->total, filter.limit, filter.offset));
        });
    // Before /runs/{id}, which would take "stats" for an id.
    router.add("GET", QStringLiteral("/api/v1/runs/stats"), Access::scope(scopes::kRunsRead),
               [&runs](const HttpRequest &request) {
                   Result<int> days
                       = queryInt(request, QStringLiteral("days"), 7, 1, RunService::kMaxStatsDays);
                   if (!days)
                       return HttpResponse::problem(days.error(), request.path);
                   QDateTime from;
                   QDateTime to;
                   Result<RunStats> stats = runs.stats(*days, &from, &to);
                   if (!stats)
                       return HttpResponse::problem(stats.error(), request.path);
                   Json perTask = Json::array();
                   for (const RunStatsGroup &group : stats->tasks) {
                       Json node = statsJson(group);
                       node["task_id"] = group.taskId;
                       node["title"] = group.title;
                       perTask.push_back(std::move(node));
                   }
                   return HttpResponse::json(200, Json{{"days", *days},
                                                       {"window_start", instantJson(from)},
                                                       {"window_end", instantJson(to)},
                                                       {"overall", statsJson(stats->overall)},
                                                       {"tasks", std::move(perTask)}});
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
               Access::scope(scopes::kRunsWrite), [&runs, &tasks](const HttpRequest &request) {
                   const QString id = request.pathParams.value(0);
                   if (Status may = ownership::mayChangeRun(request.agent, tasks, runs, id); !may)
                       return HttpResponse::problem(may.error(), request.path);
                   if (Result<Json> body = optionalObject(request, {}); !body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<Run> run = runs.cancel(id, request.actor());
                   if (!run)
                       return HttpResponse::problem(run.error(), request.path);
                   return HttpResponse::json(run->isFinished() ? 200 : 202, run->toJson(false));
               });
    // Body (optional): {"from_step": "<step id>"}. 201 with the new run.
    router.add("POST", QStringLiteral("/api/v1/runs/{id}/retry"), Access::scope(scopes::kRunsWrite),
               [&runs, &tasks](const HttpRequest &request) {
                   const QString id = request.pathParams.value(0);
                   if (Status may = ownership::mayChangeRun(request.agent, tasks, runs, id); !may)
                       return HttpResponse::problem(may.error(), request.path);
                   Result<Json> body = optionalObject(request, {QStringLiteral("from_step")});
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   const Json fromStep = body->value("from_step", Json());
                   if (!fromStep.is_null() && (!fromStep.is_string() || fromStep.empty()))
                       return HttpResponse::problem(
                           Error::invalid(QStringLiteral("from_step"),
                                          QStringLiteral("must be a step id (a string)")),
                           request.path);
                   Result<Run> run
                       = runs.retry(id, fromStep.is_string() ? fromStep.get<QString>() : QString(),
                                    request.actor());
                   if (!run)
                       return HttpResponse::problem(run.error(), request.path);
                   return HttpResponse::json(201, run->toJson(true));
               });
    // The approval the run waits for, decided as /api/v1/approvals/{id}/approve|reject would.
    for (const auto &[verb, decision] : {std::pair{"approve", ApprovalDecision::Approve},
                                         std::pair{"reject", ApprovalDecision::Reject}}) {
        router.add("POST", QStringLiteral("/api/v1/runs/{id}/") + QLatin1String(verb),
                   Access::scope(scopes::kApprovalsWrite),
                   [&runs, &tasks, &approvals, decision = decision](const HttpRequest &request) {
                       const QString id = request.pathParams.value(0);
                       if (Status may = ownership::mayChangeRun(request.agent, tasks, runs, id);
                           !may)
                           return HttpResponse::problem(may.error(), request.path);
                       Result<QString> comment = commentOf(request);
                       if (!comment)
                           return HttpResponse::problem(comment.error(), request.path);
                       Result<Approval> decided
                           = approvals.decideForRun(id, decision, *comment, request.actor());
                       if (!decided)
                           return HttpResponse::problem(decided.error(), request.path);
                       return HttpResponse::json(200, decided->toJson());
                   });
    }
}

} // namespace ordinaut
