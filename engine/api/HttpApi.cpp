// HttpApi: request pipeline (limits → route → auth → handler) and the server thread.
#include "HttpApi.h"

#include "ApiServer.h"
#include "Routes.h"
#include "mcp/McpServer.h"

#include "core/Log.h"
#include "core/Metrics.h"
#include "core/Scopes.h"
#include "runtime/EventBus.h"
#include "service/Services.h"
#include "tools/ToolEnvironment.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cmath>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace ordinaut {

namespace {

const QString kUnmatched = QStringLiteral("unmatched");

// A new request id: this process's random prefix and a counter ("5c0e9a3f7d21-0000002a").
// Unique across restarts and engines in practice, and it costs tens of nanoseconds where a
// UUID from the system's random source costs microseconds on every request.
QString newRequestId()
{
    static const QString prefix
        = QString::number(QRandomGenerator::system()->generate64() & 0xffffffffffffULL, 16)
              .rightJustified(12, QLatin1Char('0'));
    static std::atomic<quint64> counter{0};
    return prefix + QLatin1Char('-')
           + QString::number(++counter, 16).rightJustified(8, QLatin1Char('0'));
}

// Why the authenticator refused a token, from its message (JwtCodec and Authenticator word
// each reason once; tst_Metrics pins every one).
AuthFailure refusal(const Error &error)
{
    const QString &message = error.message;
    if (message.contains(QLatin1String("has expired")))
        return AuthFailure::Expired;
    if (message.contains(QLatin1String("was revoked")))
        return AuthFailure::Revoked;
    if (message.contains(QLatin1String("malformed")) || message.contains(QLatin1String("not a JWT"))
        || message.contains(QLatin1String("too long")))
        return AuthFailure::Malformed;
    return AuthFailure::Invalid;
}

} // namespace

