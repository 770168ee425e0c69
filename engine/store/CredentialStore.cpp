// CredentialStore: SQL for secrets, refresh tokens and revocations.
#include "CredentialStore.h"

#include "Database.h"
#include "Prepared.h"

namespace ordinaut {

CredentialStore::CredentialStore(const Database &database)
    : m_database(database)
{}

Status CredentialStore::setSecretHash(const QString &agentId, const QString &hash)
{
    Result<sql::Rows> set = sql::query(m_database.connection(),
                                       "UPDATE agents SET key_hash=? WHERE id=?", {hash, agentId});
    if (!set)
        return set.error();
    if (set->changes() == 0)
        return Error::notFound(QStringLiteral("no agent with id %1").arg(agentId));
    return {};
}

Result<std::optional<QString>> CredentialStore::secretHash(const QString &agentId) const
{
    Result<sql::Rows> got
        = sql::query(m_database.connection(), "SELECT key_hash FROM agents WHERE id=?", {agentId});
    if (!got)
        return got.error();
    if (got->empty() || got->isNull(0, 0))
        return std::optional<QString>();
    return std::optional<QString>(got->text(0, 0));
}

Status CredentialStore::insertRefresh(const RefreshToken &token, const QString &tokenHash,
                                      const QDateTime &now)
{
    Result<sql::Rows> inserted
        = sql::query(m_database.connection(),
                     "INSERT INTO refresh_tokens (id, agent_id, token_hash, created_at, "
                     "expires_at) VALUES (?,?,?,?,?)",
                     {token.id, token.agentId, tokenHash, now, token.expiresAt});
    return inserted ? Status() : Status(inserted.error());
}

Result<std::optional<RefreshToken>> CredentialStore::findRefresh(const QString &tokenHash) const
{
    Result<sql::Rows> got
        = sql::query(m_database.connection(),
                     "SELECT id, agent_id, expires_at, revoked_at FROM refresh_tokens WHERE "
                     "token_hash=?",
                     {tokenHash});
    if (!got)
        return got.error();
    if (got->empty())
        return std::optional<RefreshToken>();
    return std::optional<RefreshToken>(
        RefreshToken{got->text(0, 0), got->text(0, 1), got->instant(0, 2), got->instant(0, 3)});
}

Status CredentialStore::retireRefresh(const QString &id, const QString &replacedBy,
                                      const QDateTime &now)
{
    Result<sql::Rows> retired
        = sql::query(m_database.connection(),
                     "UPDATE refresh_tokens SET revoked_at=?, replaced_by=? WHERE id=? AND "
                     "revoked_at IS NULL",
                     {now, replacedBy, id});
    if (!retired)
        return retired.error();
    if (retired->changes() == 0)
        return Error{ErrorCode::Conflict,
                     QStringLiteral("the refresh token was already used or revoked"),
                     {}};
    return {};
}

Status CredentialStore::retireAgentRefreshes(const QString &agentId, const QDateTime &now)
{
    Result<sql::Rows> retired = sql::query(
        m_database.connection(),
        "UPDATE refresh_tokens SET revoked_at=? WHERE agent_id=? AND revoked_at IS NULL",
        {now, agentId});
    return retired ? Status() : Status(retired.error());
}

Status CredentialStore::revokeAccess(const QString &tokenId, const QString &agentId,
                                     const QDateTime &expiresAt, const QDateTime &now)
{
    Result<sql::Rows> revoked
        = sql::query(m_database.connection(),
                     "INSERT INTO revoked_tokens (jti, agent_id, revoked_at, expires_at) VALUES "
                     "(?,?,?,?) ON CONFLICT (jti) DO NOTHING",
                     {tokenId, agentId, now, expiresAt});
    return revoked ? Status() : Status(revoked.error());
}

Result<bool> CredentialStore::isAccessRevoked(const QString &tokenId) const
{
    Result<sql::Rows> got = sql::query(m_database.connection(),
                                       "SELECT 1 FROM revoked_tokens WHERE jti=?", {tokenId});
    if (!got)
        return got.error();
    return !got->empty();
}

Status CredentialStore::prune(const QDateTime &now)
{
    for (const char *statement : {"DELETE FROM revoked_tokens WHERE expires_at < ?",
                                  "DELETE FROM refresh_tokens WHERE expires_at < ?"}) {
        Result<sql::Rows> pruned = sql::query(m_database.connection(), statement, {now});
        if (!pruned)
            return pruned.error();
    }
    return {};
}

} // namespace ordinaut
