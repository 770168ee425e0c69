// AgentService: agent creation with audit and event.
#include "AgentService.h"

#include "core/Clock.h"
#include "core/Id.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "store/AgentStore.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/Sql.h"

namespace ordinaut {

AgentService::AgentService(Engine &engine)
    : m_engine(engine)
{}

Result<Agent> AgentService::create(const QString &name, const QStringList &scopes,
                                   const QString &actor)
{
    if (name.trimmed().isEmpty() || name.size() > 100)
        return Error::invalid(QStringLiteral("name"),
                              QStringLiteral("must be 1 to 100 characters"));
    Agent agent;
    agent.id = newId(m_engine.clock());
    agent.name = name.trimmed();
    agent.scopes = scopes;
    agent.createdAt = m_engine.clock().now();

    const Database &db = m_engine.database();
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    if (Status stored = AgentStore(db).insert(agent); !stored)
        return stored.error();
    if (Status audited
        = AuditLog(db).append(AuditEntry{0, actor, QStringLiteral("agent.create"), agent.id,
                                         Json{{"name", agent.name}}, agent.createdAt});
        !audited)
        return audited.error();
    Result<Event> event = EventLog(db).append(
        m_engine.eventBus().make(QStringLiteral("agent.created"),
                                 Json{{"agent_id", agent.id}, {"name", agent.name}}, actor));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    m_engine.eventBus().announce(*event);
    return agent;
}

Result<Agent> AgentService::get(const QString &id) const
{
    return AgentStore(m_engine.database()).get(id);
}

} // namespace ordinaut
