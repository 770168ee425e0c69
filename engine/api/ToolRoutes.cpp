// /api/v1/tools: the tool catalog with input and output schemas; /api/v1/pipelines/check: every
// problem PipelineChecker finds in a pipeline document, for editors that underline as you type.
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "pipeline/PipelineChecker.h"
#include "runtime/Engine.h"
#include "tools/ToolRegistry.h"

namespace ordinaut {

void addToolRoutes(Router &router, Engine &engine)
{
    const ToolRegistry &tools = engine.tools();
    router.add("GET", QStringLiteral("/api/v1/tools"), Access::scope(scopes::kTasksRead),
               [&tools](const HttpRequest &) {
                   return HttpResponse::json(200, Json{{"items", tools.catalog()}});
               });
    router.add("GET", QStringLiteral("/api/v1/tools/{name}"), Access::scope(scopes::kTasksRead),
               [&tools](const HttpRequest &request) {
                   const QString name = request.pathParams.value(0);
                   for (const Json &tool : tools.catalog())
                       if (tool["name"] == name.toStdString())
                           return HttpResponse::json(200, tool);
                   return HttpResponse::problem(
                       Error::notFound(QStringLiteral("there is no tool '%1' (available: %2)")
                                           .arg(name, tools.names().join(QStringLiteral(", ")))),
                       request.path);
               });
    router.add("POST", QStringLiteral("/api/v1/pipelines/check"), Access::scope(scopes::kTasksRead),
               [&tools](const HttpRequest &request) {
                   Result<Json> body = readJsonBody(request);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   // The document is a task's payload: {"params": …, "pipeline": […]}.
                   Result<Pipeline> pipeline = Pipeline::fromJson(*body, QStringLiteral("payload"));
                   if (!pipeline)
                       return HttpResponse::problem(pipeline.error(), request.path);
                   Json diagnostics = Json::array();
                   for (const Diagnostic &d :
                        PipelineChecker(tools).diagnose(*pipeline, QStringLiteral("payload")))
                       diagnostics.push_back(Json{{"field", d.field}, {"message", d.message}});
                   return HttpResponse::json(200, Json{{"valid", diagnostics.empty()},
                                                       {"diagnostics", std::move(diagnostics)}});
               });
}

} // namespace ordinaut
