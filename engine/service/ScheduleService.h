// ScheduleService: previews of schedules — the next occurrences, the ones a business calendar
// skips, and a description — for the API, the CLI and the schedule editor, without saving
// anything.
#pragma once

#include "core/Json.h"
#include "core/Result.h"
#include "core/Schedule.h"

#include <QDateTime>

#include <functional>
#include <vector>

namespace ordinaut {

class BusinessCalendar;
class Clock;

// An occurrence passed over because it falls on a day of the schedule's business calendar.
struct SkippedOccurrence
{
    QDateTime at;
    QString reason; // the day's name in the calendar ("Christmas Day")
};

struct OccurrenceList
{
    std::vector<QDateTime> occurrences;
    std::vector<SkippedOccurrence> skipped;
};

struct SchedulePreview
{
    Schedule schedule; // as it would be saved (an RRULE gets its dtstart)
    OccurrenceList list;
    QString description;

    // {"occurrences":["2026-03-08T03:30:00-04:00",…],"skipped":[{"at":…,"calendar":…,
    // "reason":…}],"description":…,"timezone":…,"dtstart":…,"calendar":…}. Times are local in
    // the schedule's zone, with their offset.
    Json toJson() const;
};

// Local times in `zone` with their offsets, for JSON.
Json occurrencesJson(const std::vector<QDateTime> &instants, const QString &zone);
Json skippedJson(const std::vector<SkippedOccurrence> &skipped, const Schedule &schedule);

class ScheduleService final
{
public:
    // Finds an imported calendar by name (NotFound when there is none).
    using CalendarLookup = std::function<Result<BusinessCalendar>(const QString &name)>;

    explicit ScheduleService(const Clock &clock, CalendarLookup calendars = {});

    static constexpr int kMaxCount = 100;
    static constexpr int kDefaultCount = 10;

    // Body: schedule_kind, schedule_expr, timezone, dtstart, calendar, count (1..kMaxCount),
    // after (an ISO 8601 instant; default now). InvalidArgument naming the field; MalformedInput
    // when the body is not an object.
    Result<SchedulePreview> preview(const Json &body) const;

    static constexpr int kMaxOccurrences = 1000;
    // The schedule's occurrences in [from, to), the first `maxCount` of them (at least 1), and
    // those its calendar skips there, for calendar views and feeds. InvalidArgument when the
    // window is reversed, maxCount is below 1, or the schedule cannot be expanded.
    Result<OccurrenceList> occurrences(const Schedule &schedule, const QDateTime &from,
                                       const QDateTime &to, int maxCount = kMaxOccurrences) const;

private:
    // Occurrences after `after` until `count` are found or one reaches `until` (if valid).
    Result<OccurrenceList> expand(const Schedule &schedule, const QDateTime &after, int count,
                                  const QDateTime &until) const;

    const Clock &m_clock;
    CalendarLookup m_calendars;
};

} // namespace ordinaut
