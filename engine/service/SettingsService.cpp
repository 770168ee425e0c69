// SettingsService implementation.
#include "SettingsService.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "runtime/EngineSettings.h"
#include "runtime/EventBus.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/SettingsStore.h"
#include "store/Sql.h"
#include "tools/ToolEnvironment.h"

namespace ordinaut {

SettingsService::SettingsService(Engine &engine)
    : m_engine(engine)
{}

Result<Json> SettingsService::get() const
{
    Result<EngineSettings> settings = EngineSettings::load(m_engine.database());
    if (!settings)
        return settings.error();
    return settings->toJson();
}

Result<Json> SettingsService::update(const Json &patch, const QString &actor)
{
    const Database &db = m_engine.database();
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    Result<EngineSettings> current = EngineSettings::load(db);
    if (!current)
        return current.error();
    Result<EngineSettings> next = current->patched(patch);
    if (!next)
        return next.error();
    const QDateTime now = m_engine.clock().now();
    SettingsStore store(db);
    for (const auto &[key, value] : patch.items()) {
        if (Status stored = store.put(qs(key), value, now); !stored)
            return stored.error();
    }
    if (Status audited = AuditLog(db).append(
            AuditEntry{0, actor, QStringLiteral("settings.update"), QStringLiteral("settings"),
                       Json{{"before", current->toJson()}, {"after", next->toJson()}}, now});
        !audited)
        return audited.error();
    Result<Event> event = EventLog(db).append(
        m_engine.eventBus().make(QStringLiteral("settings.changed"), next->toJson(), actor));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    // Tools on this engine see the change before the call returns; other engines on the
    // database pick it up from the event.
    m_engine.toolEnvironment().setSettings(next->toJson());
    m_engine.eventBus().announce(*event);
    return next->toJson();
}

} // namespace ordinaut
