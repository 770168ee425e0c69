// HttpApi: request pipeline (limits → route → auth → handler) and the server thread.
#include "HttpApi.h"

#include "ApiServer.h"
#include "Routes.h"

#include "core/Scopes.h"
#include "service/Services.h"

#include <QTcpServer>
#include <QThread>

#include <algorithm>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace ordinaut {

HttpApi::HttpApi(Engine &engine, Services &services, QByteArray signingSecret, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_services(services)
    , m_auth(engine.database(), services.agents, std::move(signingSecret), engine.clock())
{
    addAuthRoutes(m_router, m_auth, m_engine.clock());
    addAgentRoutes(m_router, m_services, m_auth);
    addAuditRoutes(m_router, m_engine);
    addHealthRoutes(m_router, m_engine);
    addTaskRoutes(m_router, m_services);
    addRunRoutes(m_router, m_services);
    addScheduleRoutes(m_router, m_services);
    addCalendarRoutes(m_router, m_services);
    addToolRoutes(m_router, m_engine);
    addApprovalRoutes(m_router, m_services);
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

Result<Agent> HttpApi::authenticate(const HttpRequest &request) const
{
    const QByteArray header = request.headers.value("authorization");
    if (header.isEmpty())
        return Error{ErrorCode::Unauthenticated,
                     QStringLiteral("this route needs 'Authorization: Bearer <access token>'; get "
                                    "one at POST /auth/token with your agent id and secret"),
                     {}};
    if (!header.toLower().startsWith("bearer "))
        return Error{ErrorCode::Unauthenticated,
                     QStringLiteral("the Authorization header must use the Bearer scheme"),
                     {}};
    return m_auth.verify(QString::fromLatin1(header.mid(7).trimmed()));
}

HttpResponse HttpApi::handle(HttpRequest request) const
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
        Result<Agent> agent = authenticate(request);
        if (!agent)
            return HttpResponse::problem(agent.error(), request.path);
        if (!scopes::grants(agent->scopes, match.access.scopeName()))
            return HttpResponse::problem(
                Error{ErrorCode::PermissionDenied,
                      QStringLiteral("%1 %2 needs the scope %3; this token holds: %4")
                          .arg(QString::fromLatin1(request.method), request.path,
                               match.access.scopeName(),
                               agent->scopes.isEmpty() ? QStringLiteral("none")
                                                       : agent->scopes.join(QLatin1Char(' '))),
                      {}},
                request.path);
        request.agent = std::move(*agent);
    }
    request.pathParams = match.params;
    return (*match.handler)(request);
}

} // namespace ordinaut
