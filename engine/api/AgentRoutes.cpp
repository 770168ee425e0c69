// /api/v1/agents: the identities that call the API (agents:admin). A new agent's secret, and a
// rotated one, is shown in the answer once; only its hash is kept.
#include "Routes.h"

#include "Authenticator.h"
#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "service/Ownership.h"
#include "service/Services.h"
#include "service/TaskInput.h"

namespace ordinaut {

// A page of tasks in the task list's envelope (TaskRoutes.cpp).
Json taskPageJson(const TaskPage &page, const TaskFilter &filter);

namespace {

const QStringList kAgentFields
    = {QStringLiteral("name"), QStringLiteral("scopes"), QStringLiteral("disabled"),
       QStringLiteral("tasks_start_proposed")};

Result<QStringList> scopeList(const Json &value)
{
    if (!value.is_array())
        return Error::invalid(QStringLiteral("scopes"),
                              QStringLiteral("must be an array of scopes"));
    QStringList list;
    for (size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string())
            return Error::invalid(QStringLiteral("scopes[%1]").arg(i),
                                  QStringLiteral("must be a string"));
        list << qs(value[i].get<std::string>());
    }
    return list;
}

Result<AgentService::Patch> patchFrom(const Json &body)
{
    AgentService::Patch patch;
    if (const auto name = body.find("name"); name != body.end()) {
        if (!name->is_string())
            return Error::invalid(QStringLiteral("name"), QStringLiteral("must be a string"));
        patch.name = qs(name->get<std::string>());
    }
    if (const auto scopes = body.find("scopes"); scopes != body.end()) {
        Result<QStringList> list = scopeList(*scopes);
        if (!list)
            return list.error();
        patch.scopes = *list;
    }
    if (const auto disabled = body.find("disabled"); disabled != body.end()) {
        if (!disabled->is_boolean())
            return Error::invalid(QStringLiteral("disabled"),
                                  QStringLiteral("must be true or false"));
        patch.disabled = disabled->get<bool>();
    }
    if (const auto proposed = body.find("tasks_start_proposed"); proposed != body.end()) {
        if (!proposed->is_boolean())
            return Error::invalid(QStringLiteral("tasks_start_proposed"),
                                  QStringLiteral("must be true or false"));
        patch.newTasks = proposed->get<bool>() ? NewTasks::Proposed : NewTasks::Active;
    }
    return patch;
}

} // namespace

