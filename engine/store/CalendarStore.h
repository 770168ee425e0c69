// CalendarStore: the calendars table (business calendars imported from .ics files) and which
// tasks name each. The days are stored as the JSON BusinessCalendar writes.
#pragma once

#include "core/Result.h"

#include <QDate>
#include <QDateTime>

#include <vector>

namespace ordinaut {

class Database;

struct CalendarRecord
{
    QString name;
    QByteArray source; // the .ics text as imported
    QByteArray days;   // [["2026-12-25","Christmas Day"],…]
    int dayCount = 0;
    QDate firstDay;
    QDate lastDay;
    QDateTime createdAt;
    QDateTime updatedAt;
};

class CalendarStore final
{
public:
    explicit CalendarStore(const Database &database);

    // Inserts or replaces by name; a replacement keeps the original created_at. Returns whether
    // the calendar is new.
    Result<bool> put(const CalendarRecord &record);
    // NotFound naming the known calendars when there is no such name.
    Result<CalendarRecord> get(const QString &name) const;
    // Every calendar without its source and days, by name.
    Result<std::vector<CalendarRecord>> list() const;
    // NotFound when absent.
    Status remove(const QString &name);
    // Ids of the tasks that name the calendar.
    Result<QStringList> tasksUsing(const QString &name) const;

private:
    const Database &m_database;
};

} // namespace ordinaut
