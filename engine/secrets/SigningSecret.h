// SigningSecret: the 256-bit key that signs API tokens for one data folder. Kept in the OS
// keychain; where none is reachable (a headless server, CI), in a 0600 file in the data folder,
// with a warning. ORDINAUT_SECRET_STORE=keychain|file forces one.
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QString>

#include <functional>

namespace ordinaut {

class SecretStore;

class SigningSecret final
{
public:
    static constexpr int kBytes = 32;

    // Reads the data folder's secret, creating it on first use. `warn` receives messages a
    // person should see (the file fallback). Unavailable when no store can keep it.
    static Result<QByteArray> loadOrCreate(const QString &dataDir,
                                           const std::function<void(const QString &)> &warn);
    // The same on a given store (tests use a MemorySecretStore).
    static Result<QByteArray> loadOrCreate(SecretStore &store, const QString &key);
    // The keychain entry name for a data folder (one secret per folder).
    static QString keyFor(const QString &dataDir);
};

} // namespace ordinaut
