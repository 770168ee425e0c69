// SecretStore: where Ordinaut keeps secrets (the token signing key, later SMTP and LLM keys).
// The OS keychain through QtKeychain where one exists; a clearly-warned 0600 file otherwise;
// memory in tests.
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QHash>
#include <QMutex>

#include <functional>
#include <memory>
#include <optional>

namespace ordinaut {

class SecretStore
{
public:
    virtual ~SecretStore() = default;
    // nullopt when no secret is stored under `key`. Unavailable when the store cannot be used.
    virtual Result<std::optional<QByteArray>> read(const QString &key) = 0;
    virtual Status write(const QString &key, const QByteArray &value) = 0;
    // "the OS keychain", "the file /path (mode 0600)", … for messages.
    virtual QString describe() const = 0;
};

class KeychainSecretStore final : public SecretStore
{
public:
    explicit KeychainSecretStore(QString service);
    // False where no keychain can be reached without side effects (e.g. no D-Bus session on
    // Linux, where asking would try to start one).
    static bool isLikelyAvailable();
    Result<std::optional<QByteArray>> read(const QString &key) override;
    Status write(const QString &key, const QByteArray &value) override;
    QString describe() const override;

private:
    QString m_service;
};

class FileSecretStore final : public SecretStore
{
public:
    explicit FileSecretStore(QString directory);
    Result<std::optional<QByteArray>> read(const QString &key) override;
    Status write(const QString &key, const QByteArray &value) override;
    QString describe() const override;
    QString pathFor(const QString &key) const;

private:
    QString m_directory;
};

// The store for the user's secrets (SMTP password, LLM keys) in `dataDir`: the OS keychain where
// one can be reached, else the 0600 file store with a warning through `warn`.
// ORDINAUT_SECRET_STORE=file|keychain forces one.
std::shared_ptr<SecretStore> openSecretStore(const QString &dataDir,
                                             const std::function<void(const QString &)> &warn);

class MemorySecretStore final : public SecretStore
{
public:
    Result<std::optional<QByteArray>> read(const QString &key) override;
    Status write(const QString &key, const QByteArray &value) override;
    QString describe() const override { return QStringLiteral("memory"); }

private:
    QMutex m_mutex;
    QHash<QString, QByteArray> m_values;
};

} // namespace ordinaut
