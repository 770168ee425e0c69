// /api/v1/schedules routes: previews of a schedule's next occurrences, nothing saved; and
// /api/v1/settings, the engine settings that govern scheduling.
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "service/Services.h"

namespace ordinaut {

void addScheduleRoutes(Router &router, Services &services)
{
    ScheduleService &schedules = services.schedules;
    router.add("POST", QStringLiteral("/api/v1/schedules/preview"), Access::Authenticated,
               [&schedules](const HttpRequest &request) {
                   Result<Json> body = readJsonBody(request);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<SchedulePreview> preview = schedules.preview(*body);
                   if (!preview)
                       return HttpResponse::problem(preview.error(), request.path);
                   return HttpResponse::json(200, preview->toJson());
               });
    SettingsService &settings = services.settings;
    router.add("GET", QStringLiteral("/api/v1/settings"), Access::Authenticated,
               [&settings](const HttpRequest &request) {
                   Result<Json> values = settings.get();
                   if (!values)
                       return HttpResponse::problem(values.error(), request.path);
                   return HttpResponse::json(200, *values);
               });
    router.add("PATCH", QStringLiteral("/api/v1/settings"), Access::Authenticated,
               [&settings](const HttpRequest &request) {
                   Result<Json> body = readJsonBody(request);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<Json> values = settings.update(*body, request.actor());
                   if (!values)
                       return HttpResponse::problem(values.error(), request.path);
                   return HttpResponse::json(200, *values);
               });
}

} // namespace ordinaut
