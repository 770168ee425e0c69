// AgentService: identities for API and MCP clients.
#pragma once

#include "core/Agent.h"
#include "core/Result.h"

namespace ordinaut {

class Engine;

class AgentService final
{
public:
    explicit AgentService(Engine &engine);

    // InvalidArgument for an empty or over-long name.
    Result<Agent> create(const QString &name, const QStringList &scopes, const QString &actor);
    // NotFound for an unknown id.
    Result<Agent> get(const QString &id) const;

private:
    Engine &m_engine;
};

} // namespace ordinaut
