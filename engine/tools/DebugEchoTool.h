// debug.echo: returns its rendered `with` object unchanged. For trying templates and wiring.
#pragma once

#include "Tool.h"

namespace ordinaut {

class DebugEchoTool final : public Tool
{
public:
    QString name() const override { return QStringLiteral("debug.echo"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
