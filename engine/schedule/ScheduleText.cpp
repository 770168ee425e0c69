// ScheduleText: human descriptions of common recurrence shapes; anything unusual is shown as
// its RRULE, never guessed at.
#include "ScheduleText.h"

#include "CronTranslator.h"

#include "core/Json.h"

#include <QDate>
#include <QStringList>
#include <QTimeZone>

#include <libical/ical.h>

namespace ordinaut {

namespace {

const char *const kWeekdays[]
    = {"", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
const char *const kMonths[]
    = {"",     "January", "February",  "March",   "April",    "May",     "June",
       "July", "August",  "September", "October", "November", "December"};
const char *const kOrdinals[] = {"", "First", "Second", "Third", "Fourth", "Fifth"};

template<size_t N>
QList<int> values(const short (&array)[N])
{
    QList<int> list;
    for (size_t i = 0; i < N && array[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i)
        list << array[i];
    return list;
}

QString joined(const QStringList &parts)
{
    if (parts.size() <= 1)
        return parts.value(0);
    return QStringList(parts.mid(0, parts.size() - 1)).join(QStringLiteral(", "))
           + QStringLiteral(" and ") + parts.last();
}

QString every(int interval, const QString &one, const QString &many)
{
    return interval <= 1 ? QStringLiteral("Every ") + one
                         : QStringLiteral("Every %1 %2").arg(interval).arg(many);
}

// "at 09:00" from BYHOUR/BYMINUTE, falling back to dtstart's time like libical does.
QString timesOfDay(const icalrecurrencetype &rule, const QTime &start)
{
    QList<int> hours = values(rule.by_hour);
    QList<int> minutes = values(rule.by_minute);
    if (hours.isEmpty())
        hours << start.hour();
    if (minutes.isEmpty())
        minutes << start.minute();
    if (hours.size() * minutes.size() > 6)
        return {};
    QStringList times;
    for (int h : hours) {
        for (int m : minutes)
            times << QStringLiteral("%1:%2")
                         .arg(h, 2, 10, QLatin1Char('0'))
                         .arg(m, 2, 10, QLatin1Char('0'));
    }
    return QStringLiteral(" at ") + joined(times);
}

QString describeRule(const QString &expression, const QDate &startDate, const QTime &start)
{
    QString text = expression.trimmed();
    if (text.startsWith(QLatin1String("RRULE:"), Qt::CaseInsensitive))
        text = text.mid(6);
    const icalrecurrencetype rule = icalrecurrencetype_from_string(text.toUtf8().constData());
    icalerror_clear_errno();
    if (rule.freq == ICAL_NO_RECURRENCE || !values(rule.by_set_pos).isEmpty()
        || !values(rule.by_year_day).isEmpty() || !values(rule.by_week_no).isEmpty()
        || !values(rule.by_second).isEmpty())
        return {};
    const int interval = std::max<int>(1, rule.interval);
    QStringList dayNames;
    QStringList ordinalDays;
    for (int day : values(rule.by_day)) {
        const int weekday = icalrecurrencetype_day_day_of_week(static_cast<short>(day));
        const int position = icalrecurrencetype_day_position(static_cast<short>(day));
        const QString name = QString::fromLatin1(kWeekdays[std::clamp(weekday, 0, 7)]);
        if (position == 0)
            dayNames << name;
        else if (position == -1)
            ordinalDays << QStringLiteral("Last ") + name;
        else if (position >= 1 && position <= 5)
            ordinalDays << QString::fromLatin1(kOrdinals[position]) + QLatin1Char(' ') + name;
        else
            return {};
    }
    // Monday first, as people list days.
    std::sort(dayNames.begin(), dayNames.end(), [](const QString &a, const QString &b) {
        auto rank = [](const QString &name) {
            for (int i = 1; i <= 7; ++i) {
                if (name == QLatin1String(kWeekdays[i]))
                    return (i + 5) % 7; // Monday 0 … Sunday 6
            }
            return 7;
        };
        return rank(a) < rank(b);
    });
    const QList<int> monthDays = values(rule.by_month_day);
    const QList<int> months = values(rule.by_month);
    const QString time = timesOfDay(rule, start);
    // A daily rule limited to weekdays (cron's "* * 1-5") reads like a weekly one.
    icalrecurrencetype_frequency freq = rule.freq;
    if (freq == ICAL_DAILY_RECURRENCE && interval == 1 && !dayNames.isEmpty() && monthDays.isEmpty()
        && ordinalDays.isEmpty())
        freq = ICAL_WEEKLY_RECURRENCE;
    QString base;
    switch (freq) {
    case ICAL_MINUTELY_RECURRENCE:
        base = every(interval, QStringLiteral("minute"), QStringLiteral("minutes"));
        break;
    case ICAL_HOURLY_RECURRENCE: {
        base = every(interval, QStringLiteral("hour"), QStringLiteral("hours"));
        const QList<int> minutes = values(rule.by_minute);
        const int minute
            = minutes.size() == 1 ? minutes.first() : (minutes.isEmpty() ? start.minute() : -1);
        if (minute < 0)
            return {};
        base += QStringLiteral(" at minute %1").arg(minute, 2, 10, QLatin1Char('0'));
        break;
    }
    case ICAL_DAILY_RECURRENCE:
        base = every(interval, QStringLiteral("day"), QStringLiteral("days")) + time;
        break;
    case ICAL_WEEKLY_RECURRENCE: {
        static const QStringList kWeekdaysOnly
            = {QStringLiteral("Monday"), QStringLiteral("Tuesday"), QStringLiteral("Wednesday"),
               QStringLiteral("Thursday"), QStringLiteral("Friday")};
        QStringList days = dayNames;
        if (days.isEmpty())
            days << QString::fromLatin1(kWeekdays[startDate.dayOfWeek() % 7 + 1]);
        if (interval == 1 && days.size() == 5
            && QSet<QString>(days.begin(), days.end())
                   == QSet<QString>(kWeekdaysOnly.begin(), kWeekdaysOnly.end()))
            base = QStringLiteral("Every weekday");
        else if (interval == 1)
            base = QStringLiteral("Every ") + joined(days);
        else
            base = QStringLiteral("Every %1 weeks on ").arg(interval) + joined(days);
        base += time;
        break;
    }
    case ICAL_MONTHLY_RECURRENCE: {
        const QString period = interval == 1 ? QStringLiteral("every month")
                                             : QStringLiteral("every %1 months").arg(interval);
        if (!ordinalDays.isEmpty() && monthDays.isEmpty() && dayNames.isEmpty()) {
            base = joined(ordinalDays) + QStringLiteral(" of ") + period;
        } else if (ordinalDays.isEmpty() && dayNames.isEmpty()) {
            QStringList days;
            for (int day : monthDays.isEmpty() ? QList<int>{startDate.day()} : monthDays)
                days << (day == -1 ? QStringLiteral("the last day")
                         : day < 0 ? QString()
                                   : QStringLiteral("day %1").arg(day));
            if (days.contains(QString()))
                return {};
            base = QStringLiteral("On ") + joined(days) + QStringLiteral(" of ") + period;
        } else {
            return {};
        }
        base += time;
        break;
    }
    case ICAL_YEARLY_RECURRENCE: {
        if (!dayNames.isEmpty() || !ordinalDays.isEmpty() || months.size() > 1
            || monthDays.size() > 1)
            return {};
        const int month = months.isEmpty() ? startDate.month() : months.first();
        const int day = monthDays.isEmpty() ? startDate.day() : monthDays.first();
        if (month < 1 || month > 12 || day < 1)
            return {};
        base = every(interval, QStringLiteral("year"), QStringLiteral("years"))
               + QStringLiteral(" on %1 %2").arg(QString::fromLatin1(kMonths[month])).arg(day)
               + time;
        break;
    }
    default:
        return {};
    }
    if (!months.isEmpty() && rule.freq != ICAL_YEARLY_RECURRENCE) {
        QStringList names;
        for (int month : months)
            names << QString::fromLatin1(kMonths[std::clamp(month, 0, 12)]);
        base += QStringLiteral(" in ") + joined(names);
    }
    if (rule.freq == ICAL_MINUTELY_RECURRENCE || rule.freq == ICAL_HOURLY_RECURRENCE) {
        if (!dayNames.isEmpty())
            base += QStringLiteral(" on ") + joined(dayNames);
        if (!ordinalDays.isEmpty() || !monthDays.isEmpty())
            return {};
        if (!values(rule.by_hour).isEmpty() && rule.freq == ICAL_MINUTELY_RECURRENCE)
            return {};
    } else if (freq == ICAL_DAILY_RECURRENCE
               && (!dayNames.isEmpty() || !monthDays.isEmpty() || !ordinalDays.isEmpty())) {
        return {};
    }
    if (rule.count > 0)
        base += QStringLiteral(", %1 times").arg(rule.count);
    if (!icaltime_is_null_time(rule.until))
        base += QStringLiteral(", until %1-%2-%3")
                    .arg(rule.until.year, 4, 10, QLatin1Char('0'))
                    .arg(rule.until.month, 2, 10, QLatin1Char('0'))
                    .arg(rule.until.day, 2, 10, QLatin1Char('0'));
    return base;
}

} // namespace

QString ScheduleText::describe(const Schedule &schedule)
{
    const QString text = describeTiming(schedule);
    if (schedule.calendar.isEmpty() || schedule.kind == ScheduleKind::Manual
        || schedule.kind == ScheduleKind::Event)
        return text;
    return QStringLiteral("%1, except on days of calendar '%2'").arg(text, schedule.calendar);
}

QString ScheduleText::describeTiming(const Schedule &schedule)
{
    switch (schedule.kind) {
    case ScheduleKind::Event:
        if (schedule.expression.endsWith(QLatin1String(".*")))
            return QStringLiteral("When an event under '%1' is published")
                .arg(schedule.expression.chopped(1));
        return QStringLiteral("When an event '%1' is published").arg(schedule.expression);
    case ScheduleKind::Manual:
        return QStringLiteral("Manual (runs when started)");
    case ScheduleKind::Once: {
        const auto instant = parseInstant(schedule.expression);
        const QTimeZone zone(schedule.timezone.toUtf8());
        const QString when
            = instant && zone.isValid()
                  ? instant->toTimeZone(zone).toString(QStringLiteral("yyyy-MM-dd 'at' HH:mm"))
                  : QString(schedule.expression).replace(QLatin1Char('T'), QLatin1String(" at "));
        return QStringLiteral("Once on %1 (%2)").arg(when, schedule.timezone);
    }
    case ScheduleKind::Cron: {
        Result<QStringList> rules = CronTranslator::toRRules(schedule.expression);
        const QString text = rules && rules->size() == 1
                                 ? describeRule(rules->first(), QDate(2000, 1, 1), QTime(0, 0))
                                 : QString();
        if (text.isEmpty())
            return QStringLiteral("Cron \"%1\" (%2)").arg(schedule.expression, schedule.timezone);
        return QStringLiteral("%1 (%2)").arg(text, schedule.timezone);
    }
    case ScheduleKind::RRule: {
        const QDateTime start = QDateTime::fromString(schedule.dtstart, Qt::ISODate);
        const QStringList lines = schedule.expression.trimmed().split(QLatin1Char('\n'));
        QString text = describeRule(lines.first(), start.date(), start.time());
        if (!text.isEmpty()) {
            int extra = 0;
            int excluded = 0;
            for (const QString &line : lines.mid(1)) {
                const int count = int(line.section(QLatin1Char(':'), 1)
                                          .split(QLatin1Char(','), Qt::SkipEmptyParts)
                                          .size());
                (line.trimmed().startsWith(QLatin1String("EXDATE"), Qt::CaseInsensitive) ? excluded
                                                                                         : extra)
                    += count;
            }
            if (extra > 0)
                text += QStringLiteral(", plus %1 extra date(s)").arg(extra);
            if (excluded > 0)
                text += QStringLiteral(", except %1 date(s)").arg(excluded);
        }
        if (text.isEmpty())
            return QStringLiteral("%1 from %2 (%3)")
                .arg(schedule.expression,
                     QString(schedule.dtstart).replace(QLatin1Char('T'), QLatin1Char(' ')),
                     schedule.timezone);
        return QStringLiteral("%1 (%2)").arg(text, schedule.timezone);
    }
    }
    return {};
}

} // namespace ordinaut
