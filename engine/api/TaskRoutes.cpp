// /api/v1/tasks routes: thin adapters from HTTP to TaskService and RunService.
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "schedule/ScheduleText.h"

#include "service/Services.h"
#include <QTimeZone>

namespace ordinaut {

namespace {

// A task as the API shows it: its fields plus a human description of its schedule.
Json taskJson(const Task &task)
{
    Json node = task.toJson();
    node["schedule_description"] = ScheduleText::describe(task.schedule);
    return node;
}

HttpResponse taskResponse(const Result<Task> &task, const HttpRequest &request, int status = 200)
{
    if (!task)
        return HttpResponse::problem(task.error(), request.path);
    return HttpResponse::json(status, taskJson(*task));
}

} // namespace

void addTaskRoutes(Router &router, Services &services)
{
    TaskService &tasks = services.tasks;
    router.add("POST", QStringLiteral("/api/v1/tasks"), Access::scope(scopes::kTasksWrite),
               [&tasks](const HttpRequest &request) {
                   Result<Json> body = readJsonBody(request);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<Task> task = tasks.create(*body, request.actor());
                   HttpResponse response = taskResponse(task, request, 201);
                   if (task)
                       response.headers.append(
                           qMakePair(QByteArray("Location"),
                                     QByteArray("/api/v1/tasks/") + task->id.toUtf8()));
                   return response;
               });
    router.add(
        "GET", QStringLiteral("/api/v1/tasks"), Access::scope(scopes::kTasksRead),
        [&tasks](const HttpRequest &request) {
            std::optional<TaskStatus> status;
            if (request.query.hasQueryItem(QStringLiteral("status"))) {
                status
                    = taskStatusFromString(request.query.queryItemValue(QStringLiteral("status")));
                if (!status)
                    return HttpResponse::problem(
                        Error::invalid(QStringLiteral("status"),
                                       QStringLiteral("must be active or paused")),
                        request.path);
            }
            Result<int> limit
                = queryInt(request, QStringLiteral("limit"), 50, 1, TaskService::kMaxPageSize);
            Result<int> offset = queryInt(request, QStringLiteral("offset"), 0, 0,
                                          std::numeric_limits<int>::max());
            if (!limit || !offset)
                return HttpResponse::problem(!limit ? limit.error() : offset.error(), request.path);
            Result<TaskPage> page = tasks.list(status, *limit, *offset);
            if (!page)
                return HttpResponse::problem(page.error(), request.path);
            Json items = Json::array();
            for (const Task &task : page->items)
                items.push_back(taskJson(task));
            return HttpResponse::json(200, pageJson(items, page->total, *limit, *offset));
        });
    router.add("GET", QStringLiteral("/api/v1/tasks/{id}"), Access::scope(scopes::kTasksRead),
               [&tasks](const HttpRequest &request) {
                   return taskResponse(tasks.get(request.pathParams.value(0)), request);
               });
    router.add("PUT", QStringLiteral("/api/v1/tasks/{id}"), Access::scope(scopes::kTasksWrite),
               [&tasks](const HttpRequest &request) {
                   Result<Json> body = readJsonBody(request);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   return taskResponse(
                       tasks.update(request.pathParams.value(0), *body, request.actor()), request);
               });
    router.add("DELETE", QStringLiteral("/api/v1/tasks/{id}"), Access::scope(scopes::kTasksWrite),
               [&tasks](const HttpRequest &request) {
                   if (Status removed = tasks.remove(request.pathParams.value(0), request.actor());
                       !removed)
                       return HttpResponse::problem(removed.error(), request.path);
                   HttpResponse response;
                   response.status = 204;
                   return response;
               });
    router.add("POST", QStringLiteral("/api/v1/tasks/{id}/pause"),
               Access::scope(scopes::kTasksWrite), [&tasks](const HttpRequest &request) {
                   return taskResponse(tasks.pause(request.pathParams.value(0), request.actor()),
                                       request);
               });
    router.add("POST", QStringLiteral("/api/v1/tasks/{id}/resume"),
               Access::scope(scopes::kTasksWrite), [&tasks](const HttpRequest &request) {
                   return taskResponse(tasks.resume(request.pathParams.value(0), request.actor()),
                                       request);
               });
    ScheduleService &schedules = services.schedules;
    router.add(
        "GET", QStringLiteral("/api/v1/tasks/{id}/occurrences"), Access::scope(scopes::kTasksRead),
        [&tasks, &schedules](const HttpRequest &request) {
            Result<Task> task = tasks.get(request.pathParams.value(0));
            if (!task)
                return HttpResponse::problem(task.error(), request.path);
            std::optional<QDateTime> window[2];
            const char *names[2] = {"from", "to"};
            for (int i = 0; i < 2; ++i) {
                const QString name = QString::fromLatin1(names[i]);
                window[i] = parseInstant(request.query.queryItemValue(name));
                if (!window[i])
                    return HttpResponse::problem(
                        Error::invalid(name, QStringLiteral("must be an ISO 8601 instant with an "
                                                            "offset, e.g. 2026-03-01T00:00:00Z")),
                        request.path);
            }
            Result<OccurrenceList> list
                = schedules.occurrences(task->schedule, *window[0], *window[1]);
            if (!list)
                return HttpResponse::problem(list.error(), request.path);
            const bool truncated
                = static_cast<int>(list->occurrences.size()) == ScheduleService::kMaxOccurrences;
            return HttpResponse::json(
                200,
                Json{{"task_id", task->id},
                     {"timezone", task->schedule.timezone},
                     {"occurrences", occurrencesJson(list->occurrences, task->schedule.timezone)},
                     {"skipped", skippedJson(list->skipped, task->schedule)},
                     {"truncated", truncated}});
        });
    RunService &runs = services.runs;
    router.add("POST", QStringLiteral("/api/v1/tasks/{id}/run-now"),
               Access::scope(scopes::kRunsWrite), [&runs](const HttpRequest &request) {
                   bool deduplicated = false;
                   Result<Run> run = runs.runNow(request.pathParams.value(0), RunTrigger::Api,
                                                 request.actor(), &deduplicated);
                   if (!run)
                       return HttpResponse::problem(run.error(), request.path);
                   // A run queued earlier under the task's dedupe_key answers the request: it
                   // exists already (200), nothing new was accepted (202).
                   Json body = run->toJson(false);
                   body["deduplicated"] = deduplicated;
                   HttpResponse response = HttpResponse::json(deduplicated ? 200 : 202, body);
                   response.headers.append(qMakePair(
                       QByteArray("Location"), QByteArray("/api/v1/runs/") + run->id.toUtf8()));
                   return response;
               });
}

} // namespace ordinaut
