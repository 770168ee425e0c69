// Recurrence: the occurrences of a schedule. RRULEs are expanded by libical in floating local
// time from `dtstart`, then placed on the time line by WallClock.
#pragma once

#include "core/Result.h"
#include "core/Schedule.h"

#include <QDateTime>

namespace ordinaut {

class Recurrence final
{
public:
    // Checks a schedule. InvalidArgument naming `schedule_expr`, `dtstart` or `timezone` with
    // what is valid there.
    static Status validate(const Schedule &schedule);

    // The first occurrence strictly after `after`; an invalid QDateTime when there is none
    // (manual, a once in the past, an RRULE that ended). InvalidArgument for a bad schedule,
    // including an RRULE that needs more than the iteration budget to reach `after`.
    static Result<QDateTime> nextAfter(const Schedule &schedule, const QDateTime &after);

    // The schedule with a dtstart: an RRULE saved without one is anchored at the minute it was
    // saved, in its own zone, so later computations never drift. Whole minutes, because an
    // unstated BYSECOND comes from dtstart ("BYMINUTE=0" should mean 10:00:00, not 10:00:37).
    static Schedule anchored(Schedule schedule, const QDateTime &now);

    // Upper bound on libical iterations per call, so a hostile rule cannot hang the engine.
    static constexpr int kIterationBudget = 200000;
};

} // namespace ordinaut
