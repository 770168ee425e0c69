// CredentialStore: what signing in needs from the database — agents' secret hashes, refresh
// tokens (by the hash of the token) and revoked access tokens (by their id).
#pragma once

#include "core/Result.h"

#include <QDateTime>
#include <QString>

#include <optional>

namespace ordinaut {

class Database;

struct RefreshToken
{
    QString id;
    QString agentId;
    QDateTime expiresAt;
    QDateTime revokedAt; // invalid while it may be used
};

class CredentialStore final
{
public:
    explicit CredentialStore(const Database &database);

    // NotFound for an unknown agent.
    Status setSecretHash(const QString &agentId, const QString &hash);
    // The stored hash; nullopt when the agent has none (or does not exist).
    Result<std::optional<QString>> secretHash(const QString &agentId) const;

    Status insertRefresh(const RefreshToken &token, const QString &tokenHash, const QDateTime &now);
    // nullopt when no refresh token has this hash.
    Result<std::optional<RefreshToken>> findRefresh(const QString &tokenHash) const;
    // Marks it used or revoked, by `replacedBy` (empty: revoked). Conflict when it already was
    // (two uses of one token: only one wins).
    Status retireRefresh(const QString &id, const QString &replacedBy, const QDateTime &now);
    // Revokes every refresh token of the agent that is still usable.
    Status retireAgentRefreshes(const QString &agentId, const QDateTime &now);

    // Records an access token as revoked until it expires (again: nothing changes).
    Status revokeAccess(const QString &tokenId, const QString &agentId, const QDateTime &expiresAt,
                        const QDateTime &now);
    Result<bool> isAccessRevoked(const QString &tokenId) const;
    // Forgets revocations of tokens that have expired anyway, and expired refresh tokens.
    Status prune(const QDateTime &now);

private:
    const Database &m_database;
};

} // namespace ordinaut
