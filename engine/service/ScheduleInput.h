// ScheduleInput: reads the schedule fields of a body (schedule_kind, schedule_expr, timezone,
// dtstart) onto a Schedule, with errors that name the field. Shared by tasks and previews.
#pragma once

#include "TaskInput.h"

#include "core/Json.h"
#include "core/Result.h"
#include "core/Schedule.h"

namespace ordinaut {

class ScheduleInput final
{
public:
    // Fields absent from `body` keep their value in `base`. InvalidArgument naming the field.
    // The schedule's own rules (RRULE syntax, zone, dtstart) are checked by Recurrence.
    static Result<Schedule> apply(const Json &body, Schedule base, TaskInputMode mode);
    static bool same(const Schedule &a, const Schedule &b);
};

} // namespace ordinaut
