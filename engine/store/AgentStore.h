// AgentStore: the agents table (API/MCP identities).
#pragma once

#include "core/Agent.h"
#include "core/Result.h"

#include <vector>

namespace ordinaut {

class Database;

class AgentStore final
{
public:
    explicit AgentStore(const Database &database);

    Status insert(const Agent &agent);
    // NotFound when the id is unknown.
    Result<Agent> get(const QString &id) const;
    // Every agent, oldest first.
    Result<std::vector<Agent>> list() const;
    // Name, scopes, disabled and how new tasks start as in `agent`. NotFound when the id is
    // unknown.
    Status update(const Agent &agent);

private:
    const Database &m_database;
};

} // namespace ordinaut
