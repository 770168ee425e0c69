// ToolRegistry: the tools a pipeline may use, by name, with their schemas compiled once. Filled
// at start-up, then read-only, so lookups from worker threads need no lock.
#pragma once

#include "Tool.h"

#include "core/JsonSchema.h"

#include <QStringList>

#include <map>
#include <memory>

namespace ordinaut {

class ToolEnvironment;

class ToolRegistry final
{
public:
    ToolRegistry() = default;
    Q_DISABLE_COPY_MOVE(ToolRegistry)

    struct Entry
    {
        std::shared_ptr<const Tool> tool;
        JsonSchema input;
        JsonSchema output;
    };

    // The registry with every built-in tool, reaching settings, secrets and the engine
    // through `environment` (a default one when null: default settings, no secrets).
    static std::shared_ptr<ToolRegistry> withBuiltins(std::shared_ptr<ToolEnvironment> environment
                                                      = nullptr);

    // MalformedInput when the tool's input or output schema is not a usable JSON Schema.
    Status add(std::shared_ptr<const Tool> tool);
    const Tool *find(const QString &name) const;
    const Entry *entry(const QString &name) const;
    bool contains(const QString &name) const { return find(name) != nullptr; }
    QStringList names() const;
    // The catalog: [{"name","title","description","input_schema","output_schema"}] by name.
    Json catalog() const;

private:
    std::map<QString, Entry> m_tools;
};

} // namespace ordinaut
