// notify.desktop: input → Notifier.
#include "NotifyDesktopTool.h"

#include "Notifier.h"
#include "ToolEnvironment.h"

namespace ordinaut {

QString NotifyDesktopTool::title() const
{
    return QStringLiteral("Desktop notification");
}

QString NotifyDesktopTool::description() const
{
    return QStringLiteral("Shows a notification from the tray icon of the desktop app (the "
                          "server writes it to its log).");
}

Json NotifyDesktopTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["title"], "additionalProperties": false,
      "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "body": {"type": "string", "maxLength": 4000},
        "urgency": {"enum": ["low", "normal", "critical"], "default": "normal"}
      }})");
}

Json NotifyDesktopTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["channel"], "properties": {"channel": {"type": "string"}}})");
}

Result<Json> NotifyDesktopTool::invoke(const Json &input, ToolContext &) const
{
    const std::string urgency = input.value("urgency", std::string("normal"));
    const std::shared_ptr<Notifier> notifier = environment().notifier();
    notifier->notify(input["title"].get<QString>(), qs(input.value("body", std::string())),
                     urgency == "critical" ? NotificationUrgency::Critical
                     : urgency == "low"    ? NotificationUrgency::Low
                                           : NotificationUrgency::Normal);
    return Json{{"channel", notifier->channel()}};
}

} // namespace ordinaut
