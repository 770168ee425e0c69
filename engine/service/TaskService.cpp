// TaskService: task operations with validation, versioning, audit and events.
#include "TaskService.h"

#include "TaskInput.h"

#include "core/Clock.h"
#include "core/Id.h"
#include "pipeline/PipelineChecker.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "schedule/BusinessCalendar.h"
#include "schedule/Recurrence.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/Sql.h"

#include <QTimeZone>

namespace ordinaut {

namespace {

// A `once` instant this far in the past at save time is a mistake, not a late run.
constexpr qint64 kOnceGraceMs = 60 * 1000;

Json eventPayload(const Task &task)
{
    return Json{{"task_id", task.id},
                {"title", task.title},
                {"version", task.version},
                {"status", toString(task.status)},
                {"next_run_at", instantJson(task.nextRunAt)}};
}

} // namespace

TaskService::TaskService(Engine &engine)
    : m_engine(engine)
{}

Status TaskService::computeNextRun(Task &task, bool scheduleChanged) const
{
    const QDateTime now = m_engine.clock().now();
    task.schedule = Recurrence::anchored(task.schedule, now);
    if (Status valid = Recurrence::validate(task.schedule); !valid)
        return valid;
    if (task.status != TaskStatus::Active) {
        task.nextRunAt = QDateTime();
        return {};
    }
    if (task.schedule.kind == ScheduleKind::Once && scheduleChanged) {
        Result<QDateTime> at = Recurrence::nextAfter(task.schedule, now.addMSecs(-kOnceGraceMs));
        if (!at)
            return at.error();
        if (!at->isValid())
            return Error::invalid(QStringLiteral("schedule_expr"),
                                  QStringLiteral("%1 is in the past (now is %2)")
                                      .arg(task.schedule.expression, formatInstant(now)));
        task.nextRunAt = *at;
        return {};
    }
    if (!scheduleChanged && task.schedule.kind == ScheduleKind::Once)
        return {}; // keep: a once that already fired must not fire again
    std::optional<BusinessCalendar> calendar;
    if (!task.schedule.calendar.isEmpty()) {
        Result<BusinessCalendar> loaded = loadCalendar(m_engine.database(), task.schedule.calendar);
        if (!loaded)
            return Error::invalid(QStringLiteral("calendar"), loaded.error().message);
        calendar = std::move(*loaded);
    }
    Result<QDateTime> next
        = Recurrence::nextAfter(task.schedule, now.addMSecs(-1), calendar ? &*calendar : nullptr);
    if (!next)
        return next.error();
    task.nextRunAt = *next;
    return {};
}

template<typename Work>
Result<Task> TaskService::mutate(const QString &id, const QString &action, const QString &actor,
                                 Work work)
{
    const Database &db = m_engine.database();
    TaskStore store(db);
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    Result<Task> current = store.get(id);
    if (!current)
        return current.error();
    Json details = Json::object();
    Result<Task> changed = work(*current, details);
    if (!changed)
        return changed.error();
    const QDateTime now = m_engine.clock().now();
    if (Status audited = AuditLog(db).append(AuditEntry{0, actor, action, id, details, now});
        !audited)
        return audited.error();
    // "task.pause" → "task.paused": events state facts in the past tense.
    Result<Event> event = EventLog(db).append(
        m_engine.eventBus().make(action + QStringLiteral("d"), eventPayload(*changed), actor));
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    m_engine.eventBus().announce(*event);
    return changed;
}

Result<Task> TaskService::create(const Json &body, const QString &actor)
{
    const PipelineChecker checker(m_engine.tools());
    Result<TaskInputResult> input = TaskInput::apply(body, Task{}, TaskInputMode::Create, checker);
    if (!input)
        return input.error();
    Task task = std::move(input->task);
    const QDateTime now = m_engine.clock().now();
    task.id = newId(m_engine.clock());
    task.createdBy = actor;
    task.status = TaskStatus::Active;
    task.version = 1;
    task.createdAt = now;
    task.updatedAt = now;
    if (Status scheduled = computeNextRun(task, true); !scheduled)
        return scheduled.error();

    const Database &db = m_engine.database();
    TaskStore store(db);
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    Status done = store.insert(task);
    if (done)
        done = store.insertVersion(task.id, task.version, task.toJson(), actor, now);
    if (done)
        done = AuditLog(db).append(AuditEntry{0, actor, QStringLiteral("task.create"), task.id,
                                              Json{{"title", task.title}}, now});
    Result<Event> event = done ? EventLog(db).append(m_engine.eventBus().make(
                              QStringLiteral("task.created"), eventPayload(task), actor))
                               : Result<Event>(done.error());
    if (!event)
        return event.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    m_engine.eventBus().announce(*event);
    return task;
}

Result<Task> TaskService::get(const QString &id) const
{
    return TaskStore(m_engine.database()).get(id);
}

Result<TaskPage> TaskService::list(std::optional<TaskStatus> status, int limit, int offset) const
{
    if (limit < 1 || limit > kMaxPageSize)
        return Error::invalid(QStringLiteral("limit"),
                              QStringLiteral("must be from 1 to %1").arg(kMaxPageSize));
    if (offset < 0)
        return Error::invalid(QStringLiteral("offset"), QStringLiteral("must not be negative"));
    return TaskStore(m_engine.database()).list(status, limit, offset);
}

Result<Task> TaskService::update(const QString &id, const Json &body, const QString &actor)
{
    // Validate and compute the next run before taking the write lock: expanding a schedule may
    // take a while, and nobody else should wait for it.
    Result<Task> current = get(id);
    if (!current)
        return current.error();
    const PipelineChecker checker(m_engine.tools());
    Result<TaskInputResult> input
        = TaskInput::apply(body, *current, TaskInputMode::Update, checker);
    if (!input)
        return input.error();
    const int baseVersion = input->expectedVersion.value_or(current->version);
    Task prepared = std::move(input->task);
    if (Status scheduled = computeNextRun(prepared, input->scheduleChanged); !scheduled)
        return scheduled.error();

    return mutate(
        id, QStringLiteral("task.update"), actor,
        [&](const Task &latest, Json &details) -> Result<Task> {
            // Paused, resumed or edited since it was read: the prepared copy is stale.
            if (latest.updatedAt != current->updatedAt && latest.version == baseVersion)
                return Error{
                    ErrorCode::Conflict,
                    QStringLiteral("task %1 changed while this update was prepared; try again")
                        .arg(id),
                    {}};
            if (latest.version != baseVersion)
                return Error{
                    ErrorCode::Conflict,
                    QStringLiteral("task %1 is at version %2, not %3: it was changed meanwhile; "
                                   "fetch it again and reapply your change")
                        .arg(id)
                        .arg(latest.version)
                        .arg(baseVersion),
                    QStringLiteral("version")};
            Task task = prepared;
            const QDateTime now = m_engine.clock().now();
            task.version = latest.version + 1;
            task.updatedAt = now;
            TaskStore store(m_engine.database());
            if (Status stored = store.update(task); !stored)
                return stored.error();
            if (Status versioned
                = store.insertVersion(task.id, task.version, task.toJson(), actor, now);
                !versioned)
                return versioned.error();
            details = Json{{"version", task.version}, {"fields", Json::array()}};
            for (const auto &[key, value] : body.items())
                details["fields"].push_back(key);
            return task;
        });
}

Result<Task> TaskService::pause(const QString &id, const QString &actor)
{
    // Already paused: nothing changes, so nothing is audited or announced.
    if (Result<Task> current = get(id); !current || current->status == TaskStatus::Paused)
        return current;
    return mutate(id, QStringLiteral("task.pause"), actor, [&](Task task, Json &) -> Result<Task> {
        task.status = TaskStatus::Paused;
        task.nextRunAt = QDateTime();
        task.updatedAt = m_engine.clock().now();
        if (Status stored = TaskStore(m_engine.database()).update(task); !stored)
            return stored.error();
        return task;
    });
}

Result<Task> TaskService::resume(const QString &id, const QString &actor)
{
    // Already active: nothing changes, so nothing is audited or announced.
    if (Result<Task> current = get(id); !current || current->status == TaskStatus::Active)
        return current;
    return mutate(id, QStringLiteral("task.resume"), actor, [&](Task task, Json &) -> Result<Task> {
        const bool wasPaused = task.status == TaskStatus::Paused;
        task.status = TaskStatus::Active;
        task.updatedAt = m_engine.clock().now();
        // A paused once task resumes only if its instant is still ahead.
        if (wasPaused) {
            if (task.schedule.kind == ScheduleKind::Once) {
                Result<QDateTime> at = Recurrence::nextAfter(task.schedule, m_engine.clock().now());
                if (!at)
                    return at.error();
                task.nextRunAt = *at;
            } else if (Status scheduled = computeNextRun(task, false); !scheduled) {
                return scheduled.error();
            }
        }
        if (Status stored = TaskStore(m_engine.database()).update(task); !stored)
            return stored.error();
        return task;
    });
}

Status TaskService::remove(const QString &id, const QString &actor)
{
    Result<Task> removed = mutate(
        id, QStringLiteral("task.delete"), actor, [&](Task task, Json &details) -> Result<Task> {
            details = Json{{"title", task.title}};
            if (Status done = TaskStore(m_engine.database()).remove(id); !done)
                return done.error();
            return task;
        });
    if (!removed)
        return removed.error();
    return {};
}

Result<int> TaskService::pauseAll(const QString &actor)
{
    int paused = 0;
    for (;;) {
        // Paused tasks leave the active list, so the first page is always the next batch.
        Result<TaskPage> page = list(TaskStatus::Active, kMaxPageSize, 0);
        if (!page)
            return page.error();
        if (page->items.empty())
            break;
        for (const Task &task : page->items) {
            Result<Task> done = pause(task.id, actor);
            if (!done && done.error().code != ErrorCode::NotFound)
                return done.error();
            ++paused;
        }
    }
    return paused;
}

} // namespace ordinaut
