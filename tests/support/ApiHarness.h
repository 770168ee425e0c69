// ApiHarness: an engine, its services and the REST API on a fresh data folder, answering requests
// in process through HttpApi::handle, for tests of routes. Stops what it made in the right order.
#pragma once

#include "TempDataDir.h"

#include "api/HttpApi.h"
#include "core/Agent.h"
#include "core/Json.h"
#include "runtime/Engine.h"
#include "service/Services.h"

#include <memory>

namespace ordinaut::test {

// One request from 127.0.0.1 as HttpApi::handle takes it: "/path?query", an Authorization header
// (empty: none) and a body (null: none) of `contentType`.
HttpRequest apiRequest(const QByteArray &method, const QString &pathAndQuery,
                       const QByteArray &authorization, const QByteArray &body = QByteArray(),
                       const QByteArray &contentType = "application/json");
// The same with a JSON body (null: none) and a bearer token (empty: none).
HttpRequest apiRequest(const QByteArray &method, const QString &pathAndQuery, const QString &token,
                       const Json &body);

// A route's pattern made a path: {id} of /api/v1/tasks/…, /api/v1/runs/… and /api/v1/agents/…
// becomes the given task, run or agent; any other placeholder "sample".
QString fillPattern(const QString &pattern, const QString &taskId, const QString &runId,
                    const QString &agentId);

class ApiHarness final
{
public:
    // `clock`: null for the system clock. Fails the test (qFatal) when the engine cannot start.
    explicit ApiHarness(int workers = 1, const Clock *clock = nullptr,
                        const QByteArray &signingKey = QByteArray(32, 'k'));
    ~ApiHarness();
    Q_DISABLE_COPY_MOVE(ApiHarness)

    Engine &engine() { return *m_engine; }
    Services &services() { return *m_services; }
    HttpApi &api() { return *m_api; }

    // One request from 127.0.0.1: "/path?query", an Authorization header (empty: none) and a
    // body (null: none) of `contentType`.
    HttpResponse call(const QByteArray &method, const QString &pathAndQuery,
                      const QByteArray &authorization, const QByteArray &body = QByteArray(),
                      const QByteArray &contentType = "application/json");
    HttpResponse call(const QByteArray &method, const QString &pathAndQuery,
                      const QByteArray &authorization, const Json &body);
    // A request built by the caller (extra headers…).
    HttpResponse send(HttpRequest request) { return m_api->handle(std::move(request)); }

    // An agent made through the service (qFatal on failure), and "Bearer <access token>" for it.
    Agent makeAgent(const QString &name, const QStringList &scopes,
                    NewTasks newTasks = NewTasks::Active);
    QByteArray bearer(const Agent &agent);

private:
    TempDataDir m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
    std::unique_ptr<HttpApi> m_api;
};

} // namespace ordinaut::test
