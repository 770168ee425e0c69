// AgentService: agent creation with audit and event.
#include "AgentService.h"

#include "core/Clock.h"
#include "core/Id.h"
#include "core/Scopes.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "store/AgentStore.h"
#include "store/AuditLog.h"
#include "store/CredentialStore.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/Sql.h"
#include "store/WriteQueue.h"

namespace ordinaut {

AgentService::AgentService(Engine &engine)
    : m_engine(engine)
{}

namespace {

Status checkName(const QString &name)
{
    if (name.trimmed().isEmpty() || name.size() > 100)
        return Error::invalid(QStringLiteral("name"),
                              QStringLiteral("must be 1 to 100 characters"));
    return {};
}

Status checkScopes(const QStringList &list)
{
    for (int i = 0; i < list.size(); ++i)
        if (!scopes::isKnown(list[i]))
            return Error::invalid(QStringLiteral("scopes[%1]").arg(i),
                                  QStringLiteral("'%1' is not a scope (known: *, %2)")
                                      .arg(list[i], scopes::known().join(QStringLiteral(", "))));
    return {};
}

} // namespace

Result<Agent> AgentService::create(const QString &name, const QStringList &scopes,
                                   const QString &actor, NewTasks newTasks)
{
    if (Status named = checkName(name); !named)
        return named.error();
    if (Status scoped = checkScopes(scopes); !scoped)
        return scoped.error();
    Agent agent;
    agent.id = newId(m_engine.clock());
    agent.name = name.trimmed();
    agent.scopes = scopes;
    agent.newTasks = newTasks;
    agent.createdAt = m_engine.clock().now();

    const Database &db = m_engine.database();
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    if (Status stored = AgentStore(db).insert(agent); !stored)
        return stored.error();
    if (Status audited = AuditLog(db).append(AuditEntry{
            0, actor, QStringLiteral("agent.create"), agent.id,
            Json{{"name", agent.name}, {"tasks_start_proposed", newTasks == NewTasks::Proposed}},
            agent.createdAt});
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

Result<std::vector<Agent>> AgentService::list() const
{
    return AgentStore(m_engine.database()).list();
}

Result<Agent> AgentService::update(const QString &id, const Patch &patch, const QString &actor)
{
    if (patch.name)
        if (Status named = checkName(*patch.name); !named)
            return named.error();
    if (patch.scopes)
        if (Status scoped = checkScopes(*patch.scopes); !scoped)
            return scoped.error();
    const Database &db = m_engine.database();
    const QDateTime now = m_engine.clock().now();
    std::optional<Agent> changed;
    std::optional<Event> event;
    const Status written = db.writer().write(Durability::Durable, [&]() -> Status {
        changed.reset();
        event.reset();
        AgentStore store(db);
        Result<Agent> agent = store.get(id);
        if (!agent)
            return agent.error();
        const bool disabling = patch.disabled && *patch.disabled && !agent->disabled;
        if (patch.name)
            agent->name = patch.name->trimmed();
        if (patch.scopes)
            agent->scopes = *patch.scopes;
        if (patch.disabled)
            agent->disabled = *patch.disabled;
        if (patch.newTasks)
            agent->newTasks = *patch.newTasks;
        if (Status stored = store.update(*agent); !stored)
            return stored;
        if (disabling)
            if (Status retired = CredentialStore(db).retireAgentRefreshes(id, now); !retired)
                return retired;
        Json scopes = Json::array();
        for (const QString &scope : std::as_const(agent->scopes))
            scopes.push_back(scope);
        const Json details{{"name", agent->name},
                           {"scopes", scopes},
                           {"disabled", agent->disabled},
                           {"tasks_start_proposed", agent->newTasks == NewTasks::Proposed}};
        if (Status audited = AuditLog(db).append(
                AuditEntry{0, actor, QStringLiteral("agent.update"), id, details, now});
            !audited)
            return audited;
        Result<Event> stored = EventLog(db).append(
            m_engine.eventBus().make(QStringLiteral("agent.updated"),
                                     Json{{"agent_id", id}, {"disabled", agent->disabled}}, actor));
        if (!stored)
            return stored.error();
        event = *stored;
        changed = *agent;
        return {};
    });
    if (!written)
        return written.error();
    m_engine.eventBus().announce(*event);
    return *changed;
}

Result<std::vector<AuditEntry>> AgentService::activity(const QString &id, int limit) const
{
    if (Result<Agent> agent = get(id); !agent)
        return agent.error();
    return AuditLog(m_engine.database()).byActor(QStringLiteral("agent:") + id, limit);
}

} // namespace ordinaut
