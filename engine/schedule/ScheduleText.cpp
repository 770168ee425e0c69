// ScheduleText implementation.
#include "ScheduleText.h"

#include "core/Json.h"

#include <QTimeZone>

namespace ordinaut {

QString ScheduleText::describe(const Schedule &schedule)
{
    switch (schedule.kind) {
    case ScheduleKind::Manual:
        return QStringLiteral("Manual");
    case ScheduleKind::Once: {
        const auto instant = parseInstant(schedule.expression);
        const QTimeZone zone(schedule.timezone.toUtf8());
        const QString when
            = instant && zone.isValid()
                  ? instant->toTimeZone(zone).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                  : schedule.expression;
        return QStringLiteral("Once at %1 (%2)").arg(when, schedule.timezone);
    }
    case ScheduleKind::RRule: {
        QString start = schedule.dtstart;
        start.replace(QLatin1Char('T'), QLatin1Char(' '));
        return QStringLiteral("%1 from %2 (%3)").arg(schedule.expression, start, schedule.timezone);
    }
    }
    return {};
}

} // namespace ordinaut
