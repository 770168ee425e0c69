// Router: method + path pattern ("/api/v1/tasks/{id}/pause") → handler. Unknown paths are 404
// and known paths with another method are 405 with an Allow header, both as problem+json.
#pragma once

#include "HttpMessage.h"

#include <QRegularExpression>

#include <functional>
#include <vector>

namespace ordinaut {

// Who may call a route: anyone, a bearer token holding a scope (Scopes.h), or any valid bearer
// token (a route that checks finer scopes itself, such as /mcp).
class Access final
{
public:
    static Access anyone() { return Access(QString()); }
    static Access scope(QLatin1String name) { return Access(QString(name)); }
    static Access authenticated()
    {
        Access access{QString()};
        access.m_authenticated = true;
        return access;
    }
    bool isPublic() const { return m_scope.isEmpty() && !m_authenticated; }
    // Empty for authenticated() routes.
    const QString &scopeName() const { return m_scope; }
    // The token may also come as ?token=, for clients that cannot send headers (calendar apps
    // polling a feed). Only for routes that change nothing: URLs end up in logs and histories.
    Access allowQueryToken() const
    {
        Access access = *this;
        access.m_queryToken = true;
        return access;
    }
    bool acceptsQueryToken() const { return m_queryToken; }
    // Without credentials, a loopback client may call the route as the read-only anonymous
    // agent when the server allows it (serve --mcp-allow-anonymous).
    Access allowAnonymous() const
    {
        Access access = *this;
        access.m_anonymous = true;
        return access;
    }
    bool acceptsAnonymous() const { return m_anonymous; }

private:
    explicit Access(QString scope)
        : m_scope(std::move(scope))
    {}
    QString m_scope;
    bool m_queryToken = false;
    bool m_authenticated = false;
    bool m_anonymous = false;
};

class Router final
{
public:
    using Handler = std::function<HttpResponse(const HttpRequest &)>;

    void add(const QByteArray &method, const QString &pattern, Access access, Handler handler);

    struct Match
    {
        const Handler *handler = nullptr;
        const QString *pattern = nullptr; // the route's template ("/api/v1/tasks/{id}")
        Access access = Access::anyone();
        QStringList params;
        QByteArrayList allowed; // methods for the path when the method did not match
    };
    Match match(const QByteArray &method, const QString &path) const;

    // Every route, in the order added: what the OpenAPI document must describe.
    struct Entry
    {
        QByteArray method;
        QString pattern;
        Access access;
    };
    std::vector<Entry> entries() const;

private:
    struct Route
    {
        QByteArray method;
        QString pattern;
        QRegularExpression regex;
        Access access;
        Handler handler;
    };
    std::vector<Route> m_routes;
};

} // namespace ordinaut
