// ServerHost: building and stopping the headless parts in the right order.
#include "ServerHost.h"

#include "api/HttpApi.h"
#include "runtime/Engine.h"
#include "secrets/SecretStore.h"
#include "secrets/SigningSecret.h"
#include "service/Services.h"
#include "tools/ToolEnvironment.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSaveFile>

namespace ordinaut {

Result<ListenAddress> ListenAddress::parse(const QString &text)
{
    static const QRegularExpression shape(
        QStringLiteral("^(?:\\[([0-9a-fA-F:.]+)\\]|([^:\\[\\]]+)):(\\d{1,5})$"));
    const QRegularExpressionMatch m = shape.match(text.trimmed());
    const Error bad
        = Error::invalid(QStringLiteral("--listen"),
                         QStringLiteral("'%1' is not HOST:PORT (e.g. 127.0.0.1:8080)").arg(text));
    if (!m.hasMatch())
        return bad;
    ListenAddress address;
    const QString host = m.captured(1).isEmpty() ? m.captured(2) : m.captured(1);
    if (host == QLatin1String("localhost"))
        address.host = QHostAddress(QHostAddress::LocalHost);
    else if (!address.host.setAddress(host))
        return bad;
    const int port = m.captured(3).toInt();
    if (port > 65535)
        return bad;
    address.port = static_cast<quint16>(port);
    return address;
}

QString ListenAddress::url() const
{
    QString text = host.toString();
    if (host.protocol() == QAbstractSocket::IPv6Protocol)
        text = QLatin1Char('[') + text + QLatin1Char(']');
    return QStringLiteral("http://%1:%2").arg(text).arg(port);
}

ServerHost::~ServerHost()
{
    stop();
}

Result<std::unique_ptr<ServerHost>>
ServerHost::create(const QString &dataDir, const std::function<void(const QString &)> &warn)
{
    EngineOptions options;
    options.dataDir = dataDir;
    return create(options, warn);
}

Result<std::unique_ptr<ServerHost>>
ServerHost::create(const EngineOptions &options, const std::function<void(const QString &)> &warn)
{
    const QString &dataDir = options.dataDir;
    Result<std::unique_ptr<Engine>> engine = Engine::create(options);
    if (!engine)
        return engine.error();
    Result<QByteArray> secret = SigningSecret::loadOrCreate(dataDir, warn);
    if (!secret)
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot keep the token signing key: ")
                         + secret.error().describe(),
                     {}};
    (*engine)->toolEnvironment().setSecrets(openSecretStore(dataDir, warn));
    std::unique_ptr<ServerHost> host(new ServerHost);
    host->m_engine = std::move(*engine);
    host->m_services = std::make_unique<Services>(*host->m_engine);
    host->m_api = std::make_unique<HttpApi>(*host->m_engine, *host->m_services, *secret);
    host->m_dataDir = dataDir;
    return host;
}

void ServerHost::startEngine()
{
    m_engine->start();
}

Result<quint16> ServerHost::startApi(const ListenAddress &address, const QStringList &allowedHosts)
{
    for (const QString &host : allowedHosts)
        m_api->allowHost(host);
    Result<quint16> port = m_api->start(address.host, address.port);
    if (!port)
        return port;
    // Announced for local tools; a loopback address stands in for one that listens on all.
    ListenAddress reachable = address;
    reachable.port = *port;
    if (reachable.host == QHostAddress::Any || reachable.host == QHostAddress::AnyIPv4)
        reachable.host = QHostAddress(QHostAddress::LocalHost);
    else if (reachable.host == QHostAddress::AnyIPv6)
        reachable.host = QHostAddress(QHostAddress::LocalHostIPv6);
    QSaveFile file(endpointFile(m_dataDir));
    if (file.open(QIODevice::WriteOnly)) {
        file.write(
            dumpJson(Json{{"url", reachable.url()}, {"pid", QCoreApplication::applicationPid()}}));
        if (file.commit())
            m_endpoint = file.fileName();
    }
    return port;
}

QString ServerHost::endpointFile(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("api.json"));
}

void ServerHost::stop()
{
    if (m_api)
        m_api->stop();
    if (!m_endpoint.isEmpty()) {
        QFile::remove(m_endpoint);
        m_endpoint.clear();
    }
    if (m_engine)
        m_engine->stop();
}

} // namespace ordinaut
