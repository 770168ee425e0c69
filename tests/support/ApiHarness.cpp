// ApiHarness: construction, requests and agents.
#include "ApiHarness.h"

#include <QRegularExpression>
#include <QUrlQuery>

namespace ordinaut::test {

ApiHarness::ApiHarness(int workers, const Clock *clock, const QByteArray &signingKey)
{
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir.path(), workers, clock});
    if (!engine)
        qFatal("engine: %s", qPrintable(engine.error().describe()));
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_api = std::make_unique<HttpApi>(*m_engine, *m_services, signingKey);
}

ApiHarness::~ApiHarness()
{
    m_engine->stop();
    m_api.reset();
    m_services.reset();
    m_engine.reset();
}

HttpRequest apiRequest(const QByteArray &method, const QString &pathAndQuery,
                       const QByteArray &authorization, const QByteArray &body,
                       const QByteArray &contentType)
{
    HttpRequest request;
    request.method = method;
    request.path = pathAndQuery.section(QLatin1Char('?'), 0, 0);
    request.query = QUrlQuery(pathAndQuery.section(QLatin1Char('?'), 1));
    request.peer = QStringLiteral("127.0.0.1");
    if (!authorization.isEmpty())
        request.headers.insert("authorization", authorization);
    if (!body.isNull()) {
        request.headers.insert("content-type", contentType);
        request.body = body;
    }
    return request;
}

HttpRequest apiRequest(const QByteArray &method, const QString &pathAndQuery, const QString &token,
                       const Json &body)
{
    return apiRequest(method, pathAndQuery,
                      token.isEmpty() ? QByteArray() : "Bearer " + token.toLatin1(),
                      body.is_null() ? QByteArray() : dumpJson(body));
}

QString fillPattern(const QString &pattern, const QString &taskId, const QString &runId,
                    const QString &agentId)
{
    QString path = pattern;
    if (path.startsWith(QLatin1String("/api/v1/tasks/")))
        path.replace(QLatin1String("{id}"), taskId);
    else if (path.startsWith(QLatin1String("/api/v1/runs/")))
        path.replace(QLatin1String("{id}"), runId);
    else if (path.startsWith(QLatin1String("/api/v1/agents/")))
        path.replace(QLatin1String("{id}"), agentId);
    static const QRegularExpression placeholder(QStringLiteral("\\{[a-z_]+\\}"));
    return path.replace(placeholder, QStringLiteral("sample"));
}

HttpResponse ApiHarness::call(const QByteArray &method, const QString &pathAndQuery,
                              const QByteArray &authorization, const QByteArray &body,
                              const QByteArray &contentType)
{
    return m_api->handle(apiRequest(method, pathAndQuery, authorization, body, contentType));
}

HttpResponse ApiHarness::call(const QByteArray &method, const QString &pathAndQuery,
                              const QByteArray &authorization, const Json &body)
{
    return call(method, pathAndQuery, authorization,
                body.is_null() ? QByteArray() : dumpJson(body));
}

Agent ApiHarness::makeAgent(const QString &name, const QStringList &scopes, NewTasks newTasks)
{
    Result<Agent> agent = m_services->agents.create(name, scopes, QStringLiteral("test"), newTasks);
    if (!agent)
        qFatal("agent: %s", qPrintable(agent.error().describe()));
    return *agent;
}

QByteArray ApiHarness::bearer(const Agent &agent)
{
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(agent);
    if (!tokens)
        qFatal("token: %s", qPrintable(tokens.error().describe()));
    return "Bearer " + tokens->accessToken.toLatin1();
}

} // namespace ordinaut::test
