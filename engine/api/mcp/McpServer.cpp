// McpServer: lifecycle, tools, resources, prompts, logging and notifications.
#include "McpServer.h"

#include "Protocol.h"

#include "api/OpenApi.h"
#include "api/Router.h"
#include "core/Clock.h"
#include "core/Log.h"
#include "core/Metrics.h"
#include "core/Scopes.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "service/Services.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/WriteQueue.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QTimeZone>
#include <QUuid>

namespace ordinaut::mcp {

namespace {

const QStringList kLogLevels{QStringLiteral("debug"),  QStringLiteral("info"),
                             QStringLiteral("notice"), QStringLiteral("warning"),
                             QStringLiteral("error"),  QStringLiteral("critical"),
                             QStringLiteral("alert"),  QStringLiteral("emergency")};

const QString kTaskUri = QStringLiteral("ordinaut://tasks/");
const QString kRunUri = QStringLiteral("ordinaut://runs/");
const QString kToolsUri = QStringLiteral("ordinaut://tools");

RpcError invalidParams(const QString &message)
{
    return RpcError{rpc::kInvalidParams, message, nullptr, nullptr};
}

Json failure(const Json &id, const RpcError &error)
{
    RpcError copy = error;
    copy.id = id;
    return JsonRpc::error(copy);
}

// A Result's error as a JSON-RPC error: bad arguments are invalid params, a missing thing is
// MCP's resource-not-found, the rest internal.
RpcError rpcErrorOf(const Error &error)
{
    switch (error.code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::MalformedInput:
        return invalidParams(error.describe());
    case ErrorCode::NotFound:
        return RpcError{code::kResourceNotFound, error.describe(), nullptr, nullptr};
    default:
        return RpcError{rpc::kInternalError, error.describe(), nullptr, nullptr};
    }
}

QString stringParam(const Json &params, const char *name)
{
    const Json value = params.is_object() ? params.value(name, Json()) : Json();
    return value.is_string() ? qs(value.get<std::string>()) : QString();
}

// The problem detail of a failed REST answer, as an Error for the caller.
Error errorOf(const HttpResponse &answer)
{
    const Json body = parseJson(answer.body).value_or(Json::object());
    const QString detail = body.is_object() ? qs(body.value("detail", std::string("failed")))
                                            : QStringLiteral("failed");
    switch (answer.status) {
    case 404:
        return Error{ErrorCode::NotFound, detail, {}};
    case 400:
    case 422:
        return Error{ErrorCode::InvalidArgument, detail, {}};
    case 403:
        return Error{ErrorCode::PermissionDenied, detail, {}};
    default:
        return Error{ErrorCode::Internal, detail, {}};
    }
}

Json textResource(const QString &uri, const QByteArray &json)
{
    return Json{{"uri", uri}, {"mimeType", "application/json"}, {"text", QString::fromUtf8(json)}};
}

struct PromptSpec
{
    const char *name;
    const char *title;
    const char *description;
    std::vector<std::pair<const char *, const char *>> arguments; // name, description
    std::vector<const char *> required;
};

const std::vector<PromptSpec> &promptSpecs()
{
    static const std::vector<PromptSpec> specs{
        {"schedule-a-briefing",
         "Schedule a briefing",
         "Set up a recurring briefing: a task that gathers what you ask for on a schedule and "
         "sends you a summary.",
         {{"topic", "what the briefing covers, e.g. 'my calendar and unread mail'"},
          {"when", "when it should arrive, e.g. 'weekdays at 7:30'"},
          {"timezone", "an IANA time zone, e.g. Europe/Berlin (default: the machine's)"}},
         {"topic", "when"}},
        {"debug-a-failed-run",
         "Debug a failed run",
         "Find out why a run failed and propose a fix to its task.",
         {{"run_id", "the failed run's id (list_runs with status=failed gives them)"}},
         {"run_id"}},
        {"review-my-schedule",
         "Review my schedule",
         "Look over the active tasks and their upcoming runs: clashes, gaps and tasks that keep "
         "failing.",
         {},
         {}},
    };
    return specs;
}

} // namespace

McpServer::McpServer(Engine &engine, Services &services, const Router &router)
    : m_engine(engine)
    , m_services(services)
    , m_router(router)
    , m_catalog(OpenApi::document() ? ToolCatalog::build(router, *OpenApi::document())
                                    : Result<ToolCatalog>(OpenApi::document().error()))
{
    if (!m_catalog)
        qWarning("mcp: %s", qPrintable(m_catalog.error().describe()));
    connect(&engine.eventBus(), &EventBus::eventPublished, this, &McpServer::announced,
            Qt::DirectConnection);
    m_waiters.setMaxThreadCount(32);
}

void McpServer::answerLater(std::function<void()> work)
{
    m_waiters.start(std::move(work));
}

bool McpServer::reserveWait(const QString &agentId)
{
    QMutexLocker lock(&m_mutex);
    int &waiting = m_waiting[agentId];
    if (waiting >= kMaxWaitingPerAgent)
        return false;
    ++waiting;
    return true;
}

void McpServer::releaseWait(const QString &agentId)
{
    QMutexLocker lock(&m_mutex);
    if (--m_waiting[agentId] <= 0)
        m_waiting.remove(agentId);
}

McpServer::~McpServer()
{
    m_stopping = true;
    m_waiters.waitForDone();
    QMutexLocker lock(&m_mutex);
    for (const auto &session : std::as_const(m_sessions))
        emit session->outbox->ended();
    for (const auto &outbox : std::as_const(m_listeners))
        emit outbox->ended();
}

Json McpServer::serverInfo()
{
    const QString version = QCoreApplication::applicationVersion();
    return Json{{"name", "ordinaut"},
                {"title", "Ordinaut"},
                {"version", version.isEmpty() ? QStringLiteral("0") : version}};
}

QString McpServer::instructions()
{
    return QStringLiteral(
        "Ordinaut runs tasks on a schedule for you. A task is a schedule (RFC 5545 RRULE with a "
        "time zone, cron, once, event or manual) plus a pipeline of tool steps. Typical flow: "
        "list_tools to see the step tools, validate_pipeline and preview_schedule to check your "
        "work, create_task, then run_task_now and get_run to try it. Read a task or run as the "
        "resource ordinaut://tasks/<id> or ordinaut://runs/<id> and subscribe to hear when it "
        "changes. Tool errors name the field to fix.");
}

Json McpServer::capabilities(const QString &version)
{
    Json caps{{"tools", Json{{"listChanged", true}}},
              {"completions", Json::object()},
              {"resources", Json{{"subscribe", true}, {"listChanged", true}}},
              {"prompts", Json{{"listChanged", false}}},
              {"logging", Json::object()}};
    if (version == kV20251125)
        caps["tasks"] = Json{{"list", Json::object()},
                             {"cancel", Json::object()},
                             {"requests", Json{{"tools", Json{{"call", Json::object()}}}}}};
    if (isStateless(version))
        caps["extensions"] = Json{{"io.modelcontextprotocol/tasks", Json::object()}};
    return caps;
}

std::optional<Json> McpServer::dispatch(const Message &message, CallContext &context)
{
    const QString &method = message.method;
    const bool request = message.kind == Message::Kind::Request;
    if (!isStateless(context.version)) {
        // What only the stateless revision has.
        if (request
            && (method == QLatin1String("server/discover")
                || method == QLatin1String("subscriptions/listen")))
            return failure(message.id,
                           RpcError{rpc::kMethodNotFound,
                                    QStringLiteral("%1 is part of MCP %2; this session speaks %3")
                                        .arg(method, kStateless, context.version),
                                    nullptr, nullptr});
        if (context.session) {
            context.clientCapabilities = context.session->clientCapabilities;
            QMutexLocker lock(&m_mutex);
            context.session->lastSeen = m_engine.clock().now();
        }
        return respond(message, context);
    }
    if (!request)
        return std::nullopt;
    // Every stateless request says who asks and what it can do.
    const Json meta = message.params.is_object() ? message.params.value("_meta", Json()) : Json();
    QStringList missing;
    for (const char *key : {meta::kProtocolVersion, meta::kClientCapabilities})
        if (!meta.is_object() || !meta.contains(key))
            missing << QLatin1String(key);
    if (!missing.isEmpty())
        return failure(message.id,
                       invalidParams(QStringLiteral("Invalid params: missing _meta keys: %1 (MCP "
                                                    "%2 requests carry them in params._meta)")
                                         .arg(missing.join(QStringLiteral(", ")), kStateless)));
    static const QStringList removed{
        QStringLiteral("initialize"), QStringLiteral("ping"), QStringLiteral("logging/setLevel"),
        QStringLiteral("resources/subscribe"), QStringLiteral("resources/unsubscribe")};
    if (removed.contains(method))
        return failure(message.id,
                       RpcError{rpc::kMethodNotFound,
                                QStringLiteral("%1 is not part of MCP %2 (see server/discover, "
                                               "subscriptions/listen and _meta)")
                                    .arg(method, kStateless),
                                nullptr, nullptr});
    // Capabilities are the request's own: nothing carries over from earlier requests.
    context.clientCapabilities = meta.value(meta::kClientCapabilities, Json::object());
    std::optional<Json> answer = respond(message, context);
    if (answer && answer->contains("result") && (*answer)["result"].is_object()) {
        Json &result = (*answer)["result"];
        if (!result.contains("resultType"))
            result["resultType"] = "complete";
        result["_meta"]["io.modelcontextprotocol/serverInfo"] = serverInfo();
        // How long a client may keep an answer: the catalogs change only with the server (or
        // the agent's scopes), tasks and runs at any moment. Each agent sees its own.
        static const QHash<QString, int> ttl{{QStringLiteral("server/discover"), 3600000},
                                             {QStringLiteral("tools/list"), 60000},
                                             {QStringLiteral("prompts/list"), 3600000},
                                             {QStringLiteral("resources/templates/list"), 3600000},
                                             {QStringLiteral("resources/list"), 0},
                                             {QStringLiteral("resources/read"), 0}};
        if (ttl.contains(method)) {
            result["ttlMs"] = ttl.value(method);
            result["cacheScope"] = "private";
        }
    }
    return answer;
}

std::optional<Json> McpServer::respond(const Message &message, CallContext &context)
{
    if (message.kind == Message::Kind::Response)
        return std::nullopt; // Ordinaut sends no requests to clients, so expects no answers
    const QString &method = message.method;
    if (message.kind == Message::Kind::Notification) {
        // initialized, cancelled (calls answer synchronously), roots/list_changed: nothing to do.
        if (context.session) {
            QMutexLocker lock(&m_mutex);
            context.session->lastSeen = m_engine.clock().now();
        }
        return std::nullopt;
    }
    const Json &id = message.id;
    const Json params = message.params.is_null() ? Json::object() : message.params;
    if (!params.is_object())
        return failure(id, invalidParams(QStringLiteral("params must be an object")));
    const auto answer = [&id](const Result<Json> &result) {
        return result ? JsonRpc::result(id, *result) : failure(id, rpcErrorOf(result.error()));
    };

    if (method == QLatin1String("initialize")) {
        if (isStateless(context.version))
            return failure(id, RpcError{rpc::kMethodNotFound,
                                        QStringLiteral("initialize is not part of %1; call "
                                                       "server/discover")
                                            .arg(context.version),
                                        nullptr, nullptr});
        return JsonRpc::result(id, initialize(params, context));
    }
    if (method == QLatin1String("ping"))
        return JsonRpc::result(id, Json::object());
    if (method == QLatin1String("server/discover"))
        return JsonRpc::result(id, Json{{"supportedVersions", Json(supportedVersions())},
                                        {"capabilities", capabilities(kStateless)},
                                        {"instructions", instructions()}});
    if (method == QLatin1String("tools/list")) {
        if (!m_catalog)
            return failure(id, rpcErrorOf(m_catalog.error()));
        return JsonRpc::result(
            id, Json{{"tools", m_catalog->list(context.agent.scopes, context.version)}});
    }
    if (method == QLatin1String("tools/call"))
        return answer(callTool(params, context));
    if (method == QLatin1String("resources/list"))
        return answer(listResources(params, context));
    if (method == QLatin1String("resources/templates/list"))
        return JsonRpc::result(
            id, Json{{"resourceTemplates",
                      Json::array({Json{{"uriTemplate", "ordinaut://tasks/{id}"},
                                        {"name", "task"},
                                        {"title", "A task"},
                                        {"description", "A task with its schedule and pipeline"},
                                        {"mimeType", "application/json"}},
                                   Json{{"uriTemplate", "ordinaut://runs/{id}"},
                                        {"name", "run"},
                                        {"title", "A run"},
                                        {"description", "A run with every step, its inputs, "
                                                        "outputs and errors"},
                                        {"mimeType", "application/json"}}})}});
    if (method == QLatin1String("resources/read")) {
        Result<Json> read = readResource(params, context);
        if (!read && read.error().code == ErrorCode::NotFound)
            // The stateless revision answers an unknown URI as invalid params; the session
            // revisions have a code of their own. Both name the URI.
            return failure(id, RpcError{isStateless(context.version) ? rpc::kInvalidParams
                                                                     : code::kResourceNotFound,
                                        read.error().describe(),
                                        Json{{"uri", stringParam(params, "uri")}}, nullptr});
        return answer(read);
    }
    if (method == QLatin1String("resources/subscribe"))
        return answer(subscribe(params, context, true));
    if (method == QLatin1String("resources/unsubscribe"))
        return answer(subscribe(params, context, false));
    if (method == QLatin1String("prompts/list")) {
        Json prompts = Json::array();
        for (const PromptSpec &spec : promptSpecs()) {
            Json arguments = Json::array();
            for (const auto &[name, description] : spec.arguments)
                arguments.push_back(
                    Json{{"name", name},
                         {"description", description},
                         {"required", std::find(spec.required.begin(), spec.required.end(), name)
                                          != spec.required.end()}});
            prompts.push_back(Json{{"name", spec.name},
                                   {"title", spec.title},
                                   {"description", spec.description},
                                   {"arguments", arguments}});
        }
        return JsonRpc::result(id, Json{{"prompts", prompts}});
    }
    if (method == QLatin1String("prompts/get"))
        return answer(getPrompt(params, context));
    if (method == QLatin1String("logging/setLevel"))
        return answer(setLogLevel(params, context));
    if (method.startsWith(QLatin1String("tasks/")))
        return taskRequest(message, context);
    if (method == QLatin1String("completion/complete"))
        return answer(complete(params, context));
    return failure(id, RpcError{rpc::kMethodNotFound,
                                QStringLiteral("there is no method '%1' in MCP %2 as Ordinaut "
                                               "serves it")
                                    .arg(method, context.version),
                                nullptr, nullptr});
}

Json McpServer::initialize(const Json &params, CallContext &context)
{
    // Version negotiation: the client's when Ordinaut speaks it, else the newest it does.
    const QString asked = stringParam(params, "protocolVersion");
    const QString version = sessionVersions().contains(asked) ? asked : QString(kV20251125);
    auto session = std::make_shared<Session>();
    session->id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    session->version = version;
    session->agentId = context.agent.id;
    session->transport = context.transport;
    session->clientInfo = params.value("clientInfo", Json::object());
    session->clientCapabilities = params.value("capabilities", Json::object());
    session->lastSeen = m_engine.clock().now();
    session->outbox = std::make_shared<Outbox>(context.agent.id, context.agent.scopes);
    std::vector<std::shared_ptr<Session>> ended;
    {
        QMutexLocker lock(&m_mutex);
        // Sessions a client forgot to end go after a day without a message (not stdio ones:
        // their client holds the process, and ends the session by closing it).
        const QDateTime stale = session->lastSeen.addSecs(-kSessionIdleSeconds);
        for (auto it = m_sessions.begin(); it != m_sessions.end();) {
            if ((*it)->transport == Transport::Http && (*it)->lastSeen < stale) {
                ended.push_back(*it);
                it = m_sessions.erase(it);
            } else {
                ++it;
            }
        }
        // Each agent has a bounded number of sessions: its longest idle one makes room for a
        // new one, so no agent can push out another's.
        std::shared_ptr<Session> oldest;
        int own = 0;
        for (const auto &open : std::as_const(m_sessions)) {
            if (open->agentId != session->agentId || open->transport != Transport::Http)
                continue;
            ++own;
            if (!oldest || open->lastSeen < oldest->lastSeen)
                oldest = open;
        }
        if (own >= kMaxSessionsPerAgent && oldest) {
            ended.push_back(oldest);
            m_sessions.remove(oldest->id);
        }
        m_sessions.insert(session->id, session);
        m_engine.metrics().setMcpSessions(int(m_sessions.size()));
    }
    for (const auto &gone : ended)
        closed(gone, QStringLiteral("idle"));
    context.session = session;
    context.version = version;
    const Json client = session->clientInfo;
    record(context, QStringLiteral("mcp.session.start"), session->id,
           Json{{"client", client.is_object() ? client.value("name", Json()) : Json()},
                {"client_version", client.is_object() ? client.value("version", Json()) : Json()},
                {"protocol_version", version},
                {"transport", context.transport == Transport::Http ? "http" : "stdio"}});
    return Json{{"protocolVersion", version},
                {"capabilities", capabilities(version)},
                {"serverInfo", serverInfo()},
                {"instructions", instructions()}};
}

std::shared_ptr<Session> McpServer::session(const QString &id, const QString &agentId) const
{
    QMutexLocker lock(&m_mutex);
    std::shared_ptr<Session> found = m_sessions.value(id);
    if (!found || found->agentId != agentId)
        return nullptr;
    found->lastSeen = m_engine.clock().now();
    return found;
}

bool McpServer::endSession(const QString &id, const QString &agentId)
{
    std::shared_ptr<Session> ended;
    {
        QMutexLocker lock(&m_mutex);
        ended = m_sessions.value(id);
        if (!ended || ended->agentId != agentId)
            return false;
        m_sessions.remove(id);
        m_engine.metrics().setMcpSessions(int(m_sessions.size()));
    }
    closed(ended, QStringLiteral("client"));
    return true;
}

void McpServer::closed(const std::shared_ptr<Session> &session, const QString &by)
{
    emit session->outbox->ended();
    CallContext context;
    context.agent.id = session->agentId;
    context.transport = session->transport;
    record(context, QStringLiteral("mcp.session.end"), session->id, Json{{"ended_by", by}});
}

int McpServer::sessionCount() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_sessions.size());
}

