// time.wait and human.approve: steps that pause their run without holding a worker. The first
// call asks the executor to pause (ToolContext::suspension); the run goes back to the queue
// and resumes at this step when the time comes or a person answers.
#pragma once

#include "Tool.h"

namespace ordinaut {

class TimeWaitTool final : public Tool
{
public:
    static constexpr qint64 kMaxWaitSeconds = 30LL * 24 * 3600;

    QString name() const override { return QStringLiteral("time.wait"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

class HumanApproveTool final : public Tool
{
public:
    static constexpr qint64 kDefaultTimeoutSeconds = 24 * 3600;
    static constexpr qint64 kMaxTimeoutSeconds = 30LL * 24 * 3600;

    QString name() const override { return QStringLiteral("human.approve"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