void addAgentRoutes(Router &router, Services &services, Authenticator &auth)
{
    AgentService &agents = services.agents;
    const Access admin = Access::scope(scopes::kAgentsAdmin);
    router.add("GET", QStringLiteral("/api/v1/agents"), admin,
               [&agents](const HttpRequest &request) {
                   Result<std::vector<Agent>> list = agents.list();
                   if (!list)
                       return HttpResponse::problem(list.error(), request.path);
                   Json items = Json::array();
                   for (const Agent &agent : *list)
                       items.push_back(agent.toJson());
                   return HttpResponse::json(200, Json{{"items", items}});
               });
    router.add("POST", QStringLiteral("/api/v1/agents"), admin,
               [&agents, &auth](const HttpRequest &request) {
                   Result<Json> body
                       = optionalObject(request, {QStringLiteral("name"), QStringLiteral("scopes"),
                                                  QStringLiteral("tasks_start_proposed")});
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   if (!body->contains("name") || !body->contains("scopes"))
                       return HttpResponse::problem(Error::invalid(body->contains("name")
                                                                       ? QStringLiteral("scopes")
                                                                       : QStringLiteral("name"),
                                                                   QStringLiteral("is required")),
                                                    request.path);
                   Result<AgentService::Patch> fields = patchFrom(*body);
                   if (!fields)
                       return HttpResponse::problem(fields.error(), request.path);
                   Result<Agent> agent
                       = agents.create(*fields->name, *fields->scopes, request.actor(),
                                       fields->newTasks.value_or(NewTasks::Active));
                   if (!agent)
                       return HttpResponse::problem(agent.error(), request.path);
                   Result<QString> secret = auth.newSecret(agent->id, request.actor());
                   if (!secret)
                       return HttpResponse::problem(secret.error(), request.path);
                   Json answer = agent->toJson();
                   answer["secret"] = secret->toStdString();
                   return HttpResponse::json(201, answer);
               });
    router.add("GET", QStringLiteral("/api/v1/agents/{id}"), admin,
               [&agents](const HttpRequest &request) {
                   Result<Agent> agent = agents.get(request.pathParams.value(0));
                   if (!agent)
                       return HttpResponse::problem(agent.error(), request.path);
                   return HttpResponse::json(200, agent->toJson());
               });
    router.add("PATCH", QStringLiteral("/api/v1/agents/{id}"), admin,
               [&agents](const HttpRequest &request) {
                   Result<Json> body = optionalObject(request, kAgentFields);
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<AgentService::Patch> patch = patchFrom(*body);
                   if (!patch)
                       return HttpResponse::problem(patch.error(), request.path);
                   Result<Agent> agent
                       = agents.update(request.pathParams.value(0), *patch, request.actor());
                   if (!agent)
                       return HttpResponse::problem(agent.error(), request.path);
                   return HttpResponse::json(200, agent->toJson());
               });
    router.add("POST", QStringLiteral("/api/v1/agents/{id}/secret"), admin,
               [&agents, &auth](const HttpRequest &request) {
                   if (Result<Json> body = optionalObject(request, {}); !body)
                       return HttpResponse::problem(body.error(), request.path);
                   const QString id = request.pathParams.value(0);
                   if (Result<Agent> agent = agents.get(id); !agent)
                       return HttpResponse::problem(agent.error(), request.path);
                   Result<QString> secret = auth.newSecret(id, request.actor());
                   if (!secret)
                       return HttpResponse::problem(secret.error(), request.path);
                   return HttpResponse::json(200, Json{{"agent_id", id.toStdString()},
                                                       {"secret", secret->toStdString()}});
               });
    router.add("GET", QStringLiteral("/api/v1/agents/{id}/activity"), admin,
               [&agents](const HttpRequest &request) {
                   Result<int> limit = queryInt(request, QStringLiteral("limit"), 50, 1, 500);
                   if (!limit)
                       return HttpResponse::problem(limit.error(), request.path);
                   Result<std::vector<AuditEntry>> entries
                       = agents.activity(request.pathParams.value(0), *limit);
                   if (!entries)
                       return HttpResponse::problem(entries.error(), request.path);
                   Json items = Json::array();
                   for (const AuditEntry &entry : *entries)
                       items.push_back(entry.toJson());
                   return HttpResponse::json(200, Json{{"items", items}});
               });
    // The tasks the agent created, in the task list's pages and filters (created_by is the
    // agent's).
    TaskService &tasks = services.tasks;
    router.add("GET", QStringLiteral("/api/v1/agents/{id}/tasks"), admin,
               [&agents, &tasks](const HttpRequest &request) {
                   Result<Agent> agent = agents.get(request.pathParams.value(0));
                   if (!agent)
                       return HttpResponse::problem(agent.error(), request.path);
                   if (request.query.hasQueryItem(QStringLiteral("created_by")))
                       return HttpResponse::problem(
                           Error::invalid(QStringLiteral("created_by"),
                                          QStringLiteral("is the agent in the path here")),
                           request.path);
                   Result<TaskFilter> filter
                       = TaskInput::listFilter(request.query, TaskService::kMaxPageSize);
                   if (!filter)
                       return HttpResponse::problem(filter.error(), request.path);
                   filter->createdBy = ownership::actorOf(*agent);
                   Result<TaskPage> page = tasks.list(*filter);
                   if (!page)
                       return HttpResponse::problem(page.error(), request.path);
                   return HttpResponse::json(200, taskPageJson(*page, *filter));
               });
}

} // namespace ordinaut