QString McpServer::declaredVersion(const Message &message)
{
    if (!message.params.is_object())
        return {};
    const Json meta = message.params.value("_meta", Json());
    if (!meta.is_object())
        return {};
    const Json version = meta.value(meta::kProtocolVersion, Json());
    return version.is_string() ? qs(version.get<std::string>()) : QString();
}

QString McpServer::headerName(const Message &message)
{
    const QString &method = message.method;
    const char *key = nullptr;
    if (method == QLatin1String("tools/call") || method == QLatin1String("prompts/get"))
        key = "name";
    else if (method == QLatin1String("resources/read")
             || method == QLatin1String("resources/subscribe")
             || method == QLatin1String("resources/unsubscribe"))
        key = "uri";
    else if (method == QLatin1String("tasks/get") || method == QLatin1String("tasks/update")
             || method == QLatin1String("tasks/cancel"))
        key = "taskId";
    if (!key || !message.params.is_object())
        return {};
    const Json value = message.params.value(key, Json());
    return value.is_string() ? qs(value.get<std::string>()) : QString();
}

Json McpServer::listenAcknowledgement(const Outbox &outbox)
{
    Json agreed = Json::object();
    if (outbox.toolsListChanged)
        agreed["toolsListChanged"] = true;
    if (outbox.resourcesListChanged)
        agreed["resourcesListChanged"] = true;
    if (!outbox.subscriptions.isEmpty()) {
        Json uris = Json::array();
        for (const QString &uri : outbox.subscriptions)
            uris.push_back(uri);
        agreed["resourceSubscriptions"] = uris;
    }
    return JsonRpc::notification(
        QStringLiteral("notifications/subscriptions/acknowledged"),
        Json{{"notifications", agreed},
             {"_meta", Json{{"io.modelcontextprotocol/subscriptionId", outbox.subscriptionId}}}});
}

