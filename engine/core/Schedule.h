// Schedule: when a task fires. The kind decides how `expression` is read; `dtstart` is a local
// wall time in `timezone` (an IANA name) that anchors recurrences.
#pragma once

#include <QString>

#include <optional>

namespace ordinaut {

enum class ScheduleKind { RRule, Once, Manual, Cron };

struct Schedule
{
    ScheduleKind kind = ScheduleKind::Manual;
    QString expression; // RRULE body for rrule, 5-field cron, an ISO 8601 instant for once; empty
                        // for manual
    QString dtstart;    // local wall time "2026-12-01T07:30:00" (rrule only)
    QString timezone = QStringLiteral("UTC");
};

QString toString(ScheduleKind kind);
std::optional<ScheduleKind> scheduleKindFromString(const QString &text);

} // namespace ordinaut
