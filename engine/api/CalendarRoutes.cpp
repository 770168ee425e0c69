// /api/v1/calendars routes: business calendars imported from .ics files. PUT takes the file as
// text/calendar, or JSON {"ics":"BEGIN:VCALENDAR…"}.
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "service/Services.h"

namespace ordinaut {

namespace {

// The .ics text of a PUT body.
Result<QByteArray> icsBody(const HttpRequest &request)
{
    const QByteArray type = request.headers.value("content-type").toLower();
    if (type.startsWith("text/calendar"))
        return request.body;
    Result<Json> body = readJsonBody(request);
    if (!body) {
        if (body.error().code == ErrorCode::UnsupportedMediaType)
            return Error{ErrorCode::UnsupportedMediaType,
                         QStringLiteral("send the .ics file with 'Content-Type: text/calendar', "
                                        "or JSON {\"ics\": \"BEGIN:VCALENDAR…\"}"),
                         {}};
        return body.error();
    }
    if (!body->is_object() || !(*body)["ics"].is_string())
        return Error::invalid(QStringLiteral("ics"),
                              QStringLiteral("must be the text of an iCalendar (.ics) file"));
    return (*body)["ics"].get<QString>().toUtf8();
}

} // namespace

void addCalendarRoutes(Router &router, Services &services)
{
    CalendarService &calendars = services.calendars;
    router.add("GET", QStringLiteral("/api/v1/calendars"), Access::scope(scopes::kTasksRead),
               [&calendars](const HttpRequest &request) {
                   Result<std::vector<CalendarRecord>> list = calendars.list();
                   if (!list)
                       return HttpResponse::problem(list.error(), request.path);
                   Json items = Json::array();
                   for (const CalendarRecord &record : *list)
                       items.push_back(CalendarService::toJson(record, false));
                   const int total = static_cast<int>(items.size());
                   return HttpResponse::json(200, pageJson(std::move(items), total, total, 0));
               });
    router.add("GET", QStringLiteral("/api/v1/calendars/{name}"), Access::scope(scopes::kTasksRead),
               [&calendars](const HttpRequest &request) {
                   Result<CalendarRecord> record = calendars.get(request.pathParams.value(0));
                   if (!record)
                       return HttpResponse::problem(record.error(), request.path);
                   return HttpResponse::json(200, CalendarService::toJson(*record, true));
               });
    router.add("GET", QStringLiteral("/api/v1/calendars/{name}/ics"),
               Access::scope(scopes::kTasksRead), [&calendars](const HttpRequest &request) {
                   Result<CalendarRecord> record = calendars.get(request.pathParams.value(0));
                   if (!record)
                       return HttpResponse::problem(record.error(), request.path);
                   HttpResponse response;
                   response.contentType = "text/calendar; charset=utf-8";
                   response.body = record->source;
                   return response;
               });
    router.add("PUT", QStringLiteral("/api/v1/calendars/{name}"),
               Access::scope(scopes::kTasksWrite), [&calendars](const HttpRequest &request) {
                   Result<QByteArray> ics = icsBody(request);
                   if (!ics)
                       return HttpResponse::problem(ics.error(), request.path);
                   Result<CalendarImport> imported
                       = calendars.import(request.pathParams.value(0), *ics, request.actor());
                   if (!imported)
                       return HttpResponse::problem(imported.error(), request.path);
                   Json node = CalendarService::toJson(imported->record, false);
                   node["tasks_rescheduled"] = imported->tasksRescheduled;
                   HttpResponse response = HttpResponse::json(imported->created ? 201 : 200, node);
                   if (imported->created)
                       response.headers.append(
                           qMakePair(QByteArray("Location"), QByteArray("/api/v1/calendars/")
                                                                 + imported->record.name.toUtf8()));
                   return response;
               });
    router.add("DELETE", QStringLiteral("/api/v1/calendars/{name}"),
               Access::scope(scopes::kTasksWrite), [&calendars](const HttpRequest &request) {
                   if (Status removed
                       = calendars.remove(request.pathParams.value(0), request.actor());
                       !removed)
                       return HttpResponse::problem(removed.error(), request.path);
                   HttpResponse response;
                   response.status = 204;
                   return response;
               });
}

} // namespace ordinaut
