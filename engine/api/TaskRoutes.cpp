// /api/v1/tasks routes: thin adapters from HTTP to TaskService and RunService. Any holder of
// tasks:read reads every task; a route that changes one first checks that the caller created it
// or holds agents:admin (Ownership).
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "schedule/ScheduleText.h"

#include "service/Ownership.h"
#include "service/Services.h"
#include "service/TaskInput.h"
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

// A route that changes the task named in the path: 403 unless the caller may change it.
Router::Handler owned(TaskService &tasks, Router::Handler handler)
{
    return [&tasks, handler = std::move(handler)](const HttpRequest &request) {
        if (Status allowed
            = ownership::mayChangeTask(request.agent, tasks, request.pathParams.value(0));
            !allowed)
            return HttpResponse::problem(allowed.error(), request.path);
        return handler(request);
    };
}

Json stringArray(const QStringList &list)
{
    Json array = Json::array();
    for (const QString &item : list)
        array.push_back(item);
    return array;
}

} // namespace

// The list envelope for a page of tasks, with the cursor that continues after it (null on the
// last page). Shared with /api/v1/agents/{id}/tasks.
Json taskPageJson(const TaskPage &page, const TaskFilter &filter)
{
    Json items = Json::array();
    for (const Task &task : page.items)
        items.push_back(taskJson(task));
    Json body = pageJson(items, page.total, filter.limit, filter.offset);
    // After a cursor, the page's position in the whole list is not known: has_more says what
    // the query found.
    body["has_more"] = page.more;
    body["next_cursor"] = page.more && !page.items.empty()
                              ? Json(TaskInput::listCursor(page.items.back()))
                              : Json();
    return body;
}

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
    router.add("GET", QStringLiteral("/api/v1/tasks"), Access::scope(scopes::kTasksRead),
               [&tasks](const HttpRequest &request) {
                   Result<TaskFilter> filter
                       = TaskInput::listFilter(request.query, TaskService::kMaxPageSize);
                   if (!filter)
                       return HttpResponse::problem(filter.error(), request.path);
                   Result<TaskPage> page = tasks.list(*filter);
                   if (!page)
                       return HttpResponse::problem(page.error(), request.path);
                   return HttpResponse::json(200, taskPageJson(*page, *filter));
               });
    router.add("GET", QStringLiteral("/api/v1/tasks/{id}"), Access::scope(scopes::kTasksRead),
               [&tasks](const HttpRequest &request) {
                   return taskResponse(tasks.get(request.pathParams.value(0)), request);
               });
    router.add("PUT", QStringLiteral("/api/v1/tasks/{id}"), Access::scope(scopes::kTasksWrite),
               owned(tasks, [&tasks](const HttpRequest &request) {
                   Result<Json> body = readJsonBody(request);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   return taskResponse(
                       tasks.update(request.pathParams.value(0), *body, request.actor()), request);
               }));
    router.add("DELETE", QStringLiteral("/api/v1/tasks/{id}"), Access::scope(scopes::kTasksWrite),
               owned(tasks, [&tasks](const HttpRequest &request) {
                   if (Status removed = tasks.remove(request.pathParams.value(0), request.actor());
                       !removed)
                       return HttpResponse::problem(removed.error(), request.path);
                   HttpResponse response;
                   response.status = 204;
                   return response;
               }));
    router.add(
        "POST", QStringLiteral("/api/v1/tasks/{id}/pause"), Access::scope(scopes::kTasksWrite),
        owned(tasks, [&tasks](const HttpRequest &request) {
            if (Result<Json> body = optionalObject(request, {}); !body)
                return HttpResponse::problem(body.error(), request.path);
            return taskResponse(tasks.pause(request.pathParams.value(0), request.actor()), request);
        }));
    router.add("POST", QStringLiteral("/api/v1/tasks/{id}/resume"),
               Access::scope(scopes::kTasksWrite),
               owned(tasks, [&tasks](const HttpRequest &request) {
                   if (Result<Json> body = optionalObject(request, {}); !body)
                       return HttpResponse::problem(body.error(), request.path);
                   return taskResponse(tasks.resume(request.pathParams.value(0), request.actor()),
                                       request);
               }));
    router.add(
        "POST", QStringLiteral("/api/v1/tasks/{id}/snooze"), Access::scope(scopes::kTasksWrite),
        owned(tasks, [&tasks](const HttpRequest &request) {
            Result<Json> body = optionalObject(request, {QStringLiteral("delay_seconds")});
            if (!body)
                return HttpResponse::problem(body.error(), request.path);
            const Json &delay = body->contains("delay_seconds") ? (*body)["delay_seconds"] : Json();
            if (!delay.is_number_integer() || delay.get<qint64>() < 1
                || delay.get<qint64>() > TaskService::kMaxSnoozeSeconds)
                return HttpResponse::problem(
                    Error::invalid(QStringLiteral("delay_seconds"),
                                   QStringLiteral("is required: an integer from 1 to %1 "
                                                  "(30 days)")
                                       .arg(TaskService::kMaxSnoozeSeconds)),
                    request.path);
            return taskResponse(
                tasks.snooze(request.pathParams.value(0), delay.get<int>(), request.actor()),
                request);
        }));
    router.add("POST", QStringLiteral("/api/v1/tasks/{id}/cancel"),
               Access::scope(scopes::kTasksWrite),
               owned(tasks, [&tasks](const HttpRequest &request) {
                   if (Result<Json> body = optionalObject(request, {}); !body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<TaskService::Cancellation> done
                       = tasks.cancel(request.pathParams.value(0), request.actor());
                   if (!done)
                       return HttpResponse::problem(done.error(), request.path);
                   Json body = taskJson(done->task);
                   body["canceled_runs"] = stringArray(done->canceledRuns);
                   body["stopping_runs"] = stringArray(done->stoppingRuns);
                   return HttpResponse::json(200, body);
               }));
    router.add(
        "POST", QStringLiteral("/api/v1/tasks/{id}/accept"), Access::scope(scopes::kTasksWrite),
        owned(tasks, [&tasks](const HttpRequest &request) {
            if (Result<Json> body = optionalObject(request, {}); !body)
                return HttpResponse::problem(body.error(), request.path);
            // The owner decides: an agent cannot let its own proposal through.
            if (!ownership::isAdmin(request.agent))
                return HttpResponse::problem(
                    Error{ErrorCode::PermissionDenied,
                          QStringLiteral("accepting a proposed task is the owner's decision: it "
                                         "needs the scope %1")
                              .arg(scopes::kAgentsAdmin),
                          {}},
                    request.path);
            return taskResponse(tasks.accept(request.pathParams.value(0), request.actor()),
                                request);
        }));
    router.add(
        "GET", QStringLiteral("/api/v1/tasks/{id}/versions"), Access::scope(scopes::kTasksRead),
        [&tasks](const HttpRequest &request) {
            Result<int> limit
                = queryInt(request, QStringLiteral("limit"), 50, 1, TaskService::kMaxPageSize);
            Result<int> offset = queryInt(request, QStringLiteral("offset"), 0, 0,
                                          std::numeric_limits<int>::max());
            if (!limit || !offset)
                return HttpResponse::problem(!limit ? limit.error() : offset.error(), request.path);
            Result<TaskVersionPage> page
                = tasks.versions(request.pathParams.value(0), *limit, *offset);
            if (!page)
                return HttpResponse::problem(page.error(), request.path);
            Json items = Json::array();
            for (const TaskVersion &version : page->items)
                items.push_back(Json{{"version", version.version},
                                     {"saved_at", instantJson(version.savedAt)},
                                     {"saved_by", version.savedBy},
                                     {"task", version.document}});
            return HttpResponse::json(200, pageJson(items, page->total, *limit, *offset));
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
               Access::scope(scopes::kRunsWrite),
               owned(tasks, [&tasks, &runs](const HttpRequest &request) {
                   if (Result<Json> body = optionalObject(request, {}); !body)
                       return HttpResponse::problem(body.error(), request.path);
                   // A proposed task awaits the owner; an archived one stopped for good.
                   if (Status runnable = tasks.mayRun(request.pathParams.value(0)); !runnable)
                       return HttpResponse::problem(runnable.error(), request.path);
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
               }));
}

} // namespace ordinaut