Result<std::shared_ptr<Outbox>> McpServer::listen(const Json &id, const Json &params,
                                                  const CallContext &context)
{
    {
        QMutexLocker lock(&m_mutex);
        const auto own = std::count_if(
            m_listeners.cbegin(), m_listeners.cend(),
            [&context](const auto &outbox) { return outbox->agentId() == context.agent.id; });
        if (own >= kMaxListenersPerAgent)
            return Error::invalid(QStringLiteral("subscriptions/listen"),
                                  QStringLiteral("agent %1 has %2 listen streams open already; "
                                                 "close one first")
                                      .arg(context.agent.id)
                                      .arg(own));
    }
    auto outbox = std::make_shared<Outbox>(context.agent.id, context.agent.scopes);
    outbox->subscriptionId = id;
    // Only what the client opts in to (prompts never change here, so that is not offered).
    const Json filter = params.value("notifications", Json());
    if (!filter.is_object())
        return Error::invalid(QStringLiteral("notifications"),
                              QStringLiteral("is required: an object naming the notifications "
                                             "to receive (toolsListChanged, "
                                             "resourcesListChanged, resourceSubscriptions)"));
    const auto flag = [&filter](const char *name) -> Result<bool> {
        const Json value = filter.value(name, Json(false));
        if (!value.is_boolean())
            return Error::invalid(QStringLiteral("notifications.") + QLatin1String(name),
                                  QStringLiteral("must be true or false"));
        return value.get<bool>();
    };
    for (const auto &[name, target] :
         {std::pair{"toolsListChanged", &outbox->toolsListChanged},
          std::pair{"resourcesListChanged", &outbox->resourcesListChanged}}) {
        Result<bool> on = flag(name);
        if (!on)
            return on.error();
        *target = *on;
    }
    if (Result<bool> prompts = flag("promptsListChanged"); !prompts)
        return prompts.error();
    const Json uris = filter.value("resourceSubscriptions", Json::array());
    if (!uris.is_array())
        return Error::invalid(QStringLiteral("notifications.resourceSubscriptions"),
                              QStringLiteral("must be an array of resource URIs"));
    if (uris.size() > kMaxListenUris)
        return Error::invalid(QStringLiteral("notifications.resourceSubscriptions"),
                              QStringLiteral("names %1 resources; at most %2 per stream")
                                  .arg(uris.size())
                                  .arg(kMaxListenUris));
    for (const Json &uri : uris) {
        if (!uri.is_string())
            return Error::invalid(QStringLiteral("notifications.resourceSubscriptions"),
                                  QStringLiteral("must hold only URIs (strings)"));
        // Only what the agent may read, and what exists (as resources/subscribe).
        if (Result<Json> read = readResource(Json{{"uri", uri}}, context); !read)
            return Error::invalid(QStringLiteral("notifications.resourceSubscriptions"),
                                  read.error().describe());
        outbox->subscriptions.insert(qs(uri.get<std::string>()));
    }
    // Log messages only when the request asks for a level.
    const Json meta = params.value("_meta", Json::object());
    const Json level
        = meta.is_object() ? meta.value("io.modelcontextprotocol/logLevel", Json()) : Json();
    outbox->logs = level.is_string() && kLogLevels.contains(qs(level.get<std::string>()));
    if (outbox->logs)
        outbox->logLevel = int(kLogLevels.indexOf(qs(level.get<std::string>())));
    return outbox;
}

