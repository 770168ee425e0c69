// SecretService: name rules, the store, and the audit entry.
#include "SecretService.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "secrets/SecretStore.h"
#include "store/AuditLog.h"
#include "tools/ToolEnvironment.h"

#include <QRegularExpression>

namespace ordinaut {

SecretService::SecretService(Engine &engine)
    : m_engine(engine)
{}

Status SecretService::set(const QString &name, const QByteArray &value, const QString &actor)
{
    static const QRegularExpression provider(
        QStringLiteral("^llm\\.[A-Za-z0-9_-]{1,64}\\.api_key$"));
    if (name != QLatin1String("email.smtp.password") && !provider.match(name).hasMatch())
        return Error::invalid(QStringLiteral("name"),
                              QStringLiteral("'%1' is not a secret tools use (email.smtp.password "
                                             "or llm.<provider>.api_key)")
                                  .arg(name));
    if (value.isEmpty())
        return Error::invalid(QStringLiteral("value"), QStringLiteral("must not be empty"));
    if (value.size() > 16384)
        return Error::invalid(QStringLiteral("value"),
                              QStringLiteral("must be at most 16384 bytes"));
    const std::shared_ptr<SecretStore> store = m_engine.toolEnvironment().secrets();
    if (!store)
        return Error{ErrorCode::Unavailable, QStringLiteral("no secret store is configured"), {}};
    if (Status written = store->write(name, value); !written)
        return written;
    return AuditLog(m_engine.database())
        .append(AuditEntry{0, actor, QStringLiteral("secret.set"), name,
                           Json{{"store", store->describe()}}, m_engine.clock().now()});
}

Result<Json> SecretService::status() const
{
    const std::shared_ptr<SecretStore> store = m_engine.toolEnvironment().secrets();
    if (!store)
        return Error{ErrorCode::Unavailable, QStringLiteral("no secret store is configured"), {}};
    QStringList names = {QStringLiteral("email.smtp.password")};
    const Json providers = m_engine.toolEnvironment().setting("tools.llm.providers");
    if (providers.is_object())
        for (const auto &[provider, config] : providers.items())
            names << QStringLiteral("llm.%1.api_key").arg(qs(provider));
    Json result = Json::object();
    for (const QString &name : names) {
        Result<std::optional<QByteArray>> value = store->read(name);
        if (!value)
            return value.error();
        result[name.toStdString()] = value->has_value();
    }
    return result;
}

} // namespace ordinaut
