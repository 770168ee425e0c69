// shell.run: starts one program with an argument list — no shell, so nothing in the arguments
// is interpreted — and returns its exit code and output. Off unless the user turns on
// "tools.shell.enabled" and lists the program in "tools.shell.allowed_programs".
#pragma once

#include "EnvironmentTool.h"

#include <memory>

namespace ordinaut {

class ShellRunTool final : public EnvironmentTool
{
public:
    static constexpr qint64 kDefaultMaxOutputBytes = 1024 * 1024;

    using EnvironmentTool::EnvironmentTool;
    QString name() const override { return QStringLiteral("shell.run"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