void McpServer::startListening(const std::shared_ptr<Outbox> &outbox)
{
    QMutexLocker lock(&m_mutex);
    m_listeners.append(outbox);
}

void McpServer::stopListening(const std::shared_ptr<Outbox> &outbox)
{
    QMutexLocker lock(&m_mutex);
    m_listeners.removeAll(outbox);
}

HttpResponse McpServer::route(const QByteArray &method, const QString &path, const QUrlQuery &query,
                              const CallContext &context) const
{
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.query = query;
    return route(std::move(request), context);
}

HttpResponse McpServer::route(HttpRequest request, const CallContext &context) const
{
    request.agent = context.agent;
    request.requestId = context.requestId;
    request.peer
        = context.transport == Transport::Stdio ? QStringLiteral("stdio") : QStringLiteral("mcp");
    const Router::Match match = m_router.match(request.method, request.path);
    if (!match.handler)
        return HttpResponse::problem(404, QStringLiteral("there is no %1").arg(request.path),
                                     request.path);
    if (!match.access.isPublic() && !scopes::grants(context.agent.scopes, match.access.scopeName()))
        return HttpResponse::problem(
            Error{ErrorCode::PermissionDenied,
                  QStringLiteral("this needs the scope %1; agent %2 holds: %3")
                      .arg(match.access.scopeName(), context.agent.id,
                           context.agent.scopes.isEmpty()
                               ? QStringLiteral("none")
                               : context.agent.scopes.join(QLatin1Char(' '))),
                  {}},
            request.path);
    request.pathParams = match.params;
    return (*match.handler)(request);
}

