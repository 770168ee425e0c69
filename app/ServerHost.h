// ServerHost: the composition root shared by both executables — engine, services and the
// local API, wired by constructor injection.
#pragma once

#include "core/Result.h"

#include <QHostAddress>
#include <QString>

#include <functional>
#include <memory>

namespace ordinaut {

class Engine;
class HttpApi;
struct EngineOptions;
struct Services;

struct ListenAddress
{
    QHostAddress host = QHostAddress::LocalHost;
    quint16 port = 8080;

    // "127.0.0.1:8080", "[::1]:0", "localhost:9000". InvalidArgument naming --listen.
    static Result<ListenAddress> parse(const QString &text);
    QString url() const;
};

class ServerHost final
{
public:
    ~ServerHost();

    // Opens the data folder and builds the parts (nothing runs yet). Errors from
    // Database::open, and Unavailable when no signing secret can be kept.
    static Result<std::unique_ptr<ServerHost>>
    create(const QString &dataDir, const std::function<void(const QString &)> &warn);
    // The same with the engine's options (its data folder, lease length) set by the caller.
    static Result<std::unique_ptr<ServerHost>>
    create(const EngineOptions &options, const std::function<void(const QString &)> &warn);

    // Where a running engine's API is announced in its data folder (removed when it stops), so
    // `ordinaut-server mcp` can forward to it: {"url": "http://127.0.0.1:8080", "pid": 1234}.
    static QString endpointFile(const QString &dataDir);

    void startEngine();
    // Unavailable when the address cannot be bound. `allowedHosts`: names clients may use in
    // Host besides the loopback ones (and the listening address).
    Result<quint16> startApi(const ListenAddress &address, const QStringList &allowedHosts = {});
    void stop();

    Engine &engine() const { return *m_engine; }
    Services &services() const { return *m_services; }
    HttpApi &api() const { return *m_api; }

private:
    ServerHost() = default;

    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
    std::unique_ptr<HttpApi> m_api;
    QString m_dataDir;
    QString m_endpoint; // the endpoint file this host wrote
};

} // namespace ordinaut
