// EnvironmentTool: the base of tools that reach beyond their input — settings, secrets, the
// notifier or the orchestrator — through the engine's ToolEnvironment.
#pragma once

#include "Tool.h"

#include <memory>

namespace ordinaut {

class ToolEnvironment;

class EnvironmentTool : public Tool
{
public:
    explicit EnvironmentTool(std::shared_ptr<ToolEnvironment> environment)
        : m_environment(std::move(environment))
    {}

protected:
    ToolEnvironment &environment() const { return *m_environment; }

private:
    std::shared_ptr<ToolEnvironment> m_environment;
};

} // namespace ordinaut
