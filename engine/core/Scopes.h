// Scopes: what an agent and its access tokens may do. Each API route needs one (HttpApi checks
// it); "*" holds all of them (the desktop user, agents made with full rights).
#pragma once

#include <QLatin1String>
#include <QStringList>

namespace ordinaut::scopes {

inline constexpr QLatin1String kTasksRead("tasks:read");
inline constexpr QLatin1String kTasksWrite("tasks:write");
inline constexpr QLatin1String kRunsRead("runs:read");
inline constexpr QLatin1String kRunsWrite("runs:write");
inline constexpr QLatin1String kEventsWrite("events:write");
inline constexpr QLatin1String kApprovalsWrite("approvals:write");
inline constexpr QLatin1String kAgentsAdmin("agents:admin");
inline constexpr QLatin1String kAuditRead("audit:read");
inline constexpr QLatin1String kAll("*");

// Every scope there is, "*" aside.
inline QStringList known()
{
    return {kTasksRead,   kTasksWrite,     kRunsRead,    kRunsWrite,
            kEventsWrite, kApprovalsWrite, kAgentsAdmin, kAuditRead};
}

// Whether `scope` names a scope ("*" included).
inline bool isKnown(const QString &scope)
{
    return scope == kAll || known().contains(scope);
}

inline bool grants(const QStringList &held, const QString &needed)
{
    return held.contains(kAll) || held.contains(needed);
}

} // namespace ordinaut::scopes
