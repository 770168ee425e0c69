// AgentStore: the agents table (API/MCP identities).
#pragma once

#include "core/Agent.h"
#include "core/Result.h"

namespace ordinaut {

class Database;

class AgentStore final
{
public:
    explicit AgentStore(const Database &database);

    Status insert(const Agent &agent);
    // NotFound when the id is unknown.
    Result<Agent> get(const QString &id) const;

private:
    const Database &m_database;
};

} // namespace ordinaut