void McpServer::record(const CallContext &context, const QString &action, const QString &subject,
                       const Json &details)
{
    const Database &db = m_engine.database();
    const QString actor = context.agent.id.isEmpty() ? QStringLiteral("anonymous")
                                                     : QStringLiteral("agent:") + context.agent.id;
    const QDateTime now = m_engine.clock().now();
    std::optional<Event> event;
    const Status written = db.writer().write(Durability::Durable, [&]() -> Status {
        event.reset();
        if (Status audited
            = AuditLog(db).append(AuditEntry{0, actor, action, subject, details, now});
            !audited)
            return audited;
        Json payload = details;
        payload["agent_id"] = context.agent.id;
        payload["agent_name"] = context.agent.name;
        payload["subject"] = subject;
        // mcp.session.start / mcp.tool.call / mcp.session.end → …started / …called / …ended:
        // events state what happened.
        const QString topic = action + QStringLiteral("ed");
        Result<Event> stored = EventLog(db).append(m_engine.eventBus().make(topic, payload, actor));
        if (!stored)
            return stored.error();
        event = *stored;
        return {};
    });
    if (!written) {
        Log::write(
            LogLevel::Warn, "mcp",
            QStringLiteral("could not record %1: %2").arg(action, written.error().describe()),
            Json::object());
        return;
    }
    m_engine.eventBus().announce(*event);
}

Result<Json> McpServer::callTool(const Json &params, const CallContext &context)
{
    if (!m_catalog)
        return m_catalog.error();
    const QString name = stringParam(params, "name");
    if (name.isEmpty())
        return Error::invalid(QStringLiteral("name"),
                              QStringLiteral("the tool's name is required"));
    const ToolCatalog::Tool *tool = m_catalog->find(name);
    if (!tool)
        return Error::invalid(
            QStringLiteral("name"),
            QStringLiteral("there is no tool '%1' (tools/list names them)").arg(name));
    QElapsedTimer timer;
    timer.start();
    const Json arguments = params.value("arguments", Json::object());
    Json result;
    QString subject;
    int status = 0;
    if (!scopes::grants(context.agent.scopes, tool->scope)) {
        result = ToolCatalog::errorResult(
            QStringLiteral("%1 needs the scope %2, which this agent's token does not hold; ask the "
                           "user to grant it in Ordinaut")
                .arg(name, tool->scope));
        status = 403;
    } else if (Result<HttpRequest> request = ToolCatalog::requestFor(*tool, arguments); !request) {
        result = ToolCatalog::errorResult(
            QStringLiteral("invalid arguments for %1: %2: %3")
                .arg(name, request.error().field, request.error().message));
        status = 400;
    } else {
        const HttpResponse answer = route(std::move(*request), context);
        status = answer.status;
        const Json body = parseJson(answer.body).value_or(Json());
        // A run the client follows as an MCP task, where it can.
        if (tool->spec.taskSupport && status >= 200 && status < 300 && body.is_object()
            && wantsTask(params, context))
            result = createTask(body, context);
        else
            result = ToolCatalog::resultFrom(*tool, answer, context.version);
        if (arguments.is_object() && arguments.value("id", Json()).is_string())
            subject = qs(arguments["id"].get<std::string>());
        else if (status < 300 && body.is_object() && body.value("id", Json()).is_string())
            subject = qs(body["id"].get<std::string>());
    }
    const bool failed = result.value("isError", false);
    m_engine.metrics().mcpToolCall(name, !failed, double(timer.nsecsElapsed()) / 1e9);
    Json details{{"tool", name},
                 {"ok", !failed},
                 {"status", status},
                 {"session", context.session ? Json(context.session->id) : Json()}};
    // The task's title, so "Claude created task 'Daily briefing'" can be told as it happens.
    if (const Json &content = result.value("structuredContent", Json()); content.is_object()) {
        for (const char *key : {"title", "task_title"})
            if (content.value(key, Json()).is_string() && !details.contains("title"))
                details["title"] = content[key];
    }
    record(context, QStringLiteral("mcp.tool.call"), subject, details);
    // A client that asked for a task (2025-11-25 params.task) reads the answer as a task: a
    // call that failed before any run began is an error it can show, not a tool result.
    if (failed && !isStateless(context.version) && params.contains("task")) {
        const Json content = result.value("content", Json::array());
        return Error::invalid(QStringLiteral("arguments"),
                              content.empty() ? QStringLiteral("the call failed")
                                              : qs(content[0].value("text", std::string())));
    }
    return result;
}

