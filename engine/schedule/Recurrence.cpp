// Recurrence: libical RRULE expansion, once instants, and their validation.
#include "Recurrence.h"

#include "BusinessCalendar.h"
#include "CronTranslator.h"
#include "WallClock.h"

#include "core/Json.h"

#include <QHash>
#include <QRegularExpression>

#include <QTimeZone>
#include <algorithm>

#include <libical/ical.h>

namespace ordinaut {

namespace {

// Building a QTimeZone reads the zone database; schedules use few zones, so each thread keeps
// the ones it has built.
QTimeZone zoneNamed(const QString &id)
{
    thread_local QHash<QString, QTimeZone> cache;
    const auto it = cache.constFind(id);
    if (it != cache.constEnd())
        return *it;
    if (cache.size() > 256)
        cache.clear();
    const QTimeZone zone(id.toUtf8());
    cache.insert(id, zone);
    return zone;
}

struct Iterator
{
    icalrecur_iterator *handle = nullptr;
    ~Iterator()
    {
        if (handle)
            icalrecur_iterator_free(handle);
    }
};

// The RRULE line of an expression (its first line), without an "RRULE:" prefix.
QString ruleText(const QString &expression)
{
    QString text = expression.trimmed().section(QLatin1Char('\n'), 0, 0).trimmed();
    if (text.startsWith(QLatin1String("RRULE:"), Qt::CaseInsensitive))
        text = text.mid(6);
    return text;
}

// An RRULE expression may go on with RDATE: and EXDATE: lines of local date-times (RFC 5545
// content lines, in the schedule's zone): extra occurrences and excluded ones.
struct RuleSet
{
    QString rule;
    QList<QDateTime> rdates; // wall times, as QDateTime fields in Qt::UTC
    QList<QDateTime> exdates;
};

Result<QTimeZone> zoneOf(const Schedule &schedule)
{
    const QTimeZone zone = zoneNamed(schedule.timezone);
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

Result<RuleSet> splitRuleSet(const QString &expression)
{
    RuleSet set;
    const QStringList lines = expression.trimmed().split(QLatin1Char('\n'));
    set.rule = lines.value(0).trimmed();
    for (int i = 1; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty())
            continue;
        const int colon = line.indexOf(QLatin1Char(':'));
        const QString name = line.left(colon).toUpper();
        QList<QDateTime> *target = name == QLatin1String("RDATE")    ? &set.rdates
                                   : name == QLatin1String("EXDATE") ? &set.exdates
                                                                     : nullptr;
        if (colon < 0 || !target)
            return Error::invalid(QStringLiteral("schedule_expr"),
                                  QStringLiteral("line %1: '%2' is not an RDATE: or EXDATE: line")
                                      .arg(i + 1)
                                      .arg(line));
        for (const QString &value :
             line.mid(colon + 1).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            // Date and time parsed apart: a wall time need not exist in this machine's zone.
            const QString text = value.trimmed();
            QDate date;
            QTime time;
            if (text.size() == 15 && text.at(8) == QLatin1Char('T')) {
                date = QDate::fromString(text.left(8), QStringLiteral("yyyyMMdd"));
                time = QTime::fromString(text.mid(9), QStringLiteral("HHmmss"));
            } else if (!parseWallTime(text, &date, &time)) {
                date = QDate();
            }
            if (!date.isValid() || !time.isValid())
                return Error::invalid(
                    QStringLiteral("schedule_expr"),
                    QStringLiteral("line %1: '%2' is not a local date-time like 20260310T090000")
                        .arg(i + 1)
                        .arg(text));
            *target << QDateTime(date, time, Qt::UTC);
        }
    }
    return set;
}

// Seconds per period for frequencies of fixed length in floating time; 0 for months/years.
qint64 fixedPeriodSeconds(icalrecurrencetype_frequency frequency)
{
    switch (frequency) {
    case ICAL_MINUTELY_RECURRENCE:
        return 60;
    case ICAL_HOURLY_RECURRENCE:
        return 3600;
    case ICAL_DAILY_RECURRENCE:
        return 86400;
    case ICAL_WEEKLY_RECURRENCE:
        return 7 * 86400;
    default:
        return 0;
    }
}

bool hasAny(const short *values)
{
    return values[0] != ICAL_RECURRENCE_ARRAY_MAX;
}

// Months per period for MONTHLY and YEARLY rules; 0 otherwise.
int calendarPeriodMonths(const icalrecurrencetype &rule)
{
    const int interval = std::max<int>(1, rule.interval);
    if (rule.freq == ICAL_MONTHLY_RECURRENCE)
        return interval;
    if (rule.freq == ICAL_YEARLY_RECURRENCE)
        return 12 * interval;
    return 0;
}

// Writes out the day parts a MONTHLY or YEARLY rule takes from dtstart when it states none
// (RFC 5545: "FREQ=MONTHLY" means the dtstart day of every month), so the rule keeps its
// meaning from another start. False when that cannot be stated safely (BYWEEKNO alone).
bool withImpliedDays(icalrecurrencetype *rule, const QDate &start)
{
    const bool days
        = hasAny(rule->by_day) || hasAny(rule->by_month_day) || hasAny(rule->by_year_day);
    if (hasAny(rule->by_week_no))
        return hasAny(rule->by_day);
    if (days)
        return true;
    rule->by_month_day[0] = static_cast<short>(start.day());
    rule->by_month_day[1] = ICAL_RECURRENCE_ARRAY_MAX;
    if (rule->freq == ICAL_YEARLY_RECURRENCE && !hasAny(rule->by_month)) {
        rule->by_month[0] = static_cast<short>(start.month());
        rule->by_month[1] = ICAL_RECURRENCE_ARRAY_MAX;
    }
    return true;
}

// Rules libical would search for a very long time inside a single call (beyond any budget):
// per-second rules, sub-daily rules filtered by year day or week number, and month days that
// no listed month has. Empty when the rule is acceptable.
QString unboundedReason(const icalrecurrencetype &rule)
{
    // RFC 5545 section 3.3.10 combinations that libical would accept and quietly misread.
    const QString freq = QString::fromLatin1(icalrecur_freq_to_string(rule.freq));
    const bool monthlyOrYearly
        = rule.freq == ICAL_MONTHLY_RECURRENCE || rule.freq == ICAL_YEARLY_RECURRENCE;
    for (int i = 0; i < ICAL_BY_DAY_SIZE && rule.by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i) {
        if (!monthlyOrYearly && icalrecurrencetype_day_position(rule.by_day[i]) != 0)
            return QStringLiteral(
                       "BYDAY ordinals are not allowed with FREQ=%1 (only MONTHLY or YEARLY)")
                .arg(freq);
    }
    if (hasAny(rule.by_week_no) && rule.freq != ICAL_YEARLY_RECURRENCE)
        return QStringLiteral("BYWEEKNO is only allowed with FREQ=YEARLY");
    if (hasAny(rule.by_year_day)
        && (rule.freq == ICAL_DAILY_RECURRENCE || rule.freq == ICAL_WEEKLY_RECURRENCE
            || rule.freq == ICAL_MONTHLY_RECURRENCE))
        return QStringLiteral("BYYEARDAY is not allowed with FREQ=%1").arg(freq);
    if (hasAny(rule.by_month_day) && rule.freq == ICAL_WEEKLY_RECURRENCE)
        return QStringLiteral("BYMONTHDAY is not allowed with FREQ=WEEKLY");
    if (rule.count > 0 && !icaltime_is_null_time(rule.until))
        return QStringLiteral("COUNT and UNTIL cannot be combined");
    if (rule.freq == ICAL_SECONDLY_RECURRENCE)
        return QStringLiteral(
            "FREQ=SECONDLY is not supported; the finest schedule is FREQ=MINUTELY");
    const bool subDaily
        = rule.freq == ICAL_MINUTELY_RECURRENCE || rule.freq == ICAL_HOURLY_RECURRENCE;
    if (subDaily && (hasAny(rule.by_year_day) || hasAny(rule.by_week_no)))
        return QStringLiteral(
            "BYYEARDAY and BYWEEKNO need FREQ=DAILY or coarser (use BYHOUR/BYMINUTE "
            "for the time of day)");
    if (hasAny(rule.by_month_day)) {
        static const int kDays[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int longest = 31;
        if (hasAny(rule.by_month)) {
            longest = 0;
            for (int i = 0; i < ICAL_BY_MONTH_SIZE && rule.by_month[i] != ICAL_RECURRENCE_ARRAY_MAX;
                 ++i)
                longest = std::max(longest, kDays[std::clamp<int>(rule.by_month[i], 1, 12)]);
        }
        bool possible = false;
        for (int i = 0;
             i < ICAL_BY_MONTHDAY_SIZE && rule.by_month_day[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i)
            possible = possible || rule.by_month_day[i] < 0 || rule.by_month_day[i] <= longest;
        if (!possible)
            return QStringLiteral("it never occurs: no listed month has that BYMONTHDAY");
    }
    return {};
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
    if (const QString reason = unboundedReason(rule); !reason.isEmpty())
        return Error::invalid(QStringLiteral("schedule_expr"),
                              QStringLiteral("'%1': %2").arg(expression, reason));
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

// A floating (zone-less) libical time from a QDateTime whose fields are the local wall time.
icaltimetype floatingIcal(const QDateTime &wall)
{
    icaltimetype t = icaltime_null_time();
    t.year = wall.date().year();
    t.month = wall.date().month();
    t.day = wall.date().day();
    t.hour = wall.time().hour();
    t.minute = wall.time().minute();
    t.second = wall.time().second();
    t.is_date = 0;
    t.zone = nullptr;
    return t;
}

struct Expansion
{
    enum Kind { Found, Ended, PastDay, OutOfBudget } kind = OutOfBudget;
    QDateTime instant;
};

// Occurrences of `rule` from `floatingStart` until one lies after `after` (Found), the rule ends
// (Ended), one falls after `lastDay` when that is valid (PastDay), or `budget` runs out. With a
// valid `lastDay`, only occurrences on that very day count; none before `notBefore` (dtstart).
Expansion expand(const icalrecurrencetype &rule, const QDateTime &floatingStart,
                 const QDateTime &notBefore, const QDate &lastDay, const QTimeZone &zone,
                 const QDateTime &after, int &budget)
{
    Iterator it;
    it.handle = icalrecur_iterator_new(rule, floatingIcal(floatingStart));
    if (!it.handle)
        return Expansion{Expansion::Ended, {}};
    // Wall times more than a day before `after` (read in the zone) cannot be after it whatever
    // the offset: skip the zone lookups for them.
    const QDateTime localAfter = after.toTimeZone(zone);
    const QDateTime clearlyBefore
        = QDateTime(localAfter.date(), localAfter.time(), Qt::UTC).addDays(-1);
    while (budget-- > 0) {
        const icaltimetype next = icalrecur_iterator_next(it.handle);
        if (icaltime_is_null_time(next))
            return Expansion{Expansion::Ended, {}};
        const QDate day(next.year, next.month, next.day);
        if (lastDay.isValid() && day > lastDay)
            return Expansion{Expansion::PastDay, {}};
        if (lastDay.isValid() && day < lastDay)
            continue; // a step that began the day before: not on the day being expanded
        const QTime time(next.hour, next.minute, next.second);
        const QDateTime wall(day, time, Qt::UTC);
        if (wall < notBefore)
            continue; // before dtstart: only there because expansion started a step early
        if (wall < clearlyBefore)
            continue;
        const QDateTime instant = WallClock::toInstant(day, time, zone);
        if (instant > after)
            return Expansion{Expansion::Found, instant};
    }
    return Expansion{Expansion::OutOfBudget, {}};
}

} // namespace

Schedule Recurrence::anchored(Schedule schedule, const QDateTime &now)
{
    const QTimeZone zone = zoneNamed(schedule.timezone);
    if (schedule.kind == ScheduleKind::RRule && schedule.dtstart.isEmpty() && zone.isValid())
        schedule.dtstart = now.toTimeZone(zone).toString(QStringLiteral("yyyy-MM-ddTHH:mm:00"));
    return schedule;
}

Status Recurrence::validate(const Schedule &schedule)
{
    Result<QTimeZone> zone = zoneOf(schedule);
    if (!zone)
        return zone.error();
    switch (schedule.kind) {
    case ScheduleKind::Manual:
        return {};
    case ScheduleKind::Event: {
        static const QRegularExpression topic(
            QStringLiteral("^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(\\.\\*)?$"));
        if (!topic.match(schedule.expression).hasMatch() || schedule.expression.size() > 200)
            return Error::invalid(
                QStringLiteral("schedule_expr"),
                QStringLiteral("'%1' is not an event topic: dot-separated words of letters, "
                               "digits, '_' or '-', optionally ending in \".*\" for every "
                               "topic under a prefix (e.g. \"mail.received\" or \"mail.*\")")
                    .arg(schedule.expression));
        return {};
    }
    case ScheduleKind::Once: {
        Result<QDateTime> instant = onceInstant(schedule);
        if (!instant)
            return instant.error();
        return {};
    }
    case ScheduleKind::Cron: {
        Result<QStringList> rules = CronTranslator::toRRules(schedule.expression);
        if (!rules)
            return rules.error();
        return {};
    }
    case ScheduleKind::RRule: {
        Result<icalrecurrencetype> rule = parseRule(schedule.expression);
        if (!rule)
            return rule.error();
        if (Result<RuleSet> set = splitRuleSet(schedule.expression); !set)
            return set.error();
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

Result<QDateTime> Recurrence::nextAfter(const Schedule &schedule, const QDateTime &after,
                                        const BusinessCalendar *calendar,
                                        std::vector<QDateTime> *skipped)
{
    if (schedule.calendar.isEmpty())
        return nextIgnoringCalendar(schedule, after);
    if (!calendar || calendar->name() != schedule.calendar)
        return Error::invalid(
            QStringLiteral("calendar"),
            QStringLiteral("no imported calendar named '%1'").arg(schedule.calendar));
    Schedule plain = schedule;
    plain.calendar.clear();
    const QTimeZone zone = zoneNamed(schedule.timezone);
    QDateTime cursor = after;
    for (int passed = 0; passed <= kMaxSkipped; ++passed) {
        Result<QDateTime> next = nextIgnoringCalendar(plain, cursor);
        if (!next || !next->isValid())
            return next;
        if (!calendar->find(next->toTimeZone(zone).date()))
            return next;
        if (skipped)
            skipped->push_back(*next);
        cursor = *next;
    }
    return Error::invalid(QStringLiteral("calendar"),
                          QStringLiteral("the next %1 occurrences after %2 all fall on days of "
                                         "calendar '%3'")
                              .arg(kMaxSkipped)
                              .arg(formatInstant(after), schedule.calendar));
}

Result<QDateTime> Recurrence::nextIgnoringCalendar(const Schedule &schedule, const QDateTime &after)
{
    if (Status valid = validate(schedule); !valid)
        return valid.error();
    if (schedule.kind == ScheduleKind::Manual || schedule.kind == ScheduleKind::Event)
        return QDateTime();
    if (schedule.kind == ScheduleKind::Cron) {
        // The earliest next occurrence over the translated rules.
        Result<QStringList> rules = CronTranslator::toRRules(schedule.expression);
        if (!rules)
            return rules.error();
        QDateTime earliest;
        for (const QString &rule : *rules) {
            Result<QDateTime> next = nextIgnoringCalendar(
                Schedule{ScheduleKind::RRule, rule, CronTranslator::anchor(), schedule.timezone},
                after);
            if (!next)
                return next.error();
            if (next->isValid() && (!earliest.isValid() || *next < earliest))
                earliest = *next;
        }
        return earliest;
    }
    if (schedule.kind == ScheduleKind::Once) {
        Result<QDateTime> instant = onceInstant(schedule);
        if (!instant)
            return instant.error();
        return *instant > after ? *instant : QDateTime();
    }

    const QTimeZone zone = zoneNamed(schedule.timezone);
    if (const RuleSet set = *splitRuleSet(schedule.expression);
        !set.rdates.isEmpty() || !set.exdates.isEmpty()) {
        // The rule's next occurrence that is not excluded, or an extra date, whichever is first.
        auto instant = [&](const QDateTime &wall) {
            return WallClock::toInstant(wall.date(), wall.time(), zone);
        };
        QList<QDateTime> excluded;
        for (const QDateTime &wall : set.exdates)
            excluded << instant(wall);
        Schedule ruleOnly = schedule;
        ruleOnly.expression = set.rule;
        QDateTime best;
        QDateTime cursor = after;
        for (int i = 0; i <= set.exdates.size(); ++i) {
            Result<QDateTime> next = nextIgnoringCalendar(ruleOnly, cursor);
            if (!next)
                return next.error();
            if (!next->isValid() || !excluded.contains(*next)) {
                best = *next;
                break;
            }
            cursor = *next;
        }
        for (const QDateTime &wall : set.rdates) {
            const QDateTime extra = instant(wall);
            if (extra > after && !excluded.contains(extra) && (!best.isValid() || extra < best))
                best = extra;
        }
        return best;
    }
    QDate startDate;
    QTime startTime;
    parseWallTime(schedule.dtstart, &startDate, &startTime);
    icalrecurrencetype rule = *parseRule(schedule.expression);

    // Iterations are bounded, so a rule anchored long ago is started afresh a whole number of
    // periods later, close to `after`: for fixed-length frequencies in floating time that keeps
    // every later occurrence. (libical's own set_start misaligns hourly and minutely intervals,
    // and nothing may shift a COUNT, which counts from dtstart.) Two days of slack cover any
    // UTC offset.
    const qint64 step = fixedPeriodSeconds(rule.freq) * std::max<qint64>(1, rule.interval);
    const bool canShift = rule.count == 0 && step > 0;
    const QDateTime floatingStart(startDate, startTime, Qt::UTC);
    const QDateTime localAfter = after.toTimeZone(zone).addDays(-2);
    const QDateTime localNear = after.toTimeZone(zone).addSecs(-3 * 3600);
    const QDateTime nearAfter(localNear.date(), localNear.time(), Qt::UTC);
    const QDateTime floatingAfter(localAfter.date(), localAfter.time(), Qt::UTC);
    // A step-aligned start at or before `limit`. Never dtstart itself where shifting is allowed:
    // libical 3.0 skips the matches on its start day when the start does not match the rule
    // (HOURLY;BYHOUR=9 started at 00:00 first yields 09:00 the next day), so expansion starts a
    // step earlier and drops anything before dtstart.
    auto alignedBefore = [&](const QDateTime &limit) {
        if (!canShift)
            return floatingStart;
        if (limit <= floatingStart)
            return floatingStart.addSecs(-step);
        return floatingStart.addSecs(floatingStart.secsTo(limit) / step * step);
    };
    int budget = kIterationBudget;
    const Error exhausted = Error::invalid(
        QStringLiteral("schedule_expr"),
        QStringLiteral("'%1' needs more than %2 steps from dtstart %3 to reach %4; "
                       "use a later dtstart or a smaller COUNT")
            .arg(schedule.expression)
            .arg(kIterationBudget)
            .arg(schedule.dtstart, formatInstant(after)));

    const bool subDaily
        = rule.freq == ICAL_MINUTELY_RECURRENCE || rule.freq == ICAL_HOURLY_RECURRENCE;
    const bool dayFilters = hasAny(rule.by_day) || hasAny(rule.by_month_day)
                            || hasAny(rule.by_month) || hasAny(rule.by_year_day)
                            || hasAny(rule.by_week_no);
    if (subDaily && canShift && !dayFilters && !hasAny(rule.by_hour) && !hasAny(rule.by_minute)
        && !hasAny(rule.by_set_pos)) {
        // Every step matches ("every 15 minutes"): libical's start-day quirk cannot apply, so
        // expand from just before `after` (a few hours cover any DST shift).
        const Expansion found
            = expand(rule, alignedBefore(nearAfter), floatingStart, QDate(), zone, after, budget);
        if (found.kind == Expansion::Found)
            return found.instant;
        if (found.kind == Expansion::Ended)
            return QDateTime();
        return exhausted;
    }
    if (subDaily && canShift && !hasAny(rule.by_set_pos)) {
        // A sub-daily rule filtered by day (BYDAY, BYMONTHDAY, BYMONTH) may match nothing for
        // years, and libical would walk every minute of them inside one call. Find the matching
        // days with the same rule at daily frequency, then expand only within each such day.
        icalrecurrencetype days = rule;
        days.freq = ICAL_DAILY_RECURRENCE;
        days.interval = 1;
        days.by_hour[0] = ICAL_RECURRENCE_ARRAY_MAX;
        days.by_minute[0] = ICAL_RECURRENCE_ARRAY_MAX;
        days.by_second[0] = ICAL_RECURRENCE_ARRAY_MAX;
        // Within a matching day every day filter holds, so the per-day expansion drops them:
        // libical then never searches past the day (it would walk to the next match otherwise).
        // Each day is expanded from a step-aligned start on the day before (see alignedBefore).
        icalrecurrencetype withinDay = rule;
        withinDay.by_day[0] = ICAL_RECURRENCE_ARRAY_MAX;
        withinDay.by_month_day[0] = ICAL_RECURRENCE_ARRAY_MAX;
        withinDay.by_month[0] = ICAL_RECURRENCE_ARRAY_MAX;
        withinDay.by_year_day[0] = ICAL_RECURRENCE_ARRAY_MAX;
        withinDay.by_week_no[0] = ICAL_RECURRENCE_ARRAY_MAX;
        const QDateTime firstDay(std::max(startDate, floatingAfter.date()), QTime(0, 0), Qt::UTC);
        Iterator dayIt;
        dayIt.handle = icalrecur_iterator_new(days, floatingIcal(firstDay));
        while (dayIt.handle && budget-- > 0) {
            const icaltimetype next = icalrecur_iterator_next(dayIt.handle);
            if (icaltime_is_null_time(next))
                return QDateTime();
            const QDate day(next.year, next.month, next.day);
            // Without BYHOUR/BYMINUTE every step matches, so libical's start-day quirk cannot
            // apply: start just before `after` (a few hours cover any DST shift) instead of a
            // day early, which saves thousands of minutely steps.
            QDateTime from(day.addDays(-1), QTime(0, 0), Qt::UTC);
            if (!hasAny(withinDay.by_hour) && !hasAny(withinDay.by_minute))
                from = std::max(from, nearAfter);
            const Expansion found
                = expand(withinDay, alignedBefore(from), floatingStart, day, zone, after, budget);
            if (found.kind == Expansion::Found)
                return found.instant;
            if (found.kind == Expansion::Ended)
                return QDateTime();
            if (found.kind == Expansion::OutOfBudget)
                break;
        }
        return exhausted;
    }

    icalrecurrencetype expanded = rule;
    QDateTime from = alignedBefore(floatingAfter);
    if (const int months = calendarPeriodMonths(rule); months > 0 && rule.count == 0) {
        // Months and years have no fixed length, but whole periods of calendar months keep the
        // rule's phase once the day parts dtstart implies are written out: start on the first
        // of a month one period before the month of `after`.
        const int elapsed = (floatingAfter.date().year() - startDate.year()) * 12
                            + floatingAfter.date().month() - startDate.month();
        const int periods = elapsed / months - 1;
        if (periods > 0 && withImpliedDays(&expanded, startDate))
            from = QDateTime(
                QDate(startDate.year(), startDate.month(), 1).addMonths(periods * months),
                startTime, Qt::UTC);
        else
            expanded = rule;
    }
    const Expansion found = expand(expanded, from, floatingStart, QDate(), zone, after, budget);
    if (found.kind == Expansion::Found)
        return found.instant;
    if (found.kind == Expansion::Ended)
        return QDateTime();
    return exhausted;
}

} // namespace ordinaut
