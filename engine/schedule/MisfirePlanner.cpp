// MisfirePlanner implementation.
#include "MisfirePlanner.h"

#include "Recurrence.h"

#include <algorithm>

namespace ordinaut {

Result<MisfirePlan> MisfirePlanner::plan(const Schedule &schedule, MisfirePolicy policy,
                                         int graceSeconds, const QDateTime &firstDue,
                                         const QDateTime &now, int runAllCap,
                                         const BusinessCalendar *calendar)
{
    MisfirePlan plan;
    std::vector<QDateTime> due{firstDue};
    bool scanned = false;
    while (static_cast<int>(due.size()) < kScanLimit) {
        Result<QDateTime> next = Recurrence::nextAfter(schedule, due.back(), calendar);
        if (!next)
            return next.error();
        if (!next->isValid() || *next > now) {
            plan.next = *next;
            scanned = true;
            break;
        }
        due.push_back(*next);
    }
    if (!scanned) {
        Result<QDateTime> next = Recurrence::nextAfter(schedule, now, calendar);
        if (!next)
            return next.error();
        plan.next = *next;
    }
    plan.missed = static_cast<int>(due.size());

    const qint64 graceMs = qint64(graceSeconds) * 1000;
    auto lateness = [&](const QDateTime &occurrence) {
        const qint64 late = occurrence.msecsTo(now);
        return late <= graceMs ? 0 : late;
    };
    const QDateTime &last = due.back();
    if (due.size() == 1 && lateness(last) == 0) {
        plan.runs.push_back(PlannedRun{last, 0, 1});
        return plan;
    }
    switch (policy) {
    case MisfirePolicy::RunOnce:
        // One run for the whole gap, keyed by the latest occurrence, as late as the first.
        plan.runs.push_back(PlannedRun{last, lateness(due.front()), plan.missed});
        break;
    case MisfirePolicy::RunAll: {
        const size_t keep = std::min(due.size(), static_cast<size_t>(std::max(1, runAllCap)));
        for (size_t i = due.size() - keep; i < due.size(); ++i)
            plan.runs.push_back(PlannedRun{due[i], lateness(due[i]), 1});
        break;
    }
    case MisfirePolicy::Skip:
        if (lateness(last) == 0)
            plan.runs.push_back(PlannedRun{last, 0, 1});
        break;
    }
    return plan;
}

} // namespace ordinaut
