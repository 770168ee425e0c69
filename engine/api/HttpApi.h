// HttpApi: the local REST API. Routes every request through the service layer, authenticates
// bearer tokens, enforces size and media-type limits, and turns every failure into
// application/problem+json. Serves on threads of its own so a busy GUI never slows it.
#pragma once

#include "Authenticator.h"
#include "RateLimiter.h"
#include "RequestGuard.h"
#include "Router.h"

#include "core/Result.h"

#include <QHostAddress>
#include <QObject>

#include <memory>
#include <vector>

class QThread;

namespace ordinaut {

class ApiServer;
class Engine;
struct Services;

namespace mcp {
class McpServer;
}

class HttpApi final : public QObject
{
    Q_OBJECT
public:
    HttpApi(Engine &engine, Services &services, QByteArray signingSecret,
            QObject *parent = nullptr);
    ~HttpApi() override;
    Q_DISABLE_COPY_MOVE(HttpApi)

    static constexpr qint64 kMaxBodyBytes = 1024 * 1024;

    // Listens on `address:port` (port 0: any free port) and returns the bound port, served by
    // serverThreadCount() threads. Unavailable when the address cannot be bound (in use, not
    // local…).
    Result<quint16> start(const QHostAddress &address, quint16 port);
    static int serverThreadCount();
    void stop();
    // A name clients may use in Host besides this machine's loopback names (a LAN name the
    // API is reached by). Before start().
    void allowHost(const QString &host) { m_guard.allowHost(host); }

    // Answers one request; thread-safe (routes call only thread-safe services). Every answer
    // carries X-Request-Id (the client's when valid: 1 to 128 of A-Z a-z 0-9 . _ : -; else a new
    // one), is counted in the engine's Metrics under its route template, and logged as one
    // access line.
    HttpResponse handle(HttpRequest request) const;
    static bool isValidRequestId(const QByteArray &id);
    Authenticator &authenticator() { return m_auth; }
    const Router &router() const { return m_router; }
    RateLimiter &rateLimiter() { return m_limiter; }
    mcp::McpServer &mcp() { return *m_mcp; }
    // Lets loopback clients without credentials use /mcp as the read-only anonymous agent
    // (tasks:read, runs:read): for MCP test suites, which send none. Off by default.
    void allowAnonymousMcp(bool allow) { m_anonymousMcp = allow; }
    static Agent anonymousAgent();

private:
    // The caller behind the Authorization header, or behind ?token= on a route whose access
    // allows that; Unauthenticated otherwise.
    Result<Agent> authenticate(const HttpRequest &request, const Access &access) const;
    // handle() without the id, metrics and log; `route` gets the matched route's template.
    HttpResponse respond(HttpRequest &request, QString &route) const;

    Engine &m_engine;
    Services &m_services;
    Authenticator m_auth;
    mutable RateLimiter m_limiter;
    RequestGuard m_guard;
    Router m_router;
    std::unique_ptr<mcp::McpServer> m_mcp;
    bool m_anonymousMcp = false;
    std::vector<std::unique_ptr<QThread>> m_threads;
    std::vector<ApiServer *> m_servers; // each lives on its thread
};

} // namespace ordinaut
