// json.transform: shapes data between steps with the pipeline's own expression language —
// filter items, map each to new fields, sort, limit, pick paths. Expressions here are bare (no
// "${…}"): they are evaluated per item with `item` and `index` in scope, after the step's
// templates are rendered.
#pragma once

#include "Tool.h"

namespace ordinaut {

class JsonTransformTool final : public Tool
{
public:
    static constexpr int kMaxItems = 100000;

    QString name() const override { return QStringLiteral("json.transform"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
