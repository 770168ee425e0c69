// Recurrence: libical RRULE expansion, once instants, and their validation.
#include "Recurrence.h"

#include "WallClock.h"

#include "core/Json.h"

#include <QRegularExpression>
#include <QTimeZone>

#include <libical/ical.h>

namespace ordinaut {

namespace {

struct Iterator
{
    icalrecur_iterator *handle = nullptr;
    ~Iterator()
    {
        if (handle)
            icalrecur_iterator_free(handle);
    }
};

QString ruleText(const QString &expression)
{
    QString text = expression.trimmed();
    if (text.startsWith(QLatin1String("RRULE:"), Qt::CaseInsensitive))
        text = text.mid(6);
    return text;
}

Result<QTimeZone> zoneOf(const Schedule &schedule)
{
    const QTimeZone zone(schedule.timezone.toUtf8());
    if (schedule.timezone.isEmpty() || !zone.isValid())
        return Error::invalid(
            QStringLiteral("timezone"),
            QStringLiteral("'%1' is not an IANA time zone (e.g. \"Europe/Berlin\", "
                           "\"America/New_York\", \"UTC\")")
                .arg(schedule.timezone));
    return zone;
}

// "2026-12-01T07:30:00" (seconds optional) → local date and time.
bool parseWallTime(const QString &text, QDate *date, QTime *time)
{
    static const QRegularExpression shape(
        QStringLiteral("^(\\d{4}-\\d{2}-\\d{2})T(\\d{2}:\\d{2})(?::(\\d{2}))?$"));
    const QRegularExpressionMatch m = shape.match(text);
    if (!m.hasMatch())
        return false;
    *date = QDate::fromString(m.captured(1), Qt::ISODate);
    *time
        = QTime::fromString(m.captured(2) + QLatin1Char(':')
                                + (m.captured(3).isEmpty() ? QStringLiteral("00") : m.captured(3)),
                            Qt::ISODate);
    return date->isValid() && time->isValid();
}

Result<icalrecurrencetype> parseRule(const QString &expression)
{
    const QByteArray text = ruleText(expression).toUtf8();
    icalerror_clear_errno();
    const icalrecurrencetype rule = icalrecurrencetype_from_string(text.constData());
    if (text.isEmpty() || rule.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
        icalerror_clear_errno();
        return Error::invalid(QStringLiteral("schedule_expr"),
                              QStringLiteral("'%1' is not an RFC 5545 RRULE (e.g. "
                                             "\"FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0\")")
                                  .arg(expression));
    }
    return rule;
}

// A once expression: an instant with an offset, or a wall time in the schedule's zone.
Result<QDateTime> onceInstant(const Schedule &schedule)
{
    if (const auto instant = parseInstant(schedule.expression))
        return *instant;
    QDate date;
    QTime time;
    QString wall = schedule.expression.trimmed();
    // Allow fractional seconds on a wall time too.
    static const QRegularExpression fraction(QStringLiteral("[.,](\\d{1,9})$"));
    int ms = 0;
    if (const QRegularExpressionMatch m = fraction.match(wall); m.hasMatch()) {
        ms = m.captured(1).left(3).leftJustified(3, QLatin1Char('0')).toInt();
        wall.chop(m.capturedLength(0));
    }
    if (!parseWallTime(wall, &date, &time))
        return Error::invalid(
            QStringLiteral("schedule_expr"),
            QStringLiteral("'%1' is not an ISO 8601 instant (e.g. "
                           "\"2026-12-01T07:30:00Z\" or \"2026-12-01T07:30:00.250+01:00\")")
                .arg(schedule.expression));
    Result<QTimeZone> zone = zoneOf(schedule);
    if (!zone)
        return zone.error();
    return WallClock::toInstant(date, time.addMSecs(ms), *zone);
}

} // namespace

Status Recurrence::validate(const Schedule &schedule)
{
    Result<QTimeZone> zone = zoneOf(schedule);
    if (!zone)
        return zone.error();
    switch (schedule.kind) {
    case ScheduleKind::Manual:
        return {};
    case ScheduleKind::Once: {
        Result<QDateTime> instant = onceInstant(schedule);
        if (!instant)
            return instant.error();
        return {};
    }
    case ScheduleKind::RRule: {
        Result<icalrecurrencetype> rule = parseRule(schedule.expression);
        if (!rule)
            return rule.error();
        QDate date;
        QTime time;
        if (!parseWallTime(schedule.dtstart, &date, &time))
            return Error::invalid(
                QStringLiteral("dtstart"),
                QStringLiteral("'%1' is not a local date-time like "
                               "\"2026-12-01T07:30:00\" (no offset: the time zone "
                               "is given by \"timezone\")")
                    .arg(schedule.dtstart));
        return {};
    }
    }
    return {};
}

Result<QDateTime> Recurrence::nextAfter(const Schedule &schedule, const QDateTime &after)
{
    if (Status valid = validate(schedule); !valid)
        return valid.error();
    if (schedule.kind == ScheduleKind::Manual)
        return QDateTime();
    if (schedule.kind == ScheduleKind::Once) {
        Result<QDateTime> instant = onceInstant(schedule);
        if (!instant)
            return instant.error();
        return *instant > after ? *instant : QDateTime();
    }

    const QTimeZone zone(schedule.timezone.toUtf8());
    QDate startDate;
    QTime startTime;
    parseWallTime(schedule.dtstart, &startDate, &startTime);
    icalrecurrencetype rule = *parseRule(schedule.expression);

    icaltimetype dtstart = icaltime_null_time();
    dtstart.year = startDate.year();
    dtstart.month = startDate.month();
    dtstart.day = startDate.day();
    dtstart.hour = startTime.hour();
    dtstart.minute = startTime.minute();
    dtstart.second = startTime.second();
    dtstart.is_date = 0;
    dtstart.zone = nullptr; // floating: expansion happens in local wall time

    Iterator it;
    it.handle = icalrecur_iterator_new(rule, dtstart);
    if (!it.handle)
        return Error::invalid(QStringLiteral("schedule_expr"),
                              QStringLiteral("libical cannot expand '%1' from dtstart %2")
                                  .arg(schedule.expression, schedule.dtstart));

    // Skip ahead close to `after` when the rule allows it (not with COUNT, which must count
    // from dtstart). Two days of slack cover any UTC offset.
    const QDateTime localAfter = after.toTimeZone(zone).addDays(-2);
    if (rule.count == 0 && localAfter.date() > startDate) {
        icaltimetype start = dtstart;
        start.year = localAfter.date().year();
        start.month = localAfter.date().month();
        start.day = localAfter.date().day();
        start.hour = 0;
        start.minute = 0;
        start.second = 0;
        icalrecur_iterator_set_start(it.handle, start);
    }

    for (int i = 0; i < kIterationBudget; ++i) {
        const icaltimetype next = icalrecur_iterator_next(it.handle);
        if (icaltime_is_null_time(next))
            return QDateTime();
        const QDateTime instant
            = WallClock::toInstant(QDate(next.year, next.month, next.day),
                                   QTime(next.hour, next.minute, next.second), zone);
        if (instant > after)
            return instant;
    }
    return Error{ErrorCode::Timeout,
                 QStringLiteral("'%1' did not reach %2 within %3 iterations")
                     .arg(schedule.expression, formatInstant(after))
                     .arg(kIterationBudget),
                 QStringLiteral("schedule_expr")};
}

} // namespace ordinaut
