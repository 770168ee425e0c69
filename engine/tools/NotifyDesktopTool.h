// notify.desktop: tells the person at the machine something, through the Notifier the app
// provides (a tray notification in the desktop app, a log line in the server).
#pragma once

#include "EnvironmentTool.h"

#include <memory>

namespace ordinaut {

class NotifyDesktopTool final : public EnvironmentTool
{
public:
    using EnvironmentTool::EnvironmentTool;
    QString name() const override { return QStringLiteral("notify.desktop"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
