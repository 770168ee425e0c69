// JwtCodec: the API's access tokens as JWTs (RFC 7519), signed with HS256 under the data
// folder's key through libjwt. The algorithm is pinned here and never taken from a token:
// `alg=none` and every other algorithm are refused, as are tokens past `exp`, before `nbf`,
// issued in the future, or made for another issuer or audience.
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QDateTime>
#include <QStringList>

namespace ordinaut {

class Clock;

struct AccessClaims
{
    QString subject;     // the agent's id (`sub`)
    QStringList scopes;  // `scope`, space-separated in the token (RFC 8693)
    QString tokenId;     // `jti`: what a revocation names
    QDateTime issuedAt;  // `iat`; `nbf` is the same instant
    QDateTime expiresAt; // `exp`
};

class JwtCodec final
{
public:
    static constexpr const char *kIssuer = "ordinaut";
    static constexpr const char *kAudience = "ordinaut-api";
    // Clocks of this machine's processes agree; this absorbs only rounding to seconds.
    static constexpr int kLeewaySeconds = 5;
    // No token Ordinaut issues lives longer; one that claims to was not made here.
    static constexpr int kMaxLifetimeSeconds = 24 * 3600;

    // `key`: the HMAC key (at least 32 bytes); `clock` decides what has expired.
    JwtCodec(QByteArray key, const Clock &clock);
    Q_DISABLE_COPY_MOVE(JwtCodec)

    // The signed token. Internal when libjwt fails (out of memory).
    Result<QString> issue(const AccessClaims &claims) const;
    // The claims of a token this codec issued and that is valid now. Unauthenticated otherwise,
    // with the reason (malformed, the algorithm, the signature, expired, not yet valid, issuer,
    // audience, a missing claim).
    Result<AccessClaims> verify(const QString &token) const;

private:
    QByteArray m_key;
    const Clock &m_clock;
};

} // namespace ordinaut