Result<Json> McpServer::listResources(const Json &params, const CallContext &context) const
{
    int offset = 0;
    if (params.contains("cursor")) {
        bool ok = false;
        offset = stringParam(params, "cursor").toInt(&ok);
        if (!ok || offset < 0)
            return Error::invalid(QStringLiteral("cursor"),
                                  QStringLiteral("is not a cursor this server gave"));
    }
    Json resources = Json::array();
    if (offset == 0 && scopes::grants(context.agent.scopes, scopes::kTasksRead))
        resources.push_back(Json{{"uri", kToolsUri},
                                 {"name", "tools"},
                                 {"title", "Pipeline tools"},
                                 {"description", "The tools a pipeline step can use, with their "
                                                 "input and output schemas"},
                                 {"mimeType", "application/json"}});
    Json result = Json::object();
    if (scopes::grants(context.agent.scopes, scopes::kTasksRead)) {
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("limit"), QString::number(kPageSize));
        query.addQueryItem(QStringLiteral("offset"), QString::number(offset));
        const HttpResponse answer = route("GET", QStringLiteral("/api/v1/tasks"), query, context);
        if (answer.status != 200)
            return errorOf(answer);
        const Json page = parseJson(answer.body).value_or(Json::object());
        const Json items = page.value("items", Json::array());
        for (const Json &task : items) {
            const QString id = qs(task.value("id", std::string()));
            Json entry{{"uri", QString(kTaskUri + id)},
                       {"name", "task-" + id.toStdString()},
                       {"title", task.value("title", Json(""))},
                       {"mimeType", "application/json"}};
            if (task.contains("schedule_description") && task["schedule_description"].is_string())
                entry["description"] = task["schedule_description"];
            resources.push_back(entry);
        }
        if (page.value("has_more", false))
            result["nextCursor"] = QString::number(offset + kPageSize);
    }
    result["resources"] = resources;
    return result;
}

Result<Json> McpServer::readResource(const Json &params, const CallContext &context) const
{
    const QString uri = stringParam(params, "uri");
    if (uri.isEmpty())
        return Error::invalid(QStringLiteral("uri"), QStringLiteral("is required"));
    QString path;
    if (uri == kToolsUri)
        path = QStringLiteral("/api/v1/tools");
    else if (uri.startsWith(kTaskUri) && uri.size() > kTaskUri.size())
        path = QStringLiteral("/api/v1/tasks/") + uri.mid(kTaskUri.size());
    else if (uri.startsWith(kRunUri) && uri.size() > kRunUri.size())
        path = QStringLiteral("/api/v1/runs/") + uri.mid(kRunUri.size());
    else
        return Error{ErrorCode::NotFound,
                     QStringLiteral("there is no resource %1 (Ordinaut serves ordinaut://tools, "
                                    "ordinaut://tasks/{id} and ordinaut://runs/{id})")
                         .arg(uri),
                     {}};
    // An id is one path segment: "ordinaut://tasks/a/b" or "…?x" names nothing.
    static const QRegularExpression idShape(QStringLiteral("^[A-Za-z0-9_.:-]+$"));
    if (uri != kToolsUri && !idShape.match(uri.section(QLatin1Char('/'), 3)).hasMatch())
        return Error{ErrorCode::NotFound, QStringLiteral("there is no resource %1").arg(uri), {}};
    const HttpResponse answer = route("GET", path, QUrlQuery(), context);
    if (answer.status == 404)
        return Error{ErrorCode::NotFound, QStringLiteral("there is no resource %1").arg(uri), {}};
    if (answer.status != 200)
        return errorOf(answer);
    return Json{{"contents", Json::array({textResource(uri, answer.body)})}};
}

Result<Json> McpServer::subscribe(const Json &params, const CallContext &context, bool on)
{
    const QString uri = stringParam(params, "uri");
    if (uri.isEmpty())
        return Error::invalid(QStringLiteral("uri"), QStringLiteral("is required"));
    if (!context.session)
        return Error::invalid(QStringLiteral("uri"),
                              QStringLiteral("subscriptions belong to a session; in %1 use "
                                             "subscriptions/listen")
                                  .arg(context.version));
    if (on) {
        // Only what the agent may read, and what exists.
        if (Result<Json> read = readResource(params, context); !read)
            return read.error();
    }
    QMutexLocker lock(&m_mutex);
    if (on)
        context.session->outbox->subscriptions.insert(uri);
    else
        context.session->outbox->subscriptions.remove(uri);
    return Json::object();
}

Result<Json> McpServer::setLogLevel(const Json &params, const CallContext &context)
{
    const QString level = stringParam(params, "level");
    const int index = int(kLogLevels.indexOf(level));
    if (index < 0)
        return Error::invalid(QStringLiteral("level"),
                              QStringLiteral("'%1' is not one of %2")
                                  .arg(level, kLogLevels.join(QStringLiteral(", "))));
    if (context.session) {
        QMutexLocker lock(&m_mutex);
        context.session->outbox->logLevel = index;
    }
    return Json::object();
}

