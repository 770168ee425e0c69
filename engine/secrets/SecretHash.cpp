// SecretHash: scrypt from OpenSSL, salts from the system's random generator.
#include "SecretHash.h"

#include <QRandomGenerator>
#include <QStringList>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace ordinaut {

namespace {

constexpr int kSaltBytes = 16;
constexpr int kHashBytes = 32;
constexpr int kMaxLogN = 20; // what a stored value may ask for: 1 GiB at r = 8

QByteArray randomBytes(int count)
{
    QByteArray bytes(count, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), count / 4);
    return bytes;
}

std::optional<QByteArray> scrypt(const QByteArray &secret, const QByteArray &salt,
                                 const SecretHash::Cost &cost)
{
    if (cost.logN < 1 || cost.logN > kMaxLogN || cost.r < 1 || cost.r > 32 || cost.p < 1
        || cost.p > 16)
        return std::nullopt;
    const uint64_t n = uint64_t(1) << cost.logN;
    // scrypt needs 128 * r * N * p bytes, and a little more.
    const uint64_t memory = 128 * uint64_t(cost.r) * n * uint64_t(cost.p) + (1u << 20);
    QByteArray hash(kHashBytes, Qt::Uninitialized);
    if (EVP_PBE_scrypt(secret.constData(), size_t(secret.size()),
                       reinterpret_cast<const unsigned char *>(salt.constData()),
                       size_t(salt.size()), n, uint64_t(cost.r), uint64_t(cost.p), memory,
                       reinterpret_cast<unsigned char *>(hash.data()), size_t(hash.size()))
        != 1)
        return std::nullopt;
    return hash;
}

} // namespace

Result<QString> SecretHash::make(const QString &secret, Cost cost)
{
    const QByteArray salt = randomBytes(kSaltBytes);
    const std::optional<QByteArray> hash = scrypt(secret.toUtf8(), salt, cost);
    if (!hash)
        return Error::internal(
            QStringLiteral("cannot hash a secret with scrypt (N=2^%1, r=%2, p=%3)")
                .arg(cost.logN)
                .arg(cost.r)
                .arg(cost.p));
    return QStringLiteral("scrypt$%1$%2$%3$%4$%5")
        .arg(cost.logN)
        .arg(cost.r)
        .arg(cost.p)
        .arg(QString::fromLatin1(salt.toBase64()), QString::fromLatin1(hash->toBase64()));
}

bool SecretHash::matches(const QString &secret, const QString &stored)
{
    const QStringList parts = stored.split(QLatin1Char('$'));
    if (parts.size() != 6 || parts[0] != QLatin1String("scrypt"))
        return false;
    bool okN = false, okR = false, okP = false;
    const Cost cost{parts[1].toInt(&okN), parts[2].toInt(&okR), parts[3].toInt(&okP)};
    const auto salt = QByteArray::fromBase64Encoding(parts[4].toLatin1(),
                                                     QByteArray::AbortOnBase64DecodingErrors);
    const auto expected = QByteArray::fromBase64Encoding(parts[5].toLatin1(),
                                                         QByteArray::AbortOnBase64DecodingErrors);
    if (!okN || !okR || !okP || !salt || !expected || salt.decoded.isEmpty()
        || expected.decoded.size() != kHashBytes)
        return false;
    const std::optional<QByteArray> hash = scrypt(secret.toUtf8(), salt.decoded, cost);
    return hash
           && CRYPTO_memcmp(hash->constData(), expected.decoded.constData(), size_t(kHashBytes))
                  == 0;
}

QString SecretHash::generate()
{
    return QString::fromLatin1(
        randomBytes(32).toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

} // namespace ordinaut
