// HttpApi: request pipeline (limits → route → auth → handler) and the server thread.
#include "HttpApi.h"

#include "ApiServer.h"
#include "Routes.h"

#include "service/Services.h"

#include <QThread>

namespace ordinaut {

HttpApi::HttpApi(Engine &engine, Services &services, QByteArray signingSecret, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_services(services)
    , m_signer(std::move(signingSecret))
{
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

Result<quint16> HttpApi::start(const QHostAddress &address, quint16 port)
{
    if (m_thread)
        return Error{ErrorCode::Conflict, QStringLiteral("the API is already listening"), {}};
    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(QStringLiteral("ordinaut-http"));
    m_thread->start();
    quint16 bound = 0;
    // Lives on the HTTP thread from here on: every socket and request is handled there.
    m_server = new ApiServer(*this);
    m_server->moveToThread(m_thread.get());
    QMetaObject::invokeMethod(
        m_server, [&] { bound = m_server->listen(address, port); }, Qt::BlockingQueuedConnection);
    if (bound == 0) {
        stop();
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot listen on %1:%2 (is another program using that port?)")
                         .arg(address.toString())
                         .arg(port),
                     {}};
    }
    return bound;
}

void HttpApi::stop()
{
    if (!m_thread)
        return;
    if (m_server) {
        ApiServer *server = m_server;
        QMetaObject::invokeMethod(
            server, [server] { delete server; }, Qt::BlockingQueuedConnection);
        m_server = nullptr;
    }
    m_thread->quit();
    m_thread->wait();
    m_thread.reset();
}

Result<Agent> HttpApi::authenticate(const HttpRequest &request) const
{
    const QByteArray header = request.headers.value("authorization");
    if (header.isEmpty())
        return Error{
            ErrorCode::Unauthenticated,
            QStringLiteral("this route needs 'Authorization: Bearer <token>'; create a token "
                           "with 'ordinaut-server token create'"),
            {}};
    if (!header.startsWith("Bearer ") && !header.startsWith("bearer "))
        return Error{ErrorCode::Unauthenticated,
                     QStringLiteral("the Authorization header must use the Bearer scheme"),
                     {}};
    const std::optional<QString> agentId
        = m_signer.verify(QString::fromLatin1(header.mid(7).trimmed()));
    const Error rejected{
        ErrorCode::Unauthenticated,
        QStringLiteral("the bearer token is not valid for this Ordinaut data folder"),
        {}};
    if (!agentId)
        return rejected;
    Result<Agent> agent = m_services.agents.get(*agentId);
    if (!agent)
        return agent.error().code == ErrorCode::NotFound ? rejected : agent.error();
    if (agent->disabled)
        return Error{ErrorCode::Unauthenticated,
                     QStringLiteral("agent '%1' is disabled").arg(agent->name),
                     {}};
    return agent;
}

HttpResponse HttpApi::handle(HttpRequest request) const
{
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
    if (match.access == Access::Authenticated) {
        Result<Agent> agent = authenticate(request);
        if (!agent)
            return HttpResponse::problem(agent.error(), request.path);
        request.agent = std::move(*agent);
    }
    request.pathParams = match.params;
    return (*match.handler)(request);
}

} // namespace ordinaut