Result<Json> McpServer::getPrompt(const Json &params, const CallContext &context) const
{
    const QString name = stringParam(params, "name");
    const auto spec
        = std::find_if(promptSpecs().begin(), promptSpecs().end(),
                       [&](const PromptSpec &p) { return name == QLatin1String(p.name); });
    if (spec == promptSpecs().end())
        return Error::invalid(
            QStringLiteral("name"),
            QStringLiteral("there is no prompt '%1' (prompts/list names them)").arg(name));
    const Json arguments = params.value("arguments", Json::object());
    if (!arguments.is_object())
        return Error::invalid(QStringLiteral("arguments"), QStringLiteral("must be an object"));
    const auto argument = [&arguments](const char *key) {
        const Json value = arguments.value(key, Json());
        return value.is_string() ? qs(value.get<std::string>()).trimmed() : QString();
    };
    for (const char *required : spec->required)
        if (argument(required).isEmpty())
            return Error::invalid(QLatin1String(required),
                                  QStringLiteral("the prompt %1 needs the argument %2")
                                      .arg(name, QLatin1String(required)));
    Json messages = Json::array();
    const auto say = [&messages](const QString &text) {
        messages.push_back(
            Json{{"role", "user"}, {"content", Json{{"type", "text"}, {"text", text}}}});
    };
    if (name == QLatin1String("schedule-a-briefing")) {
        const QString zone = argument("timezone").isEmpty() ? QStringLiteral("my local time zone")
                                                            : argument("timezone");
        say(QStringLiteral(
                "Set up a recurring briefing in Ordinaut about: %1. It should arrive %2 (%3).\n"
                "1. Call list_tools to see which pipeline tools can gather this and deliver it.\n"
                "2. Turn the timing into a schedule (an RRULE with that time zone, or cron) and "
                "check it with preview_schedule; show me the next three occurrences.\n"
                "3. Write the pipeline, check it with validate_pipeline and fix every "
                "diagnostic.\n"
                "4. create_task with a clear title, then run_task_now once and get_run to show me "
                "the result.")
                .arg(argument("topic"), argument("when"), zone));
    } else if (name == QLatin1String("debug-a-failed-run")) {
        const QString runId = argument("run_id");
        const HttpResponse run
            = route("GET", QStringLiteral("/api/v1/runs/") + runId, QUrlQuery(), context);
        if (run.status != 200)
            return errorOf(run);
        say(QStringLiteral("This Ordinaut run failed. Find the step that failed and why, from its "
                           "error, inputs and the outputs of the steps before it. Then read its "
                           "task (get_task), propose a concrete fix to the pipeline or schedule, "
                           "check it with validate_pipeline, and apply it with update_task only "
                           "after I agree."));
        messages.push_back(
            Json{{"role", "user"},
                 {"content", Json{{"type", "resource"},
                                  {"resource", textResource(kRunUri + runId, run.body)}}}});
    } else {
        say(QStringLiteral(
            "Review my Ordinaut schedule: list_tasks with status=active, then for each task its "
            "next run and recent runs (list_runs with its task_id). Point out clashes (many tasks "
            "at the same minute), tasks that keep failing (and why, from get_run), and paused or "
            "proposed tasks waiting for me. Suggest changes, but change nothing without asking."));
    }
    return Json{{"description", spec->description}, {"messages", messages}};
}

Result<Json> McpServer::complete(const Json &params, const CallContext &context) const
{
    const Json ref = params.value("ref", Json());
    const Json argument = params.value("argument", Json());
    if (!ref.is_object() || !argument.is_object())
        return Error::invalid(QStringLiteral("ref"),
                              QStringLiteral("completion/complete needs ref and argument objects"));
    const QString type = stringParam(ref, "type");
    const QString name = stringParam(argument, "name");
    const QString prefix = stringParam(argument, "value");
    QStringList candidates;
    // Ids of the newest tasks or runs the agent may read, from a list route.
    const auto ids = [&](const QString &path, const QUrlQuery &query) {
        const HttpResponse answer = route("GET", path, query, context);
        const Json page = parseJson(answer.body).value_or(Json::object());
        QStringList found;
        if (answer.status == 200)
            for (const Json &item : page.value("items", Json::array()))
                found << qs(item.value("id", std::string()));
        return found;
    };
    QUrlQuery recent;
    recent.addQueryItem(QStringLiteral("limit"), QStringLiteral("100"));
    if (type == QLatin1String("ref/prompt")) {
        const QString prompt = stringParam(ref, "name");
        const auto spec
            = std::find_if(promptSpecs().begin(), promptSpecs().end(),
                           [&](const PromptSpec &p) { return prompt == QLatin1String(p.name); });
        if (spec == promptSpecs().end())
            return Error::invalid(QStringLiteral("ref.name"),
                                  QStringLiteral("there is no prompt '%1'").arg(prompt));
        if (name == QLatin1String("timezone")) {
            for (const QByteArray &zone : QTimeZone::availableTimeZoneIds())
                candidates << QString::fromLatin1(zone);
        } else if (name == QLatin1String("run_id")) {
            QUrlQuery failed = recent;
            failed.addQueryItem(QStringLiteral("status"), QStringLiteral("failed"));
            candidates = ids(QStringLiteral("/api/v1/runs"), failed);
        }
    } else if (type == QLatin1String("ref/resource")) {
        const QString uri = stringParam(ref, "uri");
        if (uri == QLatin1String("ordinaut://tasks/{id}"))
            candidates = ids(QStringLiteral("/api/v1/tasks"), recent);
        else if (uri == QLatin1String("ordinaut://runs/{id}"))
            candidates = ids(QStringLiteral("/api/v1/runs"), recent);
        else
            return Error::invalid(QStringLiteral("ref.uri"),
                                  QStringLiteral("there is no resource template '%1'").arg(uri));
    } else {
        return Error::invalid(QStringLiteral("ref.type"),
                              QStringLiteral("must be ref/prompt or ref/resource"));
    }
    Json values = Json::array();
    int total = 0;
    for (const QString &candidate : std::as_const(candidates)) {
        if (!candidate.startsWith(prefix, Qt::CaseInsensitive))
            continue;
        if (++total <= 100) // the protocol's limit per answer
            values.push_back(candidate);
    }
    return Json{
        {"completion", Json{{"values", values}, {"total", total}, {"hasMore", total > 100}}}};
}

