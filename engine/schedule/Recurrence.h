// Recurrence: the occurrences of a schedule. RRULEs are expanded by libical in floating local
// time from `dtstart`, then placed on the time line by WallClock.
#pragma once

#include "core/Result.h"
#include "core/Schedule.h"

#include <QDateTime>

#include <vector>

namespace ordinaut {

class BusinessCalendar;

class Recurrence final
{
public:
    // Checks a schedule. InvalidArgument naming `schedule_expr`, `dtstart` or `timezone` with
    // what is valid there.
    static Status validate(const Schedule &schedule);

    // The first occurrence strictly after `after`; an invalid QDateTime when there is none
    // (manual, event, a once in the past, an RRULE that ended). InvalidArgument for a bad
    // schedule, including an RRULE that needs more than the iteration budget to reach `after`.
    // A schedule that names a business calendar needs it as `calendar`: occurrences on its days
    // (dates in the schedule's zone) are passed over and, when `skipped` is given, appended to
    // it. InvalidArgument naming `calendar` when it is missing or kMaxSkipped occurrences in a
    // row fall on its days.
    static Result<QDateTime> nextAfter(const Schedule &schedule, const QDateTime &after,
                                       const BusinessCalendar *calendar = nullptr,
                                       std::vector<QDateTime> *skipped = nullptr);

    // The schedule with a dtstart: an RRULE saved without one is anchored at the minute it was
    // saved, in its own zone, so later computations never drift. Whole minutes, because an
    // unstated BYSECOND comes from dtstart ("BYMINUTE=0" should mean 10:00:00, not 10:00:37).
    static Schedule anchored(Schedule schedule, const QDateTime &now);

    // Upper bound on libical iterations per call, so a hostile rule cannot hang the engine.
    static constexpr int kIterationBudget = 200000;
    static constexpr int kMaxSkipped = 1000;

private:
    static Result<QDateTime> nextIgnoringCalendar(const Schedule &schedule, const QDateTime &after);
};

} // namespace ordinaut
