// CalendarService: business calendars — import from .ics (replacing one of the same name), list,
// read, remove — with audit and events. Tasks that name a calendar are rescheduled when it is
// replaced; one still named by a task cannot be removed.
#pragma once

#include "core/Json.h"
#include "core/Result.h"
#include "store/CalendarStore.h"

namespace ordinaut {

class Engine;

struct CalendarImport
{
    CalendarRecord record;
    bool created = false;     // false: it replaced a calendar of the same name
    int tasksRescheduled = 0; // active tasks naming it whose next run was recomputed
};

class CalendarService final
{
public:
    explicit CalendarService(Engine &engine);

    static constexpr qsizetype kMaxIcsBytes = 1024 * 1024;

    // InvalidArgument naming `name` or `ics` with the reason; PayloadTooLarge over
    // kMaxIcsBytes.
    Result<CalendarImport> import(const QString &name, const QByteArray &ics, const QString &actor);
    Result<std::vector<CalendarRecord>> list() const;
    // NotFound naming the imported calendars.
    Result<CalendarRecord> get(const QString &name) const;
    // NotFound; Conflict naming the tasks that still use it.
    Status remove(const QString &name, const QString &actor);

    // {"name","day_count","first_day","last_day","created_at","updated_at"} and, with
    // `withDays`, "days":[{"date":"2026-12-25","summary":"Christmas Day"},…].
    static Json toJson(const CalendarRecord &record, bool withDays);

private:
    Engine &m_engine;
};

} // namespace ordinaut