void McpServer::notify(const std::function<bool(Outbox &)> &wants, const Json &notification)
{
    const QByteArray text = dumpJson(notification);
    QMutexLocker lock(&m_mutex);
    for (const auto &session : std::as_const(m_sessions))
        if (wants(*session->outbox))
            emit session->outbox->message(text);
    for (const auto &outbox : std::as_const(m_listeners)) {
        if (!wants(*outbox))
            continue;
        // A listen stream's notifications name the subscription they belong to.
        Json tagged = notification;
        tagged["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"]
            = outbox->subscriptionId;
        emit outbox->message(dumpJson(tagged));
    }
}

void McpServer::announced(const Event &event)
{
    {
        QMutexLocker lock(&m_mutex);
        if (m_sessions.isEmpty() && m_listeners.isEmpty())
            return;
    }
    const Json &payload = event.payload;
    const auto idOf = [&payload](const char *key) {
        const Json value = payload.value(key, Json());
        return value.is_string() ? qs(value.get<std::string>()) : QString();
    };
    const bool ofTask = event.topic.startsWith(QLatin1String("task."));
    const bool ofRun = event.topic.startsWith(QLatin1String("run."));
    // A changed resource: whoever subscribed to it hears so.
    QStringList uris;
    if (ofTask && !idOf("task_id").isEmpty())
        uris << kTaskUri + idOf("task_id");
    if (ofRun && !idOf("run_id").isEmpty())
        uris << kRunUri + idOf("run_id");
    for (const QString &uri : std::as_const(uris))
        notify([&uri](Outbox &outbox) { return outbox.subscriptions.contains(uri); },
               JsonRpc::notification(QStringLiteral("notifications/resources/updated"),
                                     Json{{"uri", uri}}));
    // Tasks made or removed change the resource list.
    if (event.topic == QLatin1String("task.created") || event.topic == QLatin1String("task.deleted")
        || event.topic == QLatin1String("task.canceled"))
        notify(
            [](Outbox &outbox) {
                return outbox.resourcesListChanged
                       && scopes::grants(outbox.scopes(), scopes::kTasksRead);
            },
            JsonRpc::notification(QStringLiteral("notifications/resources/list_changed"),
                                  Json::object()));
    // An agent's scopes decide its tools: a change to the agent changes its list.
    if (event.topic == QLatin1String("agent.updated")) {
        const QString agentId = idOf("agent_id");
        notify(
            [&agentId](Outbox &outbox) {
                return outbox.toolsListChanged && outbox.agentId() == agentId;
            },
            JsonRpc::notification(QStringLiteral("notifications/tools/list_changed"),
                                  Json::object()));
    }
    // A finished run of an agent's task is a log message to that agent.
    if (event.topic == QLatin1String("run.finished")) {
        {
            // Nobody listening for logs: nothing to read (the common case on a busy engine).
            QMutexLocker lock(&m_mutex);
            const auto logs = [](const std::shared_ptr<Outbox> &outbox) { return outbox->logs; };
            if (std::none_of(m_sessions.cbegin(), m_sessions.cend(),
                             [&logs](const auto &session) { return logs(session->outbox); })
                && std::none_of(m_listeners.cbegin(), m_listeners.cend(), logs))
                return;
        }
        // Who created the task (it never changes): read once, then remembered, so a busy
        // engine's workers read a task only for the runs of agents listening for logs.
        const QString taskId = idOf("task_id");
        QString owner;
        {
            QMutexLocker lock(&m_mutex);
            owner = m_owners.value(taskId);
        }
        if (owner.isEmpty()) {
            const Result<Task> created = m_services.tasks.get(taskId);
            if (!created)
                return;
            owner = created->createdBy;
            QMutexLocker lock(&m_mutex);
            if (m_owners.size() > 10000)
                m_owners.clear();
            m_owners.insert(taskId, owner);
        }
        if (!owner.startsWith(QLatin1String("agent:")))
            return;
        owner = owner.mid(6);
        {
            QMutexLocker lock(&m_mutex);
            const auto listening = [&owner](const std::shared_ptr<Outbox> &outbox) {
                return outbox->logs && outbox->agentId() == owner;
            };
            if (std::none_of(
                    m_sessions.cbegin(), m_sessions.cend(),
                    [&listening](const auto &session) { return listening(session->outbox); })
                && std::none_of(m_listeners.cbegin(), m_listeners.cend(), listening))
                return;
        }
        const Result<Task> task = m_services.tasks.get(taskId);
        if (!task)
            return;
        const QString status = idOf("status");
        const int level = status == QLatin1String("succeeded") ? 1 : 4; // info : error
        Json data{{"run_id", idOf("run_id")},
                  {"task_id", task->id},
                  {"task_title", task->title},
                  {"status", status}};
        if (payload.contains("error"))
            data["error"] = payload["error"];
        notify(
            [&owner, level](Outbox &outbox) {
                return outbox.logs && outbox.agentId() == owner && level >= outbox.logLevel;
            },
            JsonRpc::notification(QStringLiteral("notifications/message"),
                                  Json{{"level", kLogLevels.at(level)},
                                       {"logger", "ordinaut.runs"},
                                       {"data", data}}));
    }
}

} // namespace ordinaut::mcp
