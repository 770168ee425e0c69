// shell.run: starts one program with an argument list — no shell, so nothing in the arguments
// is interpreted — and returns its exit code and output. Off unless the user turns on
// "tools.shell.enabled" and lists the program in "tools.shell.allowed_programs".
#pragma once

#include "Tool.h"

#include <memory>

namespace ordinaut {

class ToolEnvironment;

class ShellRunTool final : public Tool
{
public:
    static constexpr qint64 kDefaultMaxOutputBytes = 1024 * 1024;

    explicit ShellRunTool(std::shared_ptr<ToolEnvironment> environment);
    QString name() const override { return QStringLiteral("shell.run"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;

private:
    std::shared_ptr<ToolEnvironment> m_environment;
};

} // namespace ordinaut
