// CalendarService implementation.
#include "CalendarService.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "schedule/BusinessCalendar.h"
#include "schedule/Recurrence.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/Sql.h"
#include "store/TaskStore.h"

namespace ordinaut {

CalendarService::CalendarService(Engine &engine)
    : m_engine(engine)
{}

Result<CalendarImport> CalendarService::import(const QString &name, const QByteArray &ics,
                                               const QString &actor)
{
    if (ics.size() > kMaxIcsBytes)
        return Error{ErrorCode::PayloadTooLarge,
                     QStringLiteral("the calendar is %1 bytes; the limit is %2")
                         .arg(ics.size())
                         .arg(kMaxIcsBytes),
                     QStringLiteral("ics")};
    Result<BusinessCalendar> calendar = BusinessCalendar::fromIcs(name, ics);
    if (!calendar)
        return calendar.error();

    const Database &db = m_engine.database();
    const QDateTime now = m_engine.clock().now();
    CalendarImport result;
    CalendarRecord &record = result.record;
    record.name = name;
    record.source = ics;
    record.days = calendar->daysToJson();
    record.dayCount = static_cast<int>(calendar->days().size());
    if (!calendar->days().empty()) {
        record.firstDay = calendar->days().front().date;
        record.lastDay = calendar->days().back().date;
    }
    record.createdAt = record.updatedAt = now;

    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    CalendarStore store(db);
    Result<bool> created = store.put(record);
    if (!created)
        return created.error();
    result.created = *created;
    if (!result.created) {
        Result<CalendarRecord> stored = store.get(name);
        if (!stored)
            return stored.error();
        record.createdAt = stored->createdAt;
    }
    // Tasks naming it: their next run may now fall on another day.
    Result<QStringList> users = store.tasksUsing(name);
    if (!users)
        return users.error();
    TaskStore tasks(db);
    for (const QString &id : *users) {
        Result<Task> task = tasks.get(id);
        if (!task)
            return task.error();
        if (task->status != TaskStatus::Active)
            continue;
        // From the stored next run when it is already due, so an occurrence not yet fired stays.
        QDateTime from = now.addMSecs(-1);
        if (task->nextRunAt.isValid() && task->nextRunAt <= now)
            from = task->nextRunAt.addMSecs(-1);
        Result<QDateTime> next = Recurrence::nextAfter(task->schedule, from, &*calendar);
        if (!next)
            return Error::invalid(QStringLiteral("ics"),
                                  QStringLiteral("task %1 would have no schedule left: %2")
                                      .arg(id, next.error().message));
        if (Status set = tasks.setNextRunAt(id, *next); !set)
            return set.error();
        ++result.tasksRescheduled;
    }
    const QString action = QStringLiteral("calendar.import");
    const Json details{{"day_count", record.dayCount},
                       {"replaced", !result.created},
                       {"tasks_rescheduled", result.tasksRescheduled}};
    if (Status audited = AuditLog(db).append(AuditEntry{0, actor, action, name, details, now});
        !audited)
        return audited.error();
    Json payload = details;
    payload["name"] = name;
    Result<Event> event = EventLog(db).append(
        m_engine.eventBus().make(QStringLiteral("calendar.imported"), payload, actor));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    m_engine.eventBus().announce(*event);
    return result;
}

Result<std::vector<CalendarRecord>> CalendarService::list() const
{
    return CalendarStore(m_engine.database()).list();
}

Result<CalendarRecord> CalendarService::get(const QString &name) const
{
    return CalendarStore(m_engine.database()).get(name);
}

Status CalendarService::remove(const QString &name, const QString &actor)
{
    const Database &db = m_engine.database();
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    CalendarStore store(db);
    Result<QStringList> users = store.tasksUsing(name);
    if (!users)
        return users.error();
    if (!users->isEmpty())
        return Error{ErrorCode::Conflict,
                     QStringLiteral("calendar '%1' is used by %2 task(s): %3; set their "
                                    "\"calendar\" to null first")
                         .arg(name)
                         .arg(users->size())
                         .arg(users->join(QStringLiteral(", "))),
                     QStringLiteral("name")};
    if (Status removed = store.remove(name); !removed)
        return removed;
    const QDateTime now = m_engine.clock().now();
    if (Status audited = AuditLog(db).append(
            AuditEntry{0, actor, QStringLiteral("calendar.delete"), name, Json::object(), now});
        !audited)
        return audited;
    Result<Event> event = EventLog(db).append(
        m_engine.eventBus().make(QStringLiteral("calendar.deleted"), Json{{"name", name}}, actor));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed;
    m_engine.eventBus().announce(*event);
    return {};
}

Json CalendarService::toJson(const CalendarRecord &record, bool withDays)
{
    auto date = [](const QDate &d) { return d.isValid() ? Json(d.toString(Qt::ISODate)) : Json(); };
    Json node{{"name", record.name},
              {"day_count", record.dayCount},
              {"first_day", date(record.firstDay)},
              {"last_day", date(record.lastDay)},
              {"created_at", instantJson(record.createdAt)},
              {"updated_at", instantJson(record.updatedAt)}};
    if (withDays) {
        Json days = Json::array();
        if (Result<BusinessCalendar> calendar
            = BusinessCalendar::fromStored(record.name, record.days)) {
            for (const CalendarDay &day : calendar->days())
                days.push_back(
                    Json{{"date", day.date.toString(Qt::ISODate)}, {"summary", day.summary}});
        }
        node["days"] = std::move(days);
    }
    return node;
}

} // namespace ordinaut
