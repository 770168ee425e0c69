// debug.echo implementation.
#include "DebugEchoTool.h"

namespace ordinaut {

QString DebugEchoTool::title() const
{
    return QStringLiteral("Echo");
}

QString DebugEchoTool::description() const
{
    return QStringLiteral("Returns its input unchanged, after templates are rendered.");
}

Json DebugEchoTool::inputSchema() const
{
    return Json{{"type", "object"}};
}

Json DebugEchoTool::outputSchema() const
{
    return Json{{"type", "object"}};
}

Result<Json> DebugEchoTool::invoke(const Json &input, ToolContext &) const
{
    return input;
}

} // namespace ordinaut
