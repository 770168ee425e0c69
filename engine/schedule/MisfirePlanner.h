// MisfirePlanner: the pure "what is due now" decision for one task. Given the first due
// occurrence and the current instant, it lists the runs to queue under the task's misfire
// policy and the next occurrence to wait for. Tests drive it with any instants they like.
#pragma once

#include "core/Result.h"
#include "core/Task.h"

#include <QDateTime>

#include <vector>

namespace ordinaut {

class BusinessCalendar;

struct PlannedRun
{
    QDateTime scheduledFor; // the occurrence (the queue's idempotency key)
    qint64 lateMs = 0;      // 0 when within the grace window
    int coalesced = 1;      // occurrences this run stands for
};

struct MisfirePlan
{
    std::vector<PlannedRun> runs;
    QDateTime next; // the first occurrence after now; invalid when the schedule has ended
    int missed = 0; // occurrences found due (capped at kScanLimit)
};

class MisfirePlanner final
{
public:
    // Missed occurrences counted at most; beyond it the count says "at least".
    static constexpr int kScanLimit = 10000;

    // `firstDue` is the task's stored next_run_at (<= now). `calendar`: the business calendar
    // the schedule names, if any. InvalidArgument when the schedule cannot be expanded.
    static Result<MisfirePlan> plan(const Schedule &schedule, MisfirePolicy policy,
                                    int graceSeconds, const QDateTime &firstDue,
                                    const QDateTime &now, int runAllCap,
                                    const BusinessCalendar *calendar = nullptr);
};

} // namespace ordinaut
