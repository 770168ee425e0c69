// /api/v1/schedules routes: previews of a schedule's next occurrences, nothing saved; and
// /api/v1/settings, the engine settings; /api/v1/secrets, the write-only secrets tools use.
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "service/Services.h"

namespace ordinaut {

void addScheduleRoutes(Router &router, Services &services)
{
    ScheduleService &schedules = services.schedules;
    router.add("POST", QStringLiteral("/api/v1/schedules/preview"),
               Access::scope(scopes::kTasksRead), [&schedules](const HttpRequest &request) {
                   Result<Json> body = readJsonBody(request);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<SchedulePreview> preview = schedules.preview(*body);
                   if (!preview)
                       return HttpResponse::problem(preview.error(), request.path);
                   return HttpResponse::json(200, preview->toJson());
               });
    SettingsService &settings = services.settings;
    router.add("GET", QStringLiteral("/api/v1/settings"), Access::scope(scopes::kAgentsAdmin),
               [&settings](const HttpRequest &request) {
                   Result<Json> values = settings.get();
                   if (!values)
                       return HttpResponse::problem(values.error(), request.path);
                   return HttpResponse::json(200, *values);
               });
    router.add("PATCH", QStringLiteral("/api/v1/settings"), Access::scope(scopes::kAgentsAdmin),
               [&settings](const HttpRequest &request) {
                   Result<Json> body = readJsonBody(request);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<Json> values = settings.update(*body, request.actor());
                   if (!values)
                       return HttpResponse::problem(values.error(), request.path);
                   return HttpResponse::json(200, *values);
               });
    // Secrets are write-only: PUT sets one, GET says which are set, nothing returns a value.
    SecretService &secrets = services.secrets;
    router.add("GET", QStringLiteral("/api/v1/secrets"), Access::scope(scopes::kAgentsAdmin),
               [&secrets](const HttpRequest &request) {
                   Result<Json> status = secrets.status();
                   if (!status)
                       return HttpResponse::problem(status.error(), request.path);
                   return HttpResponse::json(200, *status);
               });
    router.add(
        "PUT", QStringLiteral("/api/v1/secrets/{name}"), Access::scope(scopes::kAgentsAdmin),
        [&secrets](const HttpRequest &request) {
            Result<Json> body = readJsonBody(request);
            if (!body)
                return HttpResponse::problem(body.error(), request.path);
            if (!body->is_object() || !body->contains("value") || !(*body)["value"].is_string()
                || body->size() != 1)
                return HttpResponse::problem(
                    Error::invalid(QStringLiteral("value"),
                                   QStringLiteral("send {\"value\": \"…\"} and nothing else")),
                    request.path);
            Status stored = secrets.set(
                request.pathParams.value(0),
                QByteArray::fromStdString((*body)["value"].get<std::string>()), request.actor());
            if (!stored)
                return HttpResponse::problem(stored.error(), request.path);
            return HttpResponse::json(200,
                                      Json{{"name", request.pathParams.value(0)}, {"set", true}});
        });
}

} // namespace ordinaut
