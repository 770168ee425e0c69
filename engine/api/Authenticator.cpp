// Authenticator: sign-in, refresh, revocation and the check of every bearer token.
#include "Authenticator.h"

#include "core/Clock.h"
#include "core/Id.h"
#include "core/Scopes.h"
#include "secrets/SecretHash.h"
#include "service/AgentService.h"
#include "store/AuditLog.h"
#include "store/CredentialStore.h"
#include "store/Database.h"
#include "store/WriteQueue.h"

#include <QCryptographicHash>

#include <algorithm>

namespace ordinaut {

namespace {

// Refresh tokens are long random strings: a fast hash keeps them unusable from a database copy.
QString refreshHash(const QString &token)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256).toHex());
}

Error unauthenticated(const QString &message)
{
    return Error{ErrorCode::Unauthenticated, message, {}};
}

Status audit(const Database &database, const QString &actor, const QString &action,
             const QString &subject, const QDateTime &at, Json details = Json::object())
{
    return AuditLog(database).append(AuditEntry{0, actor, action, subject, std::move(details), at});
}

} // namespace

Json Authenticator::Tokens::toJson(const QDateTime &now) const
{
    return Json{{"access_token", accessToken.toStdString()},
                {"token_type", "Bearer"},
                {"expires_in", std::max<qint64>(0, now.secsTo(expiresAt))},
                {"refresh_token", refreshToken.toStdString()},
                {"scope", scopes.join(QLatin1Char(' ')).toStdString()}};
}

Authenticator::Authenticator(const Database &database, AgentService &agents, QByteArray signingKey,
                             const Clock &clock)
    : m_database(database)
    , m_agents(agents)
    , m_codec(std::move(signingKey), clock)
    , m_clock(clock)
{}

Result<QString> Authenticator::newSecret(const QString &agentId, const QString &actor)
{
    const QString secret = SecretHash::generate();
    Result<QString> hash = SecretHash::make(secret);
    if (!hash)
        return hash.error();
    const Status stored = m_database.writer().write(Durability::Durable, [&]() -> Status {
        if (Status set = CredentialStore(m_database).setSecretHash(agentId, *hash); !set)
            return set;
        return audit(m_database, actor, QStringLiteral("agent.secret_rotated"), agentId,
                     m_clock.now());
    });
    if (!stored)
        return stored.error();
    return secret;
}

Result<Authenticator::Tokens> Authenticator::issue(const Agent &agent)
{
    return tokensFor(agent, QString());
}

Result<Authenticator::Tokens> Authenticator::tokensFor(const Agent &agent, const QString &replacing)
{
    const QDateTime now = m_clock.now();
    Tokens tokens;
    tokens.scopes = agent.scopes;
    tokens.expiresAt = now.addSecs(kAccessSeconds);
    Result<QString> access = m_codec.issue(
        AccessClaims{agent.id, agent.scopes, newId(m_clock), now, tokens.expiresAt});
    if (!access)
        return access.error();
    tokens.accessToken = *access;
    tokens.refreshToken = QStringLiteral("ordr_") + SecretHash::generate();
    const RefreshToken refresh{newId(m_clock), agent.id, now.addDays(kRefreshDays), {}};
    const Status stored = m_database.writer().write(Durability::Durable, [&]() -> Status {
        CredentialStore store(m_database);
        if (!replacing.isEmpty())
            if (Status retired = store.retireRefresh(replacing, refresh.id, now); !retired)
                return retired;
        if (Status inserted = store.insertRefresh(refresh, refreshHash(tokens.refreshToken), now);
            !inserted)
            return inserted;
        return audit(m_database, QStringLiteral("agent:") + agent.id,
                     replacing.isEmpty() ? QStringLiteral("auth.token")
                                         : QStringLiteral("auth.refresh"),
                     agent.id, now);
    });
    if (!stored) {
        if (stored.error().code == ErrorCode::Conflict) // the refresh token was used meanwhile
            return unauthenticated(QStringLiteral("the refresh token was already used"));
        return stored.error();
    }
    return tokens;
}

