// WallClock: turns a local wall time in an IANA zone into an instant, with Ordinaut's DST
// policy: a time inside a spring-forward gap runs at the offset in force before the gap (02:30
// on New York's spring-forward day runs at 03:30 EDT); a time inside a fall-back overlap runs
// once, at the earlier instant.
#pragma once

#include <QDateTime>
#include <QTimeZone>

namespace ordinaut {

class WallClock final
{
public:
    static QDateTime toInstant(const QDate &date, const QTime &time, const QTimeZone &zone);
};

} // namespace ordinaut
