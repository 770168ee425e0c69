// /mcp: MCP's Streamable HTTP transport on the API's server. POST carries client messages (JSON
// answers; 202 for notifications and responses), GET opens a session's notification stream,
// DELETE ends a session. Which protocol era a request belongs to follows from its
// MCP-Protocol-Version header and its _meta: the stateless revision checks its Mcp-Method and
// Mcp-Name headers against the body; the session revisions require the Mcp-Session-Id that
// initialize issued.
#include "api/Routes.h"

#include "McpServer.h"
#include "McpStream.h"
#include "Protocol.h"

#include "api/HttpApi.h"
#include "api/Router.h"

namespace ordinaut {

namespace {

using namespace mcp;

// A JSON-RPC error as an HTTP answer (MCP clients read the body as JSON-RPC, not as problem
// details).
HttpResponse rpcAnswer(int status, int code, const QString &message, const Json &id = nullptr,
                       const Json &data = nullptr)
{
    HttpResponse response
        = HttpResponse::json(status, JsonRpc::error(RpcError{code, message, data, id}));
    return response;
}

bool accepts(const HttpRequest &request, const QByteArray &type)
{
    const QByteArray accept = request.headers.value("accept").toLower();
    return accept.isEmpty() || accept.contains(type) || accept.contains("*/*");
}

QString header(const HttpRequest &request, const QByteArray &name)
{
    // Field values exclude the whitespace around them (RFC 9110 §5.5).
    return QString::fromUtf8(request.headers.value(name)).trimmed();
}

// A header value as the stateless revision encodes it: plain, or "=?base64?…?=" for text that
// is not visible ASCII.
std::optional<QString> decodedHeader(const QString &value)
{
    if (value.startsWith(QLatin1String("=?base64?")) && value.endsWith(QLatin1String("?="))) {
        const QByteArray encoded = value.mid(9, value.size() - 11).toLatin1();
        const auto decoded
            = QByteArray::fromBase64Encoding(encoded, QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return std::nullopt;
        return QString::fromUtf8(*decoded);
    }
    return value;
}

HttpResponse unsupportedVersion(const QString &version, const Json &id = nullptr)
{
    return rpcAnswer(400, code::kUnsupportedVersion,
                     QStringLiteral("unsupported protocol version '%1'; this server speaks %2")
                         .arg(version, supportedVersions().join(QStringLiteral(", "))),
                     id, Json{{"supported", Json(supportedVersions())}, {"requested", version}});
}

class McpEndpoint
{
public:
    explicit McpEndpoint(McpServer &server)
        : m_server(server)
    {}

    HttpResponse post(const HttpRequest &request) const;
    HttpResponse get(const HttpRequest &request) const;
    HttpResponse remove(const HttpRequest &request) const;

private:
    // Checks the stateless revision's headers against the message: 400 with HeaderMismatch.
    std::optional<HttpResponse> checkHeaders(const HttpRequest &request,
                                             const Message &message) const;
    HttpResponse stateless(const HttpRequest &request, const Message &message,
                           CallContext &context) const;

    McpServer &m_server;
};

HttpResponse McpEndpoint::post(const HttpRequest &request) const
{
    const QByteArray type = request.headers.value("content-type").toLower();
    if (!type.startsWith("application/json"))
        return rpcAnswer(415, rpc::kInvalidRequest,
                         QStringLiteral("MCP messages are sent as Content-Type: application/json"));
    if (!accepts(request, "application/json") && !accepts(request, "text/event-stream"))
        return rpcAnswer(406, rpc::kInvalidRequest,
                         QStringLiteral("the client must accept application/json and "
                                        "text/event-stream"));
    const QString versionHeader = header(request, "mcp-protocol-version");

    // Batches exist only in 2025-03-26 (and requests without a version header count as that).
    const bool batchesAllowed = versionHeader.isEmpty() || allowsBatches(versionHeader);
    std::variant<Incoming, RpcError> read = JsonRpc::read(request.body, batchesAllowed);
    if (auto *error = std::get_if<RpcError>(&read))
        return HttpResponse::json(400, JsonRpc::error(*error));
    const Incoming &incoming = std::get<Incoming>(read);
    const Message &first = incoming.messages.front();
    if (!versionHeader.isEmpty() && !supportedVersions().contains(versionHeader))
        return unsupportedVersion(versionHeader, first.id);

    CallContext context;
    context.agent = request.agent;
    context.transport = Transport::Http;
    context.requestId = request.requestId;

    // The stateless revision: the message names its version in _meta, and the header must say
    // the same.
    const QString declared = McpServer::declaredVersion(first);
    if (!declared.isEmpty() || isStateless(versionHeader)) {
        if (incoming.batch)
            return rpcAnswer(
                400, rpc::kInvalidRequest,
                QStringLiteral("%1 takes one message per request, not a batch").arg(kStateless));
        if (!declared.isEmpty() && versionHeader.isEmpty())
            return rpcAnswer(400, code::kHeaderMismatch,
                             QStringLiteral("Missing MCP-Protocol-Version header (the message's "
                                            "_meta names %1)")
                                 .arg(declared),
                             first.id);
        if (!declared.isEmpty() && declared != versionHeader)
            return rpcAnswer(400, code::kHeaderMismatch,
                             QStringLiteral("MCP-Protocol-Version is %1 but the message's _meta "
                                            "says %2")
                                 .arg(versionHeader, declared),
                             first.id);
        if (isStateless(versionHeader)) {
            context.version = kStateless;
            return stateless(request, first, context);
        }
    }

    // The session revisions.
    const bool initializing
        = std::any_of(incoming.messages.begin(), incoming.messages.end(),
                      [](const Message &m) { return m.method == QLatin1String("initialize"); });
    if (initializing) {
        if (incoming.messages.size() > 1)
            return rpcAnswer(400, rpc::kInvalidRequest,
                             QStringLiteral("initialize must be sent alone, not in a batch"),
                             first.id);
        if (first.kind != Message::Kind::Request)
            return rpcAnswer(400, rpc::kInvalidRequest,
                             QStringLiteral("initialize is a request: it needs an id"));
        context.version = kV20250326;
        const std::optional<Json> answer = m_server.dispatch(first, context);
        HttpResponse response = HttpResponse::json(200, *answer);
        if (context.session)
            response.headers.append(
                qMakePair(QByteArray("Mcp-Session-Id"), context.session->id.toLatin1()));
        return response;
    }
    const QString sessionId = header(request, "mcp-session-id");
    if (sessionId.isEmpty())
        return rpcAnswer(400, rpc::kInvalidRequest,
                         QStringLiteral("Mcp-Session-Id is missing: send initialize first and "
                                        "then the session id it returned with every request"),
                         first.id);
    context.session = m_server.session(sessionId, request.agent.id);
    if (!context.session)
        return rpcAnswer(404, rpc::kInvalidRequest,
                         QStringLiteral("there is no session %1 (it ended, or the server "
                                        "restarted): initialize again")
                             .arg(sessionId),
                         first.id);
    // The session answers under the version it negotiated, whichever supported session
    // version the header names (clients reuse one header for several sessions).
    context.version = context.session->version;
    if (incoming.batch && !allowsBatches(context.version))
        return rpcAnswer(400, rpc::kInvalidRequest,
                         QStringLiteral("batches are not part of MCP %1").arg(context.version));

    // A call that may wait long (tasks/result) is answered off the HTTP threads: as a stream
    // when the client takes one (kept alive meanwhile), else as a plain answer when it is ready.
    if (!incoming.batch && first.kind == Message::Kind::Request
        && McpServer::mayTakeLong(first.method)) {
        if (!m_server.reserveWait(context.agent.id))
            return HttpResponse::json(
                200, JsonRpc::error(RpcError{
                         rpc::kInvalidRequest,
                         QStringLiteral("agent %1 already waits on %2 calls; poll tasks/get "
                                        "instead")
                             .arg(context.agent.id)
                             .arg(McpServer::kMaxWaitingPerAgent),
                         nullptr, first.id}));
        const bool stream = request.headers.value("accept").toLower().contains("text/event-stream");
        HttpResponse response;
        McpServer *server = &m_server;
        const Message message = first;
        response.takeOver = [server, message, context, stream](QTcpSocket *socket,
                                                               const auto &headers) {
            auto outbox = std::make_shared<Outbox>(context.agent.id, context.agent.scopes);
            if (stream)
                McpStream::start(socket, outbox, headers);
            else
                McpStream::answerWhenReady(socket, outbox, headers);
            server->answerLater([server, message, context, outbox]() mutable {
                const std::optional<Json> answer = server->dispatch(message, context);
                server->releaseWait(context.agent.id);
                if (answer)
                    emit outbox->message(dumpJson(*answer));
                emit outbox->ended(); // after the answer: both are queued to the stream in order
            });
        };
        return response;
    }

    Json answers = Json::array();
    for (const RpcError &invalid : incoming.invalid)
        answers.push_back(JsonRpc::error(invalid));
    for (const Message &message : incoming.messages)
        if (std::optional<Json> answer = m_server.dispatch(message, context))
            answers.push_back(std::move(*answer));
    if (answers.empty()) {
        HttpResponse accepted;
        accepted.status = 202;
        accepted.body.clear();
        return accepted;
    }
    return HttpResponse::json(200, incoming.batch ? answers : answers.front());
}

std::optional<HttpResponse> McpEndpoint::checkHeaders(const HttpRequest &request,
                                                      const Message &message) const
{
    const QString method = header(request, "mcp-method");
    if (method.isEmpty())
        return rpcAnswer(400, code::kHeaderMismatch,
                         QStringLiteral("the Mcp-Method header is missing (it must be '%1')")
                             .arg(message.method),
                         message.id);
    if (method != message.method)
        return rpcAnswer(400, code::kHeaderMismatch,
                         QStringLiteral("the Mcp-Method header says '%1' but the message is '%2'")
                             .arg(method, message.method),
                         message.id);
    const QString name = McpServer::headerName(message);
    if (name.isEmpty())
        return std::nullopt;
    const QString given = header(request, "mcp-name");
    if (given.isEmpty())
        return rpcAnswer(
            400, code::kHeaderMismatch,
            QStringLiteral("the Mcp-Name header is missing (it must be '%1')").arg(name),
            message.id);
    const std::optional<QString> decoded = decodedHeader(given);
    if (!decoded)
        return rpcAnswer(400, code::kHeaderMismatch,
                         QStringLiteral("the Mcp-Name header is not valid base64"), message.id);
    if (*decoded != name)
        return rpcAnswer(400, code::kHeaderMismatch,
                         QStringLiteral("the Mcp-Name header says '%1' but the message names '%2'")
                             .arg(*decoded, name),
                         message.id);
    return std::nullopt;
}

HttpResponse McpEndpoint::stateless(const HttpRequest &request, const Message &message,
                                    CallContext &context) const
{
    if (message.kind != Message::Kind::Request) {
        HttpResponse accepted;
        accepted.status = 202;
        return accepted;
    }
    if (std::optional<HttpResponse> mismatch = checkHeaders(request, message))
        return *mismatch;
    if (message.method == QLatin1String("subscriptions/listen")) {
        Result<std::shared_ptr<Outbox>> outbox = m_server.listen(
            message.id, message.params.is_object() ? message.params : Json::object(), context);
        if (!outbox)
            return HttpResponse::json(
                200, JsonRpc::error(RpcError{rpc::kInvalidParams, outbox.error().describe(),
                                             nullptr, message.id}));
        // The answer is a stream: the acknowledgement first, then the notifications.
        HttpResponse response;
        McpServer *server = &m_server;
        std::shared_ptr<Outbox> listening = *outbox;
        response.takeOver = [server, listening](QTcpSocket *socket, const auto &headers) {
            McpStream::start(socket, listening, headers,
                             dumpJson(McpServer::listenAcknowledgement(*listening)),
                             [server, listening] { server->stopListening(listening); });
            server->startListening(listening);
        };
        return response;
    }
    const std::optional<Json> answer = m_server.dispatch(message, context);
    if (!answer)
        return HttpResponse::json(200, Json::object());
    // Errors of the stateless revision carry their HTTP status: an unknown method is 404, a
    // request the server cannot take as sent is 400.
    int status = 200;
    if (answer->contains("error")) {
        const int code = answer->at("error").value("code", 0);
        if (code == rpc::kMethodNotFound)
            status = 404;
        else if (code == rpc::kInvalidParams || code == rpc::kInvalidRequest
                 || code == code::kHeaderMismatch || code == code::kMissingCapability
                 || code == code::kUnsupportedVersion)
            status = 400;
    }
    return HttpResponse::json(status, *answer);
}

HttpResponse McpEndpoint::get(const HttpRequest &request) const
{
    const QString versionHeader = header(request, "mcp-protocol-version");
    if (!versionHeader.isEmpty() && !supportedVersions().contains(versionHeader))
        return unsupportedVersion(versionHeader);
    if (isStateless(versionHeader)) {
        HttpResponse response = rpcAnswer(405, rpc::kInvalidRequest,
                                          QStringLiteral("%1 has no GET stream: POST "
                                                         "subscriptions/listen")
                                              .arg(kStateless));
        response.headers.append(qMakePair(QByteArray("Allow"), QByteArray("POST")));
        return response;
    }
    if (!request.headers.value("accept").toLower().contains("text/event-stream"))
        return rpcAnswer(406, rpc::kInvalidRequest,
                         QStringLiteral("GET /mcp is a stream: Accept must include "
                                        "text/event-stream"));
    const QString sessionId = header(request, "mcp-session-id");
    if (sessionId.isEmpty())
        return rpcAnswer(400, rpc::kInvalidRequest,
                         QStringLiteral("Mcp-Session-Id is missing: the stream belongs to a "
                                        "session"));
    const std::shared_ptr<Session> session = m_server.session(sessionId, request.agent.id);
    if (!session)
        return rpcAnswer(404, rpc::kInvalidRequest,
                         QStringLiteral("there is no session %1: initialize again").arg(sessionId));
    HttpResponse response;
    std::shared_ptr<Outbox> outbox = session->outbox;
    response.takeOver = [outbox](QTcpSocket *socket, const auto &headers) {
        McpStream::startSessionStream(socket, outbox, headers);
    };
    return response;
}

HttpResponse McpEndpoint::remove(const HttpRequest &request) const
{
    const QString sessionId = header(request, "mcp-session-id");
    if (sessionId.isEmpty())
        return rpcAnswer(400, rpc::kInvalidRequest,
                         QStringLiteral("Mcp-Session-Id is missing: name the session to end"));
    if (!m_server.endSession(sessionId, request.agent.id))
        return rpcAnswer(404, rpc::kInvalidRequest,
                         QStringLiteral("there is no session %1").arg(sessionId));
    HttpResponse response;
    response.status = 204;
    return response;
}

} // namespace

void addMcpRoutes(Router &router, mcp::McpServer &server)
{
    auto endpoint = std::make_shared<McpEndpoint>(server);
    const Access access = Access::authenticated().allowAnonymous();
    router.add("POST", QStringLiteral("/mcp"), access,
               [endpoint](const HttpRequest &request) { return endpoint->post(request); });
    router.add("GET", QStringLiteral("/mcp"), access,
               [endpoint](const HttpRequest &request) { return endpoint->get(request); });
    router.add("DELETE", QStringLiteral("/mcp"), access,
               [endpoint](const HttpRequest &request) { return endpoint->remove(request); });
}

} // namespace ordinaut
