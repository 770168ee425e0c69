// SecretService: sets the secrets tools use — the SMTP password and each LLM provider's API
// key — in the secret store (the OS keychain), never in the database. Values are write-only:
// nothing here reads one back; status() only says which are set. Changes are audited without
// the value.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

namespace ordinaut {

class Engine;

class SecretService final
{
public:
    explicit SecretService(Engine &engine);

    // `name` is "email.smtp.password" or "llm.<provider>.api_key". InvalidArgument for another
    // name or an empty value; Unavailable when no secret store is configured or it fails.
    Status set(const QString &name, const QByteArray &value, const QString &actor);
    // {"email.smtp.password": bool, "llm.<provider>.api_key": bool, …} for the configured
    // providers.
    Result<Json> status() const;

private:
    Engine &m_engine;
};

} // namespace ordinaut
