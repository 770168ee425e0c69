// ToolRegistry: name → tool and compiled schemas.
#include "ToolRegistry.h"

#include "DebugEchoTool.h"
#include "EmailSendTool.h"
#include "FileTools.h"
#include "HttpRequestTool.h"
#include "JsonTransformTool.h"
#include "LlmChatTool.h"
#include "NotifyDesktopTool.h"
#include "OrchestratorTools.h"
#include "PauseTools.h"
#include "ShellRunTool.h"
#include "ToolEnvironment.h"

namespace ordinaut {

std::shared_ptr<ToolRegistry>
ToolRegistry::withBuiltins(std::shared_ptr<ToolEnvironment> environment)
{
    // Tools read an absent setting as its default, so an empty environment is a safe one.
    if (!environment)
        environment = std::make_shared<ToolEnvironment>();
    auto registry = std::make_shared<ToolRegistry>();
    const std::shared_ptr<const Tool> builtins[] = {
        std::make_shared<DebugEchoTool>(),
        std::make_shared<HttpRequestTool>(),
        std::make_shared<EmailSendTool>(environment),
        std::make_shared<JsonTransformTool>(),
        std::make_shared<LlmChatTool>(environment),
        std::make_shared<FileReadTool>(environment),
        std::make_shared<FileWriteTool>(environment),
        std::make_shared<ShellRunTool>(environment),
        std::make_shared<NotifyDesktopTool>(environment),
        std::make_shared<ScheduleTaskTool>(environment),
        std::make_shared<RunTaskTool>(environment),
        std::make_shared<EmitEventTool>(environment),
        std::make_shared<TimeWaitTool>(),
        std::make_shared<HumanApproveTool>(),
    };
    for (const auto &tool : builtins) {
        // A built-in schema that does not compile is a bug caught by every test.
        if (Status added = registry->add(tool); !added)
            qFatal("tool %s: %s", qPrintable(tool->name()), qPrintable(added.error().describe()));
    }
    return registry;
}

Status ToolRegistry::add(std::shared_ptr<const Tool> tool)
{
    Result<JsonSchema> input = JsonSchema::compile(tool->inputSchema());
    if (!input)
        return Error{
            input.error().code, QStringLiteral("input schema: ") + input.error().message, {}};
    Result<JsonSchema> output = JsonSchema::compile(tool->outputSchema());
    if (!output)
        return Error{
            output.error().code, QStringLiteral("output schema: ") + output.error().message, {}};
    const QString name = tool->name();
    m_tools.insert_or_assign(name, Entry{std::move(tool), std::move(*input), std::move(*output)});
    return {};
}

const Tool *ToolRegistry::find(const QString &name) const
{
    const Entry *found = entry(name);
    return found ? found->tool.get() : nullptr;
}

const ToolRegistry::Entry *ToolRegistry::entry(const QString &name) const
{
    const auto it = m_tools.find(name);
    return it == m_tools.end() ? nullptr : &it->second;
}

QStringList ToolRegistry::names() const
{
    QStringList list;
    for (const auto &[name, entry] : m_tools)
        list << name;
    return list;
}

Json ToolRegistry::catalog() const
{
    Json list = Json::array();
    for (const auto &[name, entry] : m_tools)
        list.push_back(Json{{"name", name},
                            {"title", entry.tool->title()},
                            {"description", entry.tool->description()},
                            {"input_schema", entry.input.document()},
                            {"output_schema", entry.output.document()}});
    return list;
}

} // namespace ordinaut
