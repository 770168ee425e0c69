// TokenSigner: bearer tokens for agents. A token names its agent and carries an
// HMAC-SHA256 of that name under the data folder's signing key, so it cannot be guessed or
// forged, and it is checked in constant time. Scoped JWTs replace it with the API issue.
#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace ordinaut {

class TokenSigner final
{
public:
    explicit TokenSigner(QByteArray secret);

    // "ordn_<agent id>_<43 characters of base64url MAC>".
    QString issue(const QString &agentId) const;
    // The agent id when the token's MAC is valid; nullopt otherwise (malformed or forged).
    std::optional<QString> verify(const QString &token) const;

private:
    QByteArray mac(const QString &agentId) const;

    QByteArray m_secret;
};

// Compares two byte strings in time that depends only on their lengths.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace ordinaut
