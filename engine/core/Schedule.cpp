// Schedule kind names as they appear in the API and the database.
#include "Schedule.h"

namespace ordinaut {

QString toString(ScheduleKind kind)
{
    switch (kind) {
    case ScheduleKind::RRule:
        return QStringLiteral("rrule");
    case ScheduleKind::Once:
        return QStringLiteral("once");
    case ScheduleKind::Manual:
        return QStringLiteral("manual");
    case ScheduleKind::Cron:
        return QStringLiteral("cron");
    case ScheduleKind::Event:
        return QStringLiteral("event");
    }
    return {};
}

std::optional<ScheduleKind> scheduleKindFromString(const QString &text)
{
    if (text == QLatin1String("rrule"))
        return ScheduleKind::RRule;
    if (text == QLatin1String("once"))
        return ScheduleKind::Once;
    if (text == QLatin1String("manual"))
        return ScheduleKind::Manual;
    if (text == QLatin1String("cron"))
        return ScheduleKind::Cron;
    if (text == QLatin1String("event"))
        return ScheduleKind::Event;
    return std::nullopt;
}

} // namespace ordinaut
