// orchestrator.schedule_task / run_task / emit_event: a pipeline acting on the engine — create a
// follow-up task, start one, publish an event. They go through the Orchestrator (the service
// layer), so they are validated and audited like API calls, with the run as the actor.
#pragma once

#include "EnvironmentTool.h"

#include <memory>

namespace ordinaut {

class ScheduleTaskTool final : public EnvironmentTool
{
public:
    using EnvironmentTool::EnvironmentTool;
    QString name() const override { return QStringLiteral("orchestrator.schedule_task"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

class RunTaskTool final : public EnvironmentTool
{
public:
    using EnvironmentTool::EnvironmentTool;
    QString name() const override { return QStringLiteral("orchestrator.run_task"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

class EmitEventTool final : public EnvironmentTool
{
public:
    using EnvironmentTool::EnvironmentTool;
    QString name() const override { return QStringLiteral("orchestrator.emit_event"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
