// Schedule: when a task fires. The kind decides how `expression` is read; `dtstart` is a local
// wall time in `timezone` (an IANA name) that anchors recurrences.
#pragma once

#include <QString>

#include <optional>

namespace ordinaut {

// Event: fires when an event with a matching topic is published (`expression` holds the topic,
// exact or "prefix.*"), never on a clock.
enum class ScheduleKind { RRule, Once, Manual, Cron, Event };

struct Schedule
{
    ScheduleKind kind = ScheduleKind::Manual;
    QString expression; // RRULE body for rrule, 5-field cron, an ISO 8601 instant for once, a
                        // topic for event; empty for manual
    QString dtstart;    // local wall time "2026-12-01T07:30:00" (rrule only)
    QString timezone = QStringLiteral("UTC");
    QString calendar = {}; // a business calendar whose days are skipped; empty for none
};

QString toString(ScheduleKind kind);
std::optional<ScheduleKind> scheduleKindFromString(const QString &text);

} // namespace ordinaut
