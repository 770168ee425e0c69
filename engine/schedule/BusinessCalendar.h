// BusinessCalendar: days off (holidays, closures) imported from an iCalendar (.ics) file. A task
// that names a calendar skips every occurrence falling on one of its days, in the task's zone.
#pragma once

#include "core/Result.h"

#include <QDate>
#include <QString>

#include <vector>

namespace ordinaut {

struct CalendarDay
{
    QDate date;
    QString summary; // the events' names, "; "-separated when several fall on the day
};

class BusinessCalendar final
{
public:
    // Recurring events are expanded up to the end of this year.
    static constexpr int kLastYear = 2100;
    // A calendar lists days off, not every day: more than this is refused.
    static constexpr int kMaxDays = 20000;

    BusinessCalendar() = default;
    BusinessCalendar(QString name, std::vector<CalendarDay> days);

    // Reads the VEVENTs of an iCalendar text with libical: all-day and timed events (every
    // date they touch), multi-day spans, RRULE/RDATE/EXDATE recurrences; cancelled events are
    // left out. InvalidArgument naming `name` or `ics` with the reason.
    static Result<BusinessCalendar> fromIcs(const QString &name, const QByteArray &ics);

    // InvalidArgument unless `name` is 1–64 letters, digits, '.', '_' or '-', starting with a
    // letter or digit.
    static Status checkName(const QString &name);

    const QString &name() const { return m_name; }
    // Sorted by date, one entry per date.
    const std::vector<CalendarDay> &days() const { return m_days; }
    // The day off on `date`, or nullptr.
    const CalendarDay *find(const QDate &date) const;

    // [["2026-12-25","Christmas Day"],…] and back, for storage.
    QByteArray daysToJson() const;
    static Result<BusinessCalendar> fromStored(const QString &name, const QByteArray &json);

private:
    QString m_name;
    std::vector<CalendarDay> m_days;
};

class Database;

// The calendar stored under `name` (NotFound naming the known ones when there is none).
Result<BusinessCalendar> loadCalendar(const Database &database, const QString &name);

} // namespace ordinaut
