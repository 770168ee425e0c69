// ScheduleInput implementation.
#include "ScheduleInput.h"

namespace ordinaut {

Result<Schedule> ScheduleInput::apply(const Json &body, Schedule schedule, TaskInputMode mode)
{
    const bool creating = mode == TaskInputMode::Create;
    if (body.contains("schedule_kind")) {
        const Json &kind = body["schedule_kind"];
        const auto parsed
            = kind.is_string() ? scheduleKindFromString(kind.get<QString>()) : std::nullopt;
        if (!parsed) {
            const QString given
                = kind.is_string() ? kind.get<QString>() : QString::fromUtf8(dumpJson(kind));
            return Error::invalid(QStringLiteral("schedule_kind"),
                                  QStringLiteral("'%1' is not a schedule kind (supported: rrule, "
                                                 "cron, once, event, manual)")
                                      .arg(given));
        }
        schedule.kind = *parsed;
    } else if (creating && body.contains("schedule_expr")) {
        return Error::invalid(
            QStringLiteral("schedule_kind"),
            QStringLiteral("is required with schedule_expr (rrule, cron, once, event or manual)"));
    }
    if (body.contains("schedule_expr")) {
        if (!body["schedule_expr"].is_string() && !body["schedule_expr"].is_null())
            return Error::invalid(QStringLiteral("schedule_expr"),
                                  QStringLiteral("must be a string"));
        schedule.expression = body["schedule_expr"].is_null()
                                  ? QString()
                                  : body["schedule_expr"].get<QString>().trimmed();
    }
    if (body.contains("timezone")) {
        if (!body["timezone"].is_string())
            return Error::invalid(QStringLiteral("timezone"),
                                  QStringLiteral("must be an IANA time zone name"));
        schedule.timezone = body["timezone"].get<QString>().trimmed();
    }
    if (body.contains("dtstart")) {
        if (!body["dtstart"].is_string() && !body["dtstart"].is_null())
            return Error::invalid(QStringLiteral("dtstart"),
                                  QStringLiteral("must be a local date-time string"));
        schedule.dtstart
            = body["dtstart"].is_null() ? QString() : body["dtstart"].get<QString>().trimmed();
    }
    if (body.contains("calendar")) {
        const Json &calendar = body["calendar"];
        if (!calendar.is_string() && !calendar.is_null())
            return Error::invalid(QStringLiteral("calendar"),
                                  QStringLiteral("must be the name of an imported calendar, or "
                                                 "null for none"));
        schedule.calendar = calendar.is_null() ? QString() : calendar.get<QString>().trimmed();
    }
    if (schedule.kind == ScheduleKind::Manual)
        schedule.expression.clear();
    if (schedule.kind != ScheduleKind::RRule && schedule.kind != ScheduleKind::Cron) {
        if (body.contains("calendar") && !schedule.calendar.isEmpty())
            return Error::invalid(QStringLiteral("calendar"),
                                  QStringLiteral("skips days of recurring schedules only (rrule, "
                                                 "cron), not of a '%1' schedule")
                                      .arg(toString(schedule.kind)));
        schedule.calendar.clear();
    }
    if (schedule.kind != ScheduleKind::RRule)
        schedule.dtstart.clear();
    if (schedule.kind != ScheduleKind::Manual && schedule.expression.isEmpty())
        return Error::invalid(
            QStringLiteral("schedule_expr"),
            QStringLiteral("is required for a '%1' schedule").arg(toString(schedule.kind)));
    return schedule;
}

bool ScheduleInput::same(const Schedule &a, const Schedule &b)
{
    return a.kind == b.kind && a.expression == b.expression && a.timezone == b.timezone
           && a.dtstart == b.dtstart && a.calendar == b.calendar;
}

} // namespace ordinaut
