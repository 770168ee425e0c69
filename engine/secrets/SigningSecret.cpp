// SigningSecret: choosing the store and creating the key.
#include "SigningSecret.h"

#include "SecretStore.h"

#include <QCryptographicHash>
#include <QDir>
#include <QRandomGenerator>

namespace ordinaut {

QString SigningSecret::keyFor(const QString &dataDir)
{
    const QByteArray digest = QCryptographicHash::hash(QDir(dataDir).absolutePath().toUtf8(),
                                                       QCryptographicHash::Sha256);
    return QStringLiteral("token-signing-key-") + QString::fromLatin1(digest.toHex().left(16));
}

Result<QByteArray> SigningSecret::loadOrCreate(SecretStore &store, const QString &key)
{
    Result<std::optional<QByteArray>> existing = store.read(key);
    if (!existing)
        return existing.error();
    if (existing->has_value() && (*existing)->size() == kBytes)
        return **existing;
    QByteArray secret(kBytes, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(secret.data()), kBytes / 4);
    if (Status written = store.write(key, secret); !written)
        return written.error();
    return secret;
}

Result<QByteArray> SigningSecret::loadOrCreate(const QString &dataDir,
                                               const std::function<void(const QString &)> &warn)
{
    const QString mode = qEnvironmentVariable("ORDINAUT_SECRET_STORE");
    FileSecretStore file(QDir(dataDir).filePath(QStringLiteral("secrets")));
    const QString fileKey = QStringLiteral("token-signing.key");
    if (mode == QLatin1String("file"))
        return loadOrCreate(file, fileKey);

    // A secret already in the file (from a run without a keychain) stays authoritative, so
    // existing tokens keep working.
    if (mode != QLatin1String("keychain")) {
        Result<std::optional<QByteArray>> fromFile = file.read(fileKey);
        if (fromFile && fromFile->has_value() && (*fromFile)->size() == kBytes)
            return **fromFile;
    }

    QString why = QStringLiteral("no D-Bus session, so no keyring can be reached");
    if (mode == QLatin1String("keychain") || KeychainSecretStore::isLikelyAvailable()) {
        KeychainSecretStore keychain(QStringLiteral("Ordinaut"));
        Result<QByteArray> secret = loadOrCreate(keychain, keyFor(dataDir));
        if (secret || mode == QLatin1String("keychain"))
            return secret;
        why = secret.error().message;
    }
    warn(QStringLiteral("No OS keychain is available (%1). The token signing key is kept in %2 "
                        "instead, readable only by you; protect that folder.")
             .arg(why, file.pathFor(fileKey)));
    return loadOrCreate(file, fileKey);
}

} // namespace ordinaut
