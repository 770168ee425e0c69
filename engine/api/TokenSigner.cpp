// TokenSigner: HMAC-SHA256 tokens.
#include "TokenSigner.h"

#include "core/Id.h"

#include <QMessageAuthenticationCode>

namespace ordinaut {

namespace {
const QLatin1String kPrefix("ordn_");
constexpr int kIdLength = 36;
constexpr QByteArray::Base64Options kEncoding
    = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
} // namespace

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

TokenSigner::TokenSigner(QByteArray secret)
    : m_secret(std::move(secret))
{}

QByteArray TokenSigner::mac(const QString &agentId) const
{
    return QMessageAuthenticationCode::hash("ordinaut-token-v1:" + agentId.toUtf8(), m_secret,
                                            QCryptographicHash::Sha256);
}

QString TokenSigner::issue(const QString &agentId) const
{
    return kPrefix + agentId + QLatin1Char('_')
           + QString::fromLatin1(mac(agentId).toBase64(kEncoding));
}

std::optional<QString> TokenSigner::verify(const QString &token) const
{
    if (!token.startsWith(kPrefix) || token.size() < kPrefix.size() + kIdLength + 2)
        return std::nullopt;
    const QString agentId = token.mid(kPrefix.size(), kIdLength);
    if (!isUuid(agentId) || token.at(kPrefix.size() + kIdLength) != QLatin1Char('_'))
        return std::nullopt;
    const QByteArray given
        = QByteArray::fromBase64(token.mid(kPrefix.size() + kIdLength + 1).toLatin1(), kEncoding);
    if (!constantTimeEquals(given, mac(agentId)))
        return std::nullopt;
    return agentId;
}

} // namespace ordinaut