HttpApi::HttpApi(Engine &engine, Services &services, QByteArray signingSecret, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_services(services)
    , m_auth(engine.database(), services.agents, std::move(signingSecret), engine.clock())
    , m_limiter(engine.clock())
{
    addAuthRoutes(m_router, m_auth, m_engine.clock());
    addAgentRoutes(m_router, m_services, m_auth);
    addAuditRoutes(m_router, m_engine);
    addHealthRoutes(m_router, m_engine);
    addTaskRoutes(m_router, m_services);
    addRunRoutes(m_router, m_services);
    addScheduleRoutes(m_router, m_services);
    addCalendarRoutes(m_router, m_services);
    addFeedRoutes(m_router, m_services);
    addToolRoutes(m_router, m_engine);
    addApprovalRoutes(m_router, m_services);
    addEventRoutes(m_router, m_services);
    addMetricRoutes(m_router, m_engine);
    addDocRoutes(m_router);
    // Last: the MCP tools are the routes above, described from the router.
    m_mcp = std::make_unique<mcp::McpServer>(engine, services, m_router);
    addMcpRoutes(m_router, *m_mcp);
    // The request rate limit follows the setting as it changes.
    m_limiter.configure(engine.toolEnvironment().setting("api.rate_limit"));
    connect(
        &engine.eventBus(), &EventBus::eventPublished, this,
        [this](const Event &event) {
            if (event.topic == QLatin1String("settings.changed"))
                m_limiter.configure(event.payload.value("api.rate_limit", Json()));
        },
        Qt::DirectConnection);
}

HttpApi::~HttpApi()
{
    stop();
}

int HttpApi::serverThreadCount()
{
#ifdef Q_OS_UNIX
    // A request that changes something waits for its durable commit (about a millisecond)
    // without using the processor: many threads, so that waiting requests do not hold up
    // the others, and the writer gathers theirs into shared commits.
    return std::clamp(16 * QThread::idealThreadCount(), 16, 64);
#else
    return 1; // the listening socket is shared by duplicating it, a POSIX facility
#endif
}

Result<quint16> HttpApi::start(const QHostAddress &address, quint16 port)
{
    if (!m_threads.empty())
        return Error{ErrorCode::Conflict, QStringLiteral("the API is already listening"), {}};
    // Listening on a non-loopback address, clients name it in Host.
    if (!address.isLoopback())
        m_guard.allowHost(address.toString());
    // Several threads serve the same listening socket: a request that waits for its commit
    // holds up only its own connection, and the writer commits what the threads send together.
    // Each thread accepts when it is free, so the busy ones are passed over.
    quint16 bound = 0;
    qintptr listening = -1;
    for (int i = 0; i < serverThreadCount(); ++i) {
        auto thread = std::make_unique<QThread>();
        thread->setObjectName(QStringLiteral("ordinaut-http-%1").arg(i + 1));
        thread->start();
        // Lives on its thread from here on: its sockets and requests are handled there.
        auto *server = new ApiServer(*this);
        server->moveToThread(thread.get());
        m_threads.push_back(std::move(thread));
        m_servers.push_back(server);
        bool ok = false;
        QMetaObject::invokeMethod(
            server,
            [&] {
                if (listening < 0) {
                    bound = server->listen(address, port);
                    ok = bound != 0;
                    if (ok)
                        listening = server->servers().constFirst()->socketDescriptor();
                    return;
                }
#ifdef Q_OS_UNIX
                auto *shared = new QTcpServer;
                const int copy = ::dup(static_cast<int>(listening));
                ok = copy >= 0 && shared->setSocketDescriptor(copy);
                if (ok)
                    server->bind(shared);
                else {
                    if (copy >= 0)
                        ::close(copy);
                    delete shared;
                }
#endif
            },
            Qt::BlockingQueuedConnection);
        if (!ok && i == 0) {
            stop();
            return Error{
                ErrorCode::Unavailable,
                QStringLiteral("cannot listen on %1:%2 (is another program using that port?)")
                    .arg(address.toString())
                    .arg(port),
                {}};
        }
        if (!ok) {
            qWarning("api: serving on %d thread(s) only", i);
            break;
        }
    }
    return bound;
}

void HttpApi::stop()
{
    // Calls waiting on runs (MCP tasks/result) give up first, so no server thread is held.
    if (m_mcp)
        m_mcp->stop();
    for (size_t i = 0; i < m_servers.size(); ++i) {
        ApiServer *server = m_servers[i];
        QMetaObject::invokeMethod(
            server, [server] { delete server; }, Qt::BlockingQueuedConnection);
    }
    m_servers.clear();
    for (const auto &thread : m_threads) {
        thread->quit();
        thread->wait();
    }
    m_threads.clear();
}

Result<Agent> HttpApi::authenticate(const HttpRequest &request, const Access &access) const
{
    const QByteArray header = request.headers.value("authorization");
    Metrics &metrics = m_engine.metrics();
    const QString kTokenParameter = QStringLiteral("token");
    if (header.isEmpty() && request.query.hasQueryItem(kTokenParameter)) {
        // A token in the URL is accepted only where the route allows it (read-only feeds):
        // anywhere else it would turn every leaked URL into a credential.
        if (!access.acceptsQueryToken()) {
            metrics.authFailed(AuthFailure::Missing);
            return Error{ErrorCode::Unauthenticated,
                         QStringLiteral("this route takes the access token only in "
                                        "'Authorization: Bearer <access token>', not as ?token="),
                         {}};
        }
        Result<Agent> agent = m_auth.verify(
            request.query.queryItemValue(kTokenParameter, QUrl::FullyDecoded).trimmed());
        if (!agent && agent.error().code == ErrorCode::Unauthenticated)
            metrics.authFailed(refusal(agent.error()));
        return agent;
    }
    if (header.isEmpty()) {
        metrics.authFailed(AuthFailure::Missing);
        return Error{ErrorCode::Unauthenticated,
                     QStringLiteral("this route needs 'Authorization: Bearer <access token>'; get "
                                    "one at POST /auth/token with your agent id and secret"),
                     {}};
    }
    if (!header.toLower().startsWith("bearer ")) {
        metrics.authFailed(AuthFailure::Malformed);
        return Error{ErrorCode::Unauthenticated,
                     QStringLiteral("the Authorization header must use the Bearer scheme"),
                     {}};
    }
    Result<Agent> agent = m_auth.verify(QString::fromLatin1(header.mid(7).trimmed()));
    if (!agent && agent.error().code == ErrorCode::Unauthenticated)
        metrics.authFailed(refusal(agent.error()));
    return agent;
}

Agent HttpApi::anonymousAgent()
{
    Agent agent;
    agent.name = QStringLiteral("anonymous (loopback)");
    agent.scopes = {scopes::kTasksRead, scopes::kRunsRead};
    return agent;
}

bool HttpApi::isValidRequestId(const QByteArray &id)
{
    if (id.isEmpty() || id.size() > 128)
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
               || c == '.' || c == '_' || c == ':' || c == '-';
    });
}

