// orchestrator.schedule_task / run_task / emit_event: a pipeline acting on the engine — create a
// follow-up task, start one, publish an event. They go through the Orchestrator (the service
// layer), so they are validated and audited like API calls, with the run as the actor.
#pragma once

#include "Tool.h"

#include <memory>

namespace ordinaut {

class ToolEnvironment;

class ScheduleTaskTool final : public Tool
{
public:
    explicit ScheduleTaskTool(std::shared_ptr<ToolEnvironment> environment);
    QString name() const override { return QStringLiteral("orchestrator.schedule_task"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;

private:
    std::shared_ptr<ToolEnvironment> m_environment;
};

class RunTaskTool final : public Tool
{
public:
    explicit RunTaskTool(std::shared_ptr<ToolEnvironment> environment);
    QString name() const override { return QStringLiteral("orchestrator.run_task"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;

private:
    std::shared_ptr<ToolEnvironment> m_environment;
};

class EmitEventTool final : public Tool
{
public:
    explicit EmitEventTool(std::shared_ptr<ToolEnvironment> environment);
    QString name() const override { return QStringLiteral("orchestrator.emit_event"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;

private:
    std::shared_ptr<ToolEnvironment> m_environment;
};

} // namespace ordinaut
