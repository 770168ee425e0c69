// JwtCodec: HS256 JWTs through libjwt, with the checks libjwt leaves to its caller.
#include "JwtCodec.h"

#include "core/Clock.h"
#include "core/Json.h"

#include <cstdlib>
#include <jwt.h>
#include <memory>

namespace ordinaut {

namespace {

Error refused(const QString &why)
{
    return Error{ErrorCode::Unauthenticated, QStringLiteral("the access token ") + why, {}};
}

struct JwtFree
{
    void operator()(jwt_t *jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

// Claims by type, from the payload libjwt checked: a claim of another JSON type (a string
// where a number belongs) counts as missing rather than as 0.
std::optional<QString> stringClaim(const Json &claims, const char *name)
{
    const auto found = claims.find(name);
    if (found == claims.end() || !found->is_string() || found->get<std::string>().empty())
        return std::nullopt;
    return QString::fromStdString(found->get<std::string>());
}

std::optional<qint64> integerClaim(const Json &claims, const char *name)
{
    const auto found = claims.find(name);
    if (found == claims.end() || !found->is_number_integer())
        return std::nullopt;
    return found->get<qint64>();
}

// The header, read before libjwt sees the token: only {"alg":"HS256"} (and "typ":"JWT") goes on.
Status checkHeader(const QByteArray &encoded)
{
    const auto decoded = QByteArray::fromBase64Encoding(
        encoded, QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals
                     | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return refused(QStringLiteral("is malformed (its header is not base64url)"));
    const std::optional<Json> header = parseJson(*decoded);
    if (!header || !header->is_object())
        return refused(QStringLiteral("is malformed (its header is not a JSON object)"));
    const Json &alg = (*header)["alg"];
    if (!alg.is_string() || alg.get<std::string>() != "HS256")
        return refused(QStringLiteral("uses an algorithm other than HS256"));
    if (header->contains("typ")
        && (!(*header)["typ"].is_string() || (*header)["typ"].get<std::string>() != "JWT"))
        return refused(QStringLiteral("is not a JWT"));
    return {};
}

} // namespace

JwtCodec::JwtCodec(QByteArray key, const Clock &clock)
    : m_key(std::move(key))
    , m_clock(clock)
{}

Result<QString> JwtCodec::issue(const AccessClaims &claims) const
{
    jwt_t *made = nullptr;
    if (jwt_new(&made) != 0)
        return Error::internal(QStringLiteral("cannot make a token (out of memory)"));
    const JwtPtr jwt(made);
    const QByteArray subject = claims.subject.toUtf8();
    const QByteArray scope = claims.scopes.join(QLatin1Char(' ')).toUtf8();
    const QByteArray tokenId = claims.tokenId.toUtf8();
    const qint64 issuedAt = claims.issuedAt.toSecsSinceEpoch();
    int failed = jwt_set_alg(jwt.get(), JWT_ALG_HS256,
                             reinterpret_cast<const unsigned char *>(m_key.constData()),
                             int(m_key.size()));
    failed = failed || jwt_add_grant(jwt.get(), "iss", kIssuer);
    failed = failed || jwt_add_grant(jwt.get(), "aud", kAudience);
    failed = failed || jwt_add_grant(jwt.get(), "sub", subject.constData());
    failed = failed || jwt_add_grant(jwt.get(), "jti", tokenId.constData());
    failed = failed || jwt_add_grant(jwt.get(), "scope", scope.constData());
    failed = failed || jwt_add_grant_int(jwt.get(), "iat", long(issuedAt));
    failed = failed || jwt_add_grant_int(jwt.get(), "nbf", long(issuedAt));
    failed
        = failed || jwt_add_grant_int(jwt.get(), "exp", long(claims.expiresAt.toSecsSinceEpoch()));
    if (failed)
        return Error::internal(QStringLiteral("cannot make a token (libjwt refused a claim)"));
    char *encoded = jwt_encode_str(jwt.get());
    if (!encoded)
        return Error::internal(QStringLiteral("cannot sign a token"));
    const QString token = QString::fromLatin1(encoded);
    free(encoded); // libjwt 1.10 allocates with malloc (no jwt_free_str yet)
    return token;
}

Result<AccessClaims> JwtCodec::verify(const QString &token) const
{
    const QByteArray bytes = token.toLatin1();
    const QList<QByteArray> parts = bytes.split('.');
    if (token.size() > 8192)
        return refused(QStringLiteral("is too long (over 8 KiB)"));
    if (parts.size() != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty())
        return refused(QStringLiteral("is malformed (a JWT has three dot-separated parts)"));
    if (Status header = checkHeader(parts[0]); !header)
        return header.error();
    jwt_t *decoded = nullptr;
    if (jwt_decode(&decoded, bytes.constData(),
                   reinterpret_cast<const unsigned char *>(m_key.constData()), int(m_key.size()))
        != 0)
        return refused(QStringLiteral("has a bad signature or payload"));
    const JwtPtr jwt(decoded);
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256)
        return refused(QStringLiteral("uses an algorithm other than HS256"));
    char *payload = jwt_get_grants_json(jwt.get(), nullptr);
    const std::optional<Json> grants = payload ? parseJson(QByteArray(payload)) : std::nullopt;
    free(payload); // libjwt 1.10 allocates with malloc
    if (!grants || !grants->is_object())
        return refused(QStringLiteral("is malformed (its payload is not a JSON object)"));

    if (stringClaim(*grants, "iss") != QLatin1String(kIssuer))
        return refused(QStringLiteral("was not issued by Ordinaut (iss)"));
    if (stringClaim(*grants, "aud") != QLatin1String(kAudience))
        return refused(QStringLiteral("is not meant for this API (aud)"));
    AccessClaims claims;
    const std::optional<QString> subject = stringClaim(*grants, "sub");
    const std::optional<QString> tokenId = stringClaim(*grants, "jti");
    const std::optional<qint64> issuedAt = integerClaim(*grants, "iat");
    const std::optional<qint64> expiresAt = integerClaim(*grants, "exp");
    const bool hasNotBefore = grants->contains("nbf");
    const std::optional<qint64> notBefore = integerClaim(*grants, "nbf");
    if (!subject || !tokenId || !issuedAt || !expiresAt || (hasNotBefore && !notBefore))
        return refused(QStringLiteral("lacks a claim or has one of the wrong type (sub, jti: "
                                      "strings; iat, exp and nbf: integers)"));
    // Compared on the side of `now`, which cannot overflow.
    const qint64 now = m_clock.now().toSecsSinceEpoch();
    if (*expiresAt <= now - kLeewaySeconds)
        return refused(
            QStringLiteral("has expired; get a new one at /auth/token or /auth/refresh"));
    if (*expiresAt > now + kMaxLifetimeSeconds)
        return refused(QStringLiteral("lives longer than any token Ordinaut issues (exp)"));
    if (notBefore && *notBefore > now + kLeewaySeconds)
        return refused(QStringLiteral("is not valid yet (nbf)"));
    if (*issuedAt > now + kLeewaySeconds)
        return refused(QStringLiteral("was issued in the future (iat)"));
    claims.subject = *subject;
    claims.tokenId = *tokenId;
    claims.issuedAt = QDateTime::fromSecsSinceEpoch(*issuedAt, Qt::UTC);
    claims.expiresAt = QDateTime::fromSecsSinceEpoch(*expiresAt, Qt::UTC);
    if (const std::optional<QString> scope = stringClaim(*grants, "scope"))
        claims.scopes = scope->split(QLatin1Char(' '), Qt::SkipEmptyParts);
    return claims;
}

} // namespace ordinaut
