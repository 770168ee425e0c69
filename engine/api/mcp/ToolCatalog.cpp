// ToolCatalog: tool definitions from the router and the OpenAPI document, calls as REST requests.
#include "ToolCatalog.h"

#include "Protocol.h"

#include "core/Scopes.h"

#include <QRegularExpression>
#include <QSet>

namespace ordinaut::mcp {

namespace {

const QString kSchemaRef = QStringLiteral("#/components/schemas/");
const QString kParameterRef = QStringLiteral("#/components/parameters/");

// Copies `schema` with every reference to a component schema pointing into $defs instead, and
// adds the components it reaches (transitively) to `defs`.
Json inlined(const Json &schema, const Json &components, Json &defs)
{
    if (schema.is_array()) {
        Json out = Json::array();
        for (const Json &item : schema)
            out.push_back(inlined(item, components, defs));
        return out;
    }
    if (!schema.is_object())
        return schema;
    Json out = Json::object();
    for (auto it = schema.begin(); it != schema.end(); ++it) {
        if (it.key() == "$ref" && it->is_string()) {
            const QString ref = qs(it->get<std::string>());
            if (ref.startsWith(kSchemaRef)) {
                const std::string name = ref.mid(kSchemaRef.size()).toStdString();
                out["$ref"] = "#/$defs/" + name;
                if (!defs.contains(name)) {
                    defs[name] = Json::object(); // placeholder: stops cycles
                    const Json &component
                        = components.value("schemas", Json::object()).value(name, Json::object());
                    defs[name] = inlined(component, components, defs);
                }
                continue;
            }
        }
        out[it.key()] = inlined(*it, components, defs);
    }
    return out;
}

// A component schema behind a top-level $ref, or the schema itself.
Json resolved(const Json &schema, const Json &components)
{
    if (schema.is_object() && schema.contains("$ref") && schema["$ref"].is_string()) {
        const QString ref = qs(schema["$ref"].get<std::string>());
        if (ref.startsWith(kSchemaRef))
            return components.value("schemas", Json::object())
                .value(ref.mid(kSchemaRef.size()).toStdString(), Json());
    }
    return schema;
}

Json parameterOf(const Json &parameter, const Json &components)
{
    if (parameter.contains("$ref") && parameter["$ref"].is_string()) {
        const QString ref = qs(parameter["$ref"].get<std::string>());
        if (ref.startsWith(kParameterRef))
            return components.value("parameters", Json::object())
                .value(ref.mid(kParameterRef.size()).toStdString(), Json());
    }
    return parameter;
}

QString argumentList(const Json &properties)
{
    QStringList names;
    for (auto it = properties.begin(); it != properties.end(); ++it)
        names << qs(it.key());
    return names.isEmpty() ? QStringLiteral("no arguments") : names.join(QStringLiteral(", "));
}

} // namespace

const std::vector<ToolSpec> &toolSpecs()
{
    static const std::vector<ToolSpec> specs = [] {
        std::vector<ToolSpec> s;
        const auto add = [&s](const char *name, const char *title, const char *method,
                              const char *pattern, const char *description) -> ToolSpec & {
            ToolSpec spec;
            spec.name = QLatin1String(name);
            spec.title = QLatin1String(title);
            spec.method = method;
            spec.pattern = QLatin1String(pattern);
            spec.description = QString::fromUtf8(description);
            spec.readOnly = spec.method == "GET";
            spec.idempotent = spec.readOnly;
            s.push_back(spec);
            return s.back();
        };
        add("create_task", "Create a task", "POST", "/api/v1/tasks",
            "Create an Ordinaut task: a schedule (schedule_kind rrule | cron | once | event | "
            "manual, with schedule_expr and an IANA timezone) plus a pipeline of tool steps in "
            "payload.pipeline (call list_tools for the step tools and their inputs; later steps "
            "read earlier results as ${steps.<id>.<field>}). Check a pipeline first with "
            "validate_pipeline and a schedule with preview_schedule. Returns the task with its id, "
            "next_run_at and a readable schedule_description. A task an agent creates may start "
            "as 'proposed' until the user accepts it.");
        add("update_task", "Update a task", "PUT", "/api/v1/tasks/{id}",
            "Change a task you created: give its id and only the fields to change (the same "
            "fields as create_task). Pass the version you read to refuse the change if someone "
            "else changed the task meanwhile. Returns the task as it is now.")
            .idempotent
            = true;
        add("list_tasks", "List tasks", "GET", "/api/v1/tasks",
            "List tasks, newest first, with filters: status (active, paused, proposed, "
            "archived), schedule_kind, created_by (an actor such as agent:<id>) and q (words in "
            "the title). Page with limit/offset or cursor (next_cursor of the previous page).");
        add("get_task", "Get a task", "GET", "/api/v1/tasks/{id}",
            "One task by id: its schedule, pipeline, status, version and next run.");
        add("pause_task", "Pause a task", "POST", "/api/v1/tasks/{id}/pause",
            "Pause a task: it stops firing until resume_task. Runs already queued still run.")
            .idempotent
            = true;
        add("resume_task", "Resume a task", "POST", "/api/v1/tasks/{id}/resume",
            "Resume a paused task; its next run is computed from now (missed occurrences are "
            "not made up).")
            .idempotent
            = true;
        ToolSpec &remove = add("delete_task", "Delete a task", "DELETE", "/api/v1/tasks/{id}",
                               "Delete a task you created, with its schedule; its past runs "
                               "stay readable in the run log. This cannot be undone.");
        remove.destructive = true;
        remove.idempotent = true;
        ToolSpec &runNow = add(
            "run_task_now", "Run a task now", "POST", "/api/v1/tasks/{id}/run-now",
            "Queue a run of a task right away, outside its schedule. Returns the run (status "
            "queued) at once; follow it with get_run, or read the resource ordinaut://runs/<id> "
            "and subscribe to it. Where the client supports MCP tasks, the call can return a task "
            "that follows the run.");
        runNow.openWorld = true;
        runNow.taskSupport = true;
        add("list_runs", "List runs", "GET", "/api/v1/runs",
            "List runs, newest first, filtered by task_id, status (queued, running, succeeded, "
            "failed, timed_out, canceled, skipped, abandoned, awaiting_approval), trigger and "
            "time windows. Page with limit/offset.");
        add("get_run", "Get a run", "GET", "/api/v1/runs/{id}",
            "One run by id with every step: status, attempts, inputs, outputs and errors. Use it "
            "to find out why a run failed.");
        add("cancel_run", "Cancel a run", "POST", "/api/v1/runs/{id}/cancel",
            "Cancel a queued or running run of a task you created; a running step is stopped.")
            .destructive
            = true;
        add("retry_run", "Retry a run", "POST", "/api/v1/runs/{id}/retry",
            "Queue a new run of a failed, timed-out or canceled run's task, with the same "
            "inputs. Returns the new run.")
            .openWorld
            = true;
        add("preview_schedule", "Preview a schedule", "POST", "/api/v1/schedules/preview",
            "Check a schedule without creating anything: the next occurrences (as instants and "
            "in the time zone), a readable description, and errors naming the wrong field. Use "
            "it before create_task.")
            .readOnly
            = true;
        add("list_tools", "List pipeline tools", "GET", "/api/v1/tools",
            "The tools a pipeline step can use (http.request, llm.chat, email.send…), each with "
            "its input and output JSON schemas.");
        add("validate_pipeline", "Validate a pipeline", "POST", "/api/v1/pipelines/check",
            "Check a pipeline without running it: every diagnostic with the step and field it "
            "concerns (unknown tools, bad inputs, ${steps…} references to steps that do not come "
            "first).")
            .readOnly
            = true;
        ToolSpec &publish = add(
            "publish_event", "Publish an event", "POST", "/api/v1/events",
            "Publish an event on a topic: every active task whose schedule is that event (or a "
            "matching 'prefix.*') runs with the payload as ${event.payload…}. Returns the event "
            "and the runs it started.");
        publish.openWorld = true;
        add("approve_run", "Approve a run", "POST", "/api/v1/runs/{id}/approve",
            "Approve a run that waits at an approval step, so it goes on. Needs the "
            "approvals:write scope.");
        add("reject_run", "Reject a run", "POST", "/api/v1/runs/{id}/reject",
            "Reject a run that waits at an approval step: the run ends as failed with your "
            "reason. Needs the approvals:write scope.")
            .destructive
            = true;
        return s;
    }();
    return specs;
}

Result<ToolCatalog> ToolCatalog::build(const Router &router, const Json &openApi)
{
    ToolCatalog catalog;
    const std::vector<Router::Entry> routes = router.entries();
    const Json components = openApi.value("components", Json::object());
    const Json paths = openApi.value("paths", Json::object());
    static const QRegularExpression placeholder(QStringLiteral("\\{([a-z_]+)\\}"));
    for (const ToolSpec &spec : toolSpecs()) {
        const auto route = std::find_if(routes.begin(), routes.end(), [&](const auto &entry) {
            return entry.method == spec.method && entry.pattern == spec.pattern;
        });
        const std::string method = spec.method.toLower().toStdString();
        const Json operation
            = paths.value(spec.pattern.toStdString(), Json::object()).value(method, Json());
        if (route == routes.end() || !operation.is_object())
            return Error::invalid(spec.name,
                                  QStringLiteral("the tool's operation %1 %2 is not "
                                                 "in the API")
                                      .arg(QString::fromLatin1(spec.method), spec.pattern));
        Tool tool;
        tool.spec = spec;
        tool.scope = route->access.scopeName();
        for (auto it = placeholder.globalMatch(spec.pattern); it.hasNext();)
            tool.pathArgs << it.next().captured(1);

        Json defs = Json::object();
        Json properties = Json::object();
        Json required = Json::array();
        for (const Json &raw : operation.value("parameters", Json::array())) {
            const Json parameter = parameterOf(raw, components);
            const std::string in = parameter.value("in", "");
            if (in != "path" && in != "query")
                continue;
            const std::string name = parameter.value("name", "");
            Json schema = inlined(parameter.value("schema", Json::object()), components, defs);
            if (parameter.contains("description") && !schema.contains("description"))
                schema["description"] = parameter["description"];
            if (in == "path" && !schema.contains("description"))
                schema["description"]
                    = "the " + spec.pattern.section(QLatin1Char('/'), 3, 3).chopped(1).toStdString()
                      + "'s id";
            properties[name] = schema;
            if (in == "path" || parameter.value("required", false))
                required.push_back(name);
        }
        const Json bodySchema = operation.value("requestBody", Json::object())
                                    .value("content", Json::object())
                                    .value("application/json", Json::object())
                                    .value("schema", Json());
        if (!bodySchema.is_null()) {
            const Json body = resolved(bodySchema, components);
            if (!body.is_object() || !body.contains("properties"))
                return Error::invalid(spec.name,
                                      QStringLiteral("the body of %1 %2 is not an object schema "
                                                     "with properties")
                                          .arg(QString::fromLatin1(spec.method), spec.pattern));
            for (auto it = body["properties"].begin(); it != body["properties"].end(); ++it)
                if (!properties.contains(it.key())) // a path id wins over a read-only body id
                    properties[it.key()] = inlined(*it, components, defs);
            for (const Json &name : body.value("required", Json::array()))
                if (std::find(required.begin(), required.end(), name) == required.end())
                    required.push_back(name);
        }
        Json input{{"type", "object"}, {"properties", properties}};
        if (!required.empty())
            input["required"] = required;
        input["additionalProperties"] = false;
        if (!defs.empty())
            input["$defs"] = defs;
        tool.inputSchema = input;

        // The first success answer with a JSON object body is the output.
        const Json responses = operation.value("responses", Json::object());
        for (auto it = responses.begin(); it != responses.end(); ++it) {
            if (it.key().size() != 3 || it.key()[0] != '2')
                continue;
            const Json schema = it->value("content", Json::object())
                                    .value("application/json", Json::object())
                                    .value("schema", Json());
            if (schema.is_null())
                continue;
            Json outDefs = Json::object();
            Json output = inlined(resolved(schema, components), components, outDefs);
            if (!output.is_object())
                break;
            const bool objectLike = output.value("type", Json()) == "object"
                                    || output.contains("allOf") || output.contains("properties");
            if (!objectLike)
                break;
            output["type"] = "object";
            if (!outDefs.empty())
                output["$defs"] = outDefs;
            tool.outputSchema = output;
            break;
        }
        catalog.m_tools.push_back(std::move(tool));
    }
    return catalog;
}

const ToolCatalog::Tool *ToolCatalog::find(const QString &name) const
{
    for (const Tool &tool : m_tools)
        if (tool.spec.name == name)
            return &tool;
    return nullptr;
}

Json ToolCatalog::list(const QStringList &scopes, const QString &version) const
{
    Json tools = Json::array();
    const bool structured = hasStructuredOutput(version);
    for (const Tool &tool : m_tools) {
        if (!scopes::grants(scopes, tool.scope))
            continue;
        const ToolSpec &spec = tool.spec;
        Json annotations{{"title", spec.title},
                         {"readOnlyHint", spec.readOnly},
                         {"destructiveHint", spec.destructive},
                         {"idempotentHint", spec.idempotent},
                         {"openWorldHint", spec.openWorld}};
        Json entry{{"name", spec.name},
                   {"description", QString(spec.description + QStringLiteral(" Needs the scope ")
                                           + tool.scope + QLatin1Char('.'))},
                   {"inputSchema", tool.inputSchema},
                   {"annotations", annotations}};
        if (structured) {
            entry["title"] = spec.title;
            if (!tool.outputSchema.is_null())
                entry["outputSchema"] = tool.outputSchema;
        }
        if (version == kV20251125 || isStateless(version))
            entry["execution"] = Json{{"taskSupport", spec.taskSupport ? "optional" : "forbidden"}};
        tools.push_back(entry);
    }
    return tools;
}

Result<HttpRequest> ToolCatalog::requestFor(const Tool &tool, const Json &arguments)
{
    if (!arguments.is_object())
        return Error::invalid(
            QStringLiteral("arguments"),
            QStringLiteral("must be an object, not %1").arg(jsonTypeName(arguments)));
    HttpRequest request;
    request.method = tool.spec.method;
    request.path = tool.spec.pattern;
    const Json &properties = tool.inputSchema["properties"];
    for (const QString &name : tool.pathArgs) {
        const Json value = arguments.value(name.toStdString(), Json());
        if (!value.is_string() || value.get<std::string>().empty())
            return Error::invalid(name, value.is_null()
                                            ? QStringLiteral("is required")
                                            : QStringLiteral("must be a non-empty string, not %1")
                                                  .arg(jsonTypeName(value)));
        request.path.replace(QLatin1Char('{') + name + QLatin1Char('}'),
                             QString::fromLatin1(QUrl::toPercentEncoding(qs(value))));
    }
    Json body = Json::object();
    const bool reads = tool.spec.method == "GET" || tool.spec.method == "DELETE";
    for (auto it = arguments.begin(); it != arguments.end(); ++it) {
        const QString name = qs(it.key());
        if (!properties.contains(it.key()))
            return Error::invalid(name, QStringLiteral("is not an argument of %1; it takes: %2")
                                            .arg(tool.spec.name, argumentList(properties)));
        if (tool.pathArgs.contains(name))
            continue;
        if (!reads) {
            body[it.key()] = *it;
            continue;
        }
        const Json &value = *it;
        if (value.is_null())
            continue;
        if (value.is_string())
            request.query.addQueryItem(name, qs(value.get<std::string>()));
        else if (value.is_boolean())
            request.query.addQueryItem(name, value.get<bool>() ? QStringLiteral("true")
                                                               : QStringLiteral("false"));
        else if (value.is_number())
            request.query.addQueryItem(name, QString::fromUtf8(dumpJson(value)));
        else
            return Error::invalid(name,
                                  QStringLiteral("must be a string, number or boolean, not %1")
                                      .arg(jsonTypeName(value)));
    }
    if (!reads) {
        request.body = dumpJson(body);
        request.headers.insert("content-type", "application/json");
    }
    return request;
}

Json ToolCatalog::errorResult(const QString &message)
{
    return Json{{"content", Json::array({Json{{"type", "text"}, {"text", message}}})},
                {"isError", true}};
}

Json ToolCatalog::resultFrom(const Tool &tool, const HttpResponse &answer, const QString &version)
{
    const std::optional<Json> body
        = answer.body.isEmpty() ? std::optional<Json>(Json()) : parseJson(answer.body);
    if (answer.status >= 200 && answer.status < 300) {
        if (!body || body->is_null())
            return Json{
                {"content", Json::array({Json{
                                {"type", "text"},
                                {"text", QString(tool.spec.title + QStringLiteral(": done."))}}})},
                {"isError", false}};
        Json result{{"content", Json::array({Json{{"type", "text"},
                                                  {"text", QString::fromUtf8(dumpJson(*body))}}})},
                    {"isError", false}};
        if (hasStructuredOutput(version) && !tool.outputSchema.is_null() && body->is_object())
            result["structuredContent"] = *body;
        return result;
    }
    // A problem: its detail, and each field it names, so the model can correct the call.
    QString message;
    if (body && body->is_object()) {
        message = qs(body->value("detail", std::string("the call failed")));
        for (const Json &error : body->value("errors", Json::array()))
            if (error.is_object())
                message += QStringLiteral("\n- %1: %2")
                               .arg(qs(error.value("field", std::string())),
                                    qs(error.value("message", std::string())));
    } else {
        message = QStringLiteral("the call failed with HTTP status %1").arg(answer.status);
    }
    if (answer.status == 404 && !tool.pathArgs.isEmpty())
        message += QStringLiteral("\n(ids come from list_tasks and list_runs)");
    return errorResult(message);
}

} // namespace ordinaut::mcp
