// Authenticator: who is calling. An agent exchanges its id and secret for a short-lived access
// token (a JWT, JwtCodec) and a refresh token; every request's bearer token is checked for its
// signature, lifetime and revocation, and against the agent's standing and current scopes.
// Failed sign-ins from one address for one agent are made to wait, longer each time.
#pragma once

#include "JwtCodec.h"

#include "core/Agent.h"
#include "core/Json.h"
#include "core/Result.h"

#include <QHash>
#include <QMutex>

namespace ordinaut {

class AgentService;
class Clock;
class Database;

class Authenticator final
{
public:
    static constexpr int kAccessSeconds = 15 * 60;
    static constexpr int kRefreshDays = 30;
    // Failed sign-ins (per agent and address) answered at once; then waits of 2, 4, 8 … s.
    static constexpr int kFreeFailures = 3;
    static constexpr int kMaxWaitSeconds = 300;
    // Past this many agent/address pairs with failures, those no longer waiting are forgotten.
    static constexpr int kMaxTrackedFailures = 10000;

    Authenticator(const Database &database, AgentService &agents, QByteArray signingKey,
                  const Clock &clock);
    Q_DISABLE_COPY_MOVE(Authenticator)

    struct Tokens
    {
        QString accessToken;
        QString refreshToken;
        QDateTime expiresAt;
        QStringList scopes;
        // The OAuth 2.0 token response (RFC 6749 §5.1).
        Json toJson(const QDateTime &now) const;
    };

    // A new secret for the agent, to show once; only its hash is kept. NotFound.
    Result<QString> newSecret(const QString &agentId, const QString &actor);
    // Tokens for an agent whose identity is settled already (the command line, the owner).
    Result<Tokens> issue(const Agent &agent);
    // Tokens for `agentId` proving `secret`. Unauthenticated for an unknown or disabled agent
    // or a wrong secret (one message for all: nothing to learn from it); RateLimited while
    // earlier failures from `address` wait (retryAfterSeconds() says how long).
    Result<Tokens> signIn(const QString &agentId, const QString &secret, const QString &address);
    int retryAfterSeconds(const QString &agentId, const QString &address) const;
    // New tokens for a refresh token, which is used up. Unauthenticated when it is unknown,
    // expired, used or revoked; using one a second time revokes all of the agent's refresh
    // tokens (one of the two users stole it).
    Result<Tokens> refresh(const QString &refreshToken);
    // Revokes an access token (until it expires) or a refresh token, persisted. An unknown or
    // already useless token is fine (RFC 7009).
    Status revoke(const QString &token, const QString &actor);
    // The agent behind a bearer token, with the scopes the token holds and the agent still has.
    // Unauthenticated when the token is bad, expired or revoked, or the agent gone or disabled.
    Result<Agent> verify(const QString &bearer) const;

private:
    Result<Tokens> tokensFor(const Agent &agent, const QString &replacing);
    Error refusedSignIn() const;
    static void spendLikeACheck(const QString &secret);

    const Database &m_database;
    AgentService &m_agents;
    JwtCodec m_codec;
    const Clock &m_clock;

    struct Failures
    {
        int count = 0;
        QDateTime waitUntil;
    };
    mutable QMutex m_failuresMutex;
    QHash<QString, Failures> m_failures; // by agent id + address
};

} // namespace ordinaut
