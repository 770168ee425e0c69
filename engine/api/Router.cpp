// Router: pattern compilation and matching.
#include "Router.h"

namespace ordinaut {

void Router::add(const QByteArray &method, const QString &pattern, Access access, Handler handler)
{
    QString regex = QRegularExpression::escape(pattern);
    // escape() turned "{id}" into "\\{id\\}"; each becomes one path segment capture.
    static const QRegularExpression placeholder(QStringLiteral("\\\\\\{[a-z_]+\\\\\\}"));
    regex.replace(placeholder, QStringLiteral("([^/]+)"));
    m_routes.push_back(Route{method, pattern,
                             QRegularExpression(QLatin1Char('^') + regex + QLatin1Char('$')),
                             access, std::move(handler)});
}

Router::Match Router::match(const QByteArray &method, const QString &path) const
{
    Match result;
    for (const Route &route : m_routes) {
        const QRegularExpressionMatch m = route.regex.match(path);
        if (!m.hasMatch())
            continue;
        if (route.method != method) {
            result.allowed << route.method;
            continue;
        }
        result.handler = &route.handler;
        result.pattern = &route.pattern;
        result.access = route.access;
        for (int i = 1; i <= m.lastCapturedIndex(); ++i)
            result.params << m.captured(i);
        return result;
    }
    return result;
}

std::vector<Router::Entry> Router::entries() const
{
    std::vector<Entry> list;
    list.reserve(m_routes.size());
    for (const Route &route : m_routes)
        list.push_back(Entry{route.method, route.pattern, route.access});
    return list;
}

} // namespace ordinaut
