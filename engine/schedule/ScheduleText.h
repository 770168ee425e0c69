// ScheduleText: a short human description of a schedule for lists and tooltips.
#pragma once

#include "core/Schedule.h"

namespace ordinaut {

class ScheduleText final
{
public:
    // "Once at 2026-12-01 07:30 (Europe/Berlin)", "RRULE FREQ=DAILY;BYHOUR=9 from 2026-12-01 09:00
    // (UTC)", "Manual".
    // A named business calendar adds ", except on days of calendar 'us-holidays'".
    static QString describe(const Schedule &schedule);

private:
    static QString describeTiming(const Schedule &schedule);
};

} // namespace ordinaut