HttpResponse HttpApi::handle(HttpRequest request) const
{
    QElapsedTimer timer;
    timer.start();
    const QByteArray given = request.headers.value("x-request-id");
    request.requestId = isValidRequestId(given) ? QString::fromLatin1(given) : newRequestId();
    // What this request does on this thread (the runs it queues, its log lines) carries its id.
    const LogContext context({request.requestId, {}, {}});
    QString route;
    HttpResponse response = respond(request, route);
    response.headers.append(qMakePair(QByteArray("X-Request-Id"), request.requestId.toLatin1()));

    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    const QString &routeLabel = route.isEmpty() ? kUnmatched : route;
    Metrics &metrics = m_engine.metrics();
    metrics.httpRequest(request.method, routeLabel, response.status, seconds);
    if (response.status == 401 && routeLabel == QLatin1String("/auth/token"))
        metrics.authFailed(AuthFailure::SignIn);
    if (Log::enabled(LogLevel::Info))
        Log::write(
            LogLevel::Info, "http",
            QStringLiteral("%1 %2 %3")
                .arg(QString::fromLatin1(request.method), request.path,
                     QString::number(response.status)),
            Json{{"method", QString::fromLatin1(request.method)},
                 {"route", routeLabel},
                 {"status", response.status},
                 {"duration_ms", std::round(seconds * 1e6) / 1000.0},
                 {"agent", request.agent.id.isEmpty() ? Json(nullptr) : Json(request.agent.id)},
                 {"peer", request.peer}});
    return response;
}

HttpResponse HttpApi::respond(HttpRequest &request, QString &route) const
{
    if (Status guarded
        = m_guard.check(request.headers.value("host"), request.headers.value("origin"));
        !guarded)
        return HttpResponse::problem(guarded.error(), request.path);
    if (request.body.size() > kMaxBodyBytes)
        return HttpResponse::problem(413,
                                     QStringLiteral("the body is %1 bytes; the limit is %2 bytes")
                                         .arg(request.body.size())
                                         .arg(kMaxBodyBytes),
                                     request.path);
    const Router::Match match = m_router.match(request.method, request.path);
    if (match.pattern)
        route = *match.pattern;
    if (!match.handler) {
        if (match.allowed.isEmpty())
            return HttpResponse::problem(
                404, QStringLiteral("there is no route %1").arg(request.path), request.path);
        HttpResponse response
            = HttpResponse::problem(405,
                                    QStringLiteral("%1 does not accept %2 (allowed: %3)")
                                        .arg(request.path, QString::fromLatin1(request.method),
                                             QString::fromLatin1(match.allowed.join(", "))),
                                    request.path);
        response.headers.append(qMakePair(QByteArray("Allow"), match.allowed.join(", ")));
        return response;
    }
    if (!match.access.isPublic()) {
        const bool anonymous = m_anonymousMcp && match.access.acceptsAnonymous()
                               && request.headers.value("authorization").isEmpty()
                               && QHostAddress(request.peer).isLoopback();
        Result<Agent> agent
            = anonymous ? Result<Agent>(anonymousAgent()) : authenticate(request, match.access);
        if (!agent)
            return HttpResponse::problem(agent.error(), request.path);
        if (const int wait = m_limiter.take(anonymous ? QStringLiteral("anonymous") : agent->id);
            wait > 0) {
            m_engine.metrics().rateLimited(QStringLiteral("requests"));
            const RateLimiter::Limit limit = m_limiter.limit();
            HttpResponse response = HttpResponse::problem(
                Error{ErrorCode::RateLimited,
                      QStringLiteral("agent %1 is over its request rate (%2 per second, bursts "
                                     "of %3); retry in %4 s")
                          .arg(agent->id)
                          .arg(limit.perSecond)
                          .arg(limit.burst)
                          .arg(wait),
                      {}},
                request.path);
            response.headers.append(qMakePair(QByteArray("Retry-After"), QByteArray::number(wait)));
            return response;
        }
        if (!match.access.scopeName().isEmpty()
            && !scopes::grants(agent->scopes, match.access.scopeName())) {
            m_engine.metrics().authFailed(AuthFailure::Forbidden);
            return HttpResponse::problem(
                Error{ErrorCode::PermissionDenied,
                      QStringLiteral("%1 %2 needs the scope %3; this token holds: %4")
                          .arg(QString::fromLatin1(request.method), request.path,
                               match.access.scopeName(),
                               agent->scopes.isEmpty() ? QStringLiteral("none")
                                                       : agent->scopes.join(QLatin1Char(' '))),
                      {}},
                request.path);
        }
        request.agent = std::move(*agent);
    }
    request.pathParams = match.params;
    return (*match.handler)(request);
}

} // namespace ordinaut
