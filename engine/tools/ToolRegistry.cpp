// ToolRegistry: name → tool.
#include "ToolRegistry.h"

#include "DebugEchoTool.h"
#include "HttpRequestTool.h"

namespace ordinaut {

std::shared_ptr<ToolRegistry> ToolRegistry::withBuiltins()
{
    auto registry = std::make_shared<ToolRegistry>();
    registry->add(std::make_shared<DebugEchoTool>());
    registry->add(std::make_shared<HttpRequestTool>());
    return registry;
}

void ToolRegistry::add(std::shared_ptr<const Tool> tool)
{
    const QString name = tool->name();
    m_tools[name] = std::move(tool);
}

const Tool *ToolRegistry::find(const QString &name) const
{
    const auto it = m_tools.find(name);
    return it == m_tools.end() ? nullptr : it->second.get();
}

QStringList ToolRegistry::names() const
{
    QStringList list;
    for (const auto &[name, tool] : m_tools)
        list << name;
    return list;
}

} // namespace ordinaut
