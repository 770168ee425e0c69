// WallClock: explicit gap/overlap resolution. Neither libical nor QDateTime implements the
// policy (libical keeps the shifted time on later days; QDateTime is invalid in a gap and picks
// the later instant in an overlap), so candidates are checked against the zone directly.
#include "WallClock.h"

#include <algorithm>

namespace ordinaut {

QDateTime WallClock::toInstant(const QDate &date, const QTime &time, const QTimeZone &zone)
{
    // The wall time read as if it were UTC; subtracting an offset gives a candidate instant.
    const qint64 wallSeconds = QDateTime(date, time, Qt::UTC).toSecsSinceEpoch();
    // Zones change offset at most once in any two days, so the offsets a day either side are
    // the only candidates.
    const int before
        = zone.offsetFromUtc(QDateTime::fromSecsSinceEpoch(wallSeconds - 86400, Qt::UTC));
    const int after
        = zone.offsetFromUtc(QDateTime::fromSecsSinceEpoch(wallSeconds + 86400, Qt::UTC));

    qint64 best = 0;
    bool found = false;
    for (const int offset : {before, after}) {
        const qint64 candidate = wallSeconds - offset;
        if (zone.offsetFromUtc(QDateTime::fromSecsSinceEpoch(candidate, Qt::UTC)) != offset)
            continue;
        best = found ? std::min(best, candidate) : candidate; // overlap: the earlier instant
        found = true;
    }
    if (!found)
        best = wallSeconds - before; // gap: keep the offset in force before it
    return QDateTime::fromMSecsSinceEpoch(best * 1000 + time.msec(), Qt::UTC);
}

} // namespace ordinaut