void Authenticator::spendLikeACheck(const QString &secret)
{
    // The same work as checking a real agent's secret: the answer's timing tells nothing.
    static const QString kNone = QStringLiteral("scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
                                                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    (void)SecretHash::matches(secret, kNone);
}

Error Authenticator::refusedSignIn() const
{
    return unauthenticated(QStringLiteral("unknown agent, wrong secret or disabled agent"));
}

int Authenticator::retryAfterSeconds(const QString &agentId, const QString &address) const
{
    QMutexLocker lock(&m_failuresMutex);
    const auto found = m_failures.constFind(agentId + QLatin1Char('|') + address);
    if (found == m_failures.constEnd() || !found->waitUntil.isValid())
        return 0;
    return int(std::max<qint64>(0, (m_clock.now().msecsTo(found->waitUntil) + 999) / 1000));
}

Result<Authenticator::Tokens> Authenticator::signIn(const QString &agentId, const QString &secret,
                                                    const QString &address)
{
    const QString key = agentId + QLatin1Char('|') + address;
    if (const int wait = retryAfterSeconds(agentId, address); wait > 0)
        return Error{ErrorCode::RateLimited,
                     QStringLiteral("too many failed sign-ins for this agent from %1; try again "
                                    "in %2 s")
                         .arg(address)
                         .arg(wait),
                     {}};
    auto failed = [&]() -> Error {
        QMutexLocker lock(&m_failuresMutex);
        if (m_failures.size() >= kMaxTrackedFailures) {
            // Forget those no longer waiting, so made-up ids cannot grow this without end.
            const QDateTime now = m_clock.now();
            m_failures.removeIf([&now](const auto &entry) {
                return !entry.value().waitUntil.isValid() || entry.value().waitUntil <= now;
            });
        }
        Failures &failures = m_failures[key];
        ++failures.count;
        if (failures.count > kFreeFailures) {
            const int exponent = std::min(failures.count - kFreeFailures, 16);
            failures.waitUntil = m_clock.now().addSecs(std::min(1 << exponent, kMaxWaitSeconds));
        }
        return refusedSignIn();
    };
    Result<Agent> agent = m_agents.get(agentId);
    if (!agent) {
        if (agent.error().code != ErrorCode::NotFound)
            return agent.error();
        spendLikeACheck(secret);
        return failed();
    }
    Result<std::optional<QString>> stored = CredentialStore(m_database).secretHash(agentId);
    if (!stored)
        return stored.error();
    if (!*stored) {
        spendLikeACheck(secret);
        return failed();
    }
    if (!SecretHash::matches(secret, **stored) || agent->disabled)
        return failed();
    {
        QMutexLocker lock(&m_failuresMutex);
        m_failures.remove(key);
    }
    return tokensFor(*agent, QString());
}

Result<Authenticator::Tokens> Authenticator::refresh(const QString &refreshToken)
{
    const QDateTime now = m_clock.now();
    CredentialStore store(m_database);
    Result<std::optional<RefreshToken>> found = store.findRefresh(refreshHash(refreshToken));
    if (!found)
        return found.error();
    if (!*found)
        return unauthenticated(QStringLiteral("unknown refresh token"));
    const RefreshToken &token = **found;
    if (token.revokedAt.isValid()) {
        // Used before: whoever holds the agent's other refresh tokens may be the thief.
        (void)m_database.writer().write(Durability::Durable, [&]() -> Status {
            return store.retireAgentRefreshes(token.agentId, now);
        });
        return unauthenticated(QStringLiteral("the refresh token was already used or revoked; "
                                              "sign in again"));
    }
    if (token.expiresAt <= now)
        return unauthenticated(QStringLiteral("the refresh token has expired; sign in again"));
    Result<Agent> agent = m_agents.get(token.agentId);
    if (!agent || agent->disabled)
        return unauthenticated(QStringLiteral("the agent is gone or disabled"));
    return tokensFor(*agent, token.id);
}

Status Authenticator::revoke(const QString &token, const QString &actor)
{
    const QDateTime now = m_clock.now();
    if (token.count(QLatin1Char('.')) == 2) {
        Result<AccessClaims> claims = m_codec.verify(token);
        if (!claims)
            return {}; // expired or not ours: nothing it could still do
        return m_database.writer().write(Durability::Durable, [&]() -> Status {
            if (Status revoked
                = CredentialStore(m_database)
                      .revokeAccess(claims->tokenId, claims->subject, claims->expiresAt, now);
                !revoked)
                return revoked;
            return audit(m_database, actor, QStringLiteral("auth.revoke"), claims->subject, now,
                         Json{{"token", "access"}, {"jti", claims->tokenId.toStdString()}});
        });
    }
    CredentialStore store(m_database);
    Result<std::optional<RefreshToken>> found = store.findRefresh(refreshHash(token));
    if (!found)
        return found.error();
    if (!*found || (*found)->revokedAt.isValid())
        return {};
    return m_database.writer().write(Durability::Durable, [&]() -> Status {
        if (Status retired = store.retireRefresh((*found)->id, QString(), now);
            !retired && retired.error().code != ErrorCode::Conflict)
            return retired;
        return audit(m_database, actor, QStringLiteral("auth.revoke"), (*found)->agentId, now,
                     Json{{"token", "refresh"}});
    });
}

Result<Agent> Authenticator::verify(const QString &bearer) const
{
    Result<AccessClaims> claims = m_codec.verify(bearer);
    if (!claims)
        return claims.error();
    Result<bool> revoked = CredentialStore(m_database).isAccessRevoked(claims->tokenId);
    if (!revoked)
        return revoked.error();
    if (*revoked)
        return unauthenticated(QStringLiteral("the access token was revoked"));
    Result<Agent> agent = m_agents.get(claims->subject);
    if (!agent) {
        if (agent.error().code == ErrorCode::NotFound)
            return unauthenticated(QStringLiteral("the access token's agent no longer exists"));
        return agent.error();
    }
    if (agent->disabled)
        return unauthenticated(QStringLiteral("agent '%1' is disabled").arg(agent->name));
    // What the token holds, as far as the agent still has it.
    QStringList held;
    if (claims->scopes.contains(scopes::kAll)) {
        held = agent->scopes;
    } else {
        for (const QString &scope : std::as_const(claims->scopes))
            if (agent->scopes.contains(scopes::kAll) || agent->scopes.contains(scope))
                held << scope;
    }
    agent->scopes = held;
    return agent;
}

} // namespace ordinaut
