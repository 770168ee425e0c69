// CronTranslator: 5-field Vixie cron ("minute hour day-of-month month day-of-week") to RRULEs.
// Names (jan, mon), ranges, steps and lists are understood; 0 and 7 are Sunday; when both day
// fields are restricted a day matching either fires (Vixie's OR), which takes two rules.
#pragma once

#include "core/Result.h"

#include <QStringList>

namespace ordinaut {

class CronTranslator final
{
public:
    // One or two RRULE bodies (FREQ=DAILY with BYHOUR/BYMINUTE and day filters). InvalidArgument
    // on `schedule_expr` naming the cron field and what is valid there.
    static Result<QStringList> toRRules(const QString &cron);
    // The anchor the translated rules expand from; any past day works for FREQ=DAILY.
    static QString anchor() { return QStringLiteral("2000-01-01T00:00:00"); }
};

} // namespace ordinaut
