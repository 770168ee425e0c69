// ToolRegistry: the tools a pipeline may use, by name. Filled at start-up, then read-only, so
// lookups from worker threads need no lock.
#pragma once

#include "Tool.h"

#include <QStringList>

#include <map>
#include <memory>

namespace ordinaut {

class ToolRegistry final
{
public:
    ToolRegistry() = default;
    Q_DISABLE_COPY_MOVE(ToolRegistry)

    // The registry with every built-in tool.
    static std::shared_ptr<ToolRegistry> withBuiltins();

    void add(std::shared_ptr<const Tool> tool);
    const Tool *find(const QString &name) const;
    bool contains(const QString &name) const { return find(name) != nullptr; }
    QStringList names() const;

private:
    std::map<QString, std::shared_ptr<const Tool>> m_tools;
};

} // namespace ordinaut
