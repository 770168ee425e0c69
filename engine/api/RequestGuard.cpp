// RequestGuard: Host and Origin against loopback names and the configured ones.
#include "RequestGuard.h"

#include <QUrl>

namespace ordinaut {

namespace {

// "name:port", "[v6]:port" or "name" → "name" (lower case, brackets kept for v6).
QString hostName(const QString &hostHeader)
{
    const QString trimmed = hostHeader.trimmed().toLower();
    if (trimmed.startsWith(QLatin1Char('['))) {
        const int end = trimmed.indexOf(QLatin1Char(']'));
        return end < 0 ? trimmed : trimmed.left(end + 1);
    }
    const int colon = trimmed.lastIndexOf(QLatin1Char(':'));
    return colon < 0 ? trimmed : trimmed.left(colon);
}

Error denied(const QString &message)
{
    return Error{ErrorCode::PermissionDenied, message, {}};
}

} // namespace

RequestGuard::RequestGuard(QStringList extraHosts)
    : m_hosts{QStringLiteral("localhost"), QStringLiteral("127.0.0.1"), QStringLiteral("[::1]")}
{
    for (const QString &host : std::as_const(extraHosts))
        allowHost(host);
}

void RequestGuard::allowHost(const QString &host)
{
    QString name = host.trimmed().toLower();
    if (name.contains(QLatin1Char(':')) && !name.startsWith(QLatin1Char('[')))
        name = QLatin1Char('[') + name + QLatin1Char(']'); // a bare IPv6 address
    if (!name.isEmpty() && name != QLatin1String("0.0.0.0") && name != QLatin1String("[::]")
        && !m_hosts.contains(name))
        m_hosts << name;
}

bool RequestGuard::allowedHostName(const QString &name) const
{
    return m_hosts.contains(name) || name.endsWith(QLatin1String(".localhost"));
}

Status RequestGuard::check(const QByteArray &host, const QByteArray &origin) const
{
    // HTTP/1.0 clients may send no Host: nothing to compare, nothing a browser would do.
    if (!host.isEmpty() && !allowedHostName(hostName(QString::fromLatin1(host))))
        return denied(
            QStringLiteral("Host '%1' is not this machine (allowed: %2, with any port); "
                           "a request for another name is refused as DNS rebinding")
                .arg(QString::fromLatin1(host).left(100), m_hosts.join(QStringLiteral(", "))));
    if (origin.isEmpty())
        return {};
    const QUrl url(QString::fromLatin1(origin));
    const QString scheme = url.scheme().toLower();
    QString name = url.host().toLower();
    if (name.contains(QLatin1Char(':')))
        name = QLatin1Char('[') + name + QLatin1Char(']');
    if (!url.isValid() || (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        || !allowedHostName(name))
        return denied(QStringLiteral("requests from web pages at '%1' are not allowed (only pages "
                                     "served from this machine may call the API)")
                          .arg(QString::fromLatin1(origin).left(100)));
    return {};
}

} // namespace ordinaut
