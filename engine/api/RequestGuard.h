// RequestGuard: the checks that keep the local API local. A request must name this machine in
// its Host header (a web page that rebinds its own DNS name to 127.0.0.1 sends its own name),
// and a browser's Origin, when sent, must be a page served from this machine (no cross-site
// request from a page on the internet reaches the API).
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QStringList>

namespace ordinaut {

class RequestGuard final
{
public:
    // `extraHosts`: names or addresses besides the loopback ones that may appear in Host (the
    // address the API listens on, when it is not a loopback one).
    explicit RequestGuard(QStringList extraHosts = {});

    void allowHost(const QString &host);
    // PermissionDenied naming the header and what is allowed.
    Status check(const QByteArray &host, const QByteArray &origin) const;

private:
    bool allowedHostName(const QString &name) const;

    QStringList m_hosts; // lower case, without port
};

} // namespace ordinaut
