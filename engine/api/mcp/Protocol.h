// Protocol: the MCP revisions Ordinaut speaks and the names and codes they share.
#pragma once

#include <QLatin1String>
#include <QString>
#include <QStringList>

namespace ordinaut::mcp {

// The stateless revision: no initialize, no session; every request carries its version.
inline constexpr QLatin1String kStateless("2026-07-28");
// The session revisions, newest first: initialize negotiates one of these.
inline constexpr QLatin1String kV20251125("2025-11-25");
inline constexpr QLatin1String kV20250618("2025-06-18");
inline constexpr QLatin1String kV20250326("2025-03-26");

inline QStringList sessionVersions()
{
    return {kV20251125, kV20250618, kV20250326};
}

inline QStringList supportedVersions()
{
    return {kStateless, kV20251125, kV20250618, kV20250326};
}

inline bool isStateless(const QString &version)
{
    return version == kStateless;
}

// What a revision's results may carry.
inline bool hasStructuredOutput(const QString &version) // title, outputSchema, structuredContent
{
    return version != kV20250326;
}
inline bool allowsBatches(const QString &version)
{
    return version == kV20250326;
}

// Error codes MCP adds to JSON-RPC's.
namespace code {
inline constexpr int kResourceNotFound = -32002;
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingCapability = -32021;
inline constexpr int kUnsupportedVersion = -32022;
} // namespace code

// _meta keys of the stateless revision.
namespace meta {
inline constexpr const char *kProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char *kClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr const char *kClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
} // namespace meta

} // namespace ordinaut::mcp
