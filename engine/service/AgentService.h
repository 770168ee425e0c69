// AgentService: identities for API and MCP clients.
#pragma once

#include "core/Agent.h"
#include "core/Result.h"
#include "store/AuditLog.h"

#include <optional>
#include <vector>

namespace ordinaut {

class Engine;

class AgentService final
{
public:
    explicit AgentService(Engine &engine);

    // `newTasks`: whether the tasks it creates start proposed (waiting for the owner's
    // acceptance). InvalidArgument for an empty or over-long name, or an unknown scope
    // (`scopes[i]`).
    Result<Agent> create(const QString &name, const QStringList &scopes, const QString &actor,
                         NewTasks newTasks = NewTasks::Active);
    // NotFound for an unknown id.
    Result<Agent> get(const QString &id) const;
    Result<std::vector<Agent>> list() const;

    // What to change; what is absent stays.
    struct Patch
    {
        std::optional<QString> name;
        std::optional<QStringList> scopes;
        std::optional<bool> disabled;
        std::optional<NewTasks> newTasks;
    };
    // Changes an agent, audited. Disabling it also revokes its refresh tokens (its access tokens
    // stop working at once: every request checks the agent). NotFound; InvalidArgument as for
    // create().
    Result<Agent> update(const QString &id, const Patch &patch, const QString &actor);
    // What the agent did, newest first. NotFound for an unknown id.
    Result<std::vector<AuditEntry>> activity(const QString &id, int limit) const;

private:
    Engine &m_engine;
};

} // namespace ordinaut
