// notify.desktop: tells the person at the machine something, through the Notifier the app
// provides (a tray notification in the desktop app, a log line in the server).
#pragma once

#include "Tool.h"

#include <memory>

namespace ordinaut {

class ToolEnvironment;

class NotifyDesktopTool final : public Tool
{
public:
    explicit NotifyDesktopTool(std::shared_ptr<ToolEnvironment> environment);
    QString name() const override { return QStringLiteral("notify.desktop"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;

private:
    std::shared_ptr<ToolEnvironment> m_environment;
};

} // namespace ordinaut
