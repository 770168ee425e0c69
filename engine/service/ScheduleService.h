// ScheduleService: previews of schedules — the next occurrences and a description — for the
// API, the CLI and the schedule editor, without saving anything.
#pragma once

#include "core/Json.h"
#include "core/Result.h"
#include "core/Schedule.h"

#include <QDateTime>

#include <vector>

namespace ordinaut {

class Clock;

struct SchedulePreview
{
    Schedule schedule; // as it would be saved (an RRULE gets its dtstart)
    std::vector<QDateTime> occurrences;
    QString description;

    // {"occurrences":["2026-03-08T03:30:00-04:00",…],"description":…,"timezone":…,"dtstart":…}
    // Occurrences are local times in the schedule's zone, with their offset.
    Json toJson() const;
};

class ScheduleService final
{
public:
    explicit ScheduleService(const Clock &clock);

    static constexpr int kMaxCount = 100;
    static constexpr int kDefaultCount = 10;

    // Body: schedule_kind, schedule_expr, timezone, dtstart, count (1..kMaxCount), after (an
    // ISO 8601 instant; default now). InvalidArgument naming the field; MalformedInput when the
    // body is not an object.
    Result<SchedulePreview> preview(const Json &body) const;

    static constexpr int kMaxOccurrences = 1000;
    // The schedule's occurrences in [from, to), at most kMaxOccurrences, for calendar views.
    // InvalidArgument when the window is reversed or the schedule cannot be expanded.
    Result<std::vector<QDateTime>> occurrences(const Schedule &schedule, const QDateTime &from,
                                               const QDateTime &to) const;

private:
    const Clock &m_clock;
};

} // namespace ordinaut
