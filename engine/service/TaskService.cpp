// TaskService: task operations with validation, versioning, audit and events.
#include "TaskService.h"

#include "RunService.h"

#include "TaskInput.h"

#include "core/Clock.h"
#include "core/Id.h"
#include "pipeline/PipelineChecker.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "schedule/BusinessCalendar.h"
#include "schedule/Recurrence.h"
#include "store/AgentStore.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/RunQueue.h"
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

// "task.pause" → "task.paused", "task.cancel" → "task.canceled": events state facts in the
// past tense.
QString pastTense(const QString &action)
{
    return action
           + (action.endsWith(QLatin1Char('e')) ? QStringLiteral("d") : QStringLiteral("ed"));
}

// Why `doing` cannot be done to a task in its status (proposed, archived or paused).
Error statusConflict(const Task &task, const QString &doing)
{
    QString why;
    switch (task.status) {
    case TaskStatus::Proposed:
        why = QStringLiteral("task %1 is proposed: it awaits the owner's acceptance (POST "
                             "/api/v1/tasks/%1/accept) and is not scheduled until then")
                  .arg(task.id);
        break;
    case TaskStatus::Archived:
        why = QStringLiteral("task %1 is archived: it was canceled and will not run again; it "
                             "can still be read or deleted")
                  .arg(task.id);
        break;
    case TaskStatus::Paused:
        why = QStringLiteral("task %1 is paused; resume it first").arg(task.id);
        break;
    case TaskStatus::Active:
        why = QStringLiteral("task %1 is active").arg(task.id);
        break;
    }
    return Error{ErrorCode::Conflict, QStringLiteral("cannot %1: %2").arg(doing, why), {}};
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
    Result<Event> event = EventLog(db).append(
        m_engine.eventBus().make(pastTense(action), eventPayload(*changed), actor));
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
    const Database &db = m_engine.database();
    NewTasks start = NewTasks::Active;
    if (actor.startsWith(QLatin1String("agent:"))) {
        Result<Agent> agent = AgentStore(db).get(actor.mid(6));
        if (!agent && agent.error().code != ErrorCode::NotFound)
            return agent.error();
        if (agent)
            start = agent->newTasks;
    }
    task.id = newId(m_engine.clock());
    task.createdBy = actor;
    task.status = TaskStatus::Active;
    task.version = 1;
    task.createdAt = now;
    task.updatedAt = now;
    // Computed as for an active task even when proposed: a schedule that cannot run (a once in
    // the past) is refused now, not when the owner accepts it.
    if (Status scheduled = computeNextRun(task, true); !scheduled)
        return scheduled.error();
    if (start == NewTasks::Proposed) {
        task.status = TaskStatus::Proposed;
        task.nextRunAt = QDateTime();
    }

    TaskStore store(db);
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    Status done = store.insert(task);
    if (done)
        done = store.insertVersion(task.id, task.version, task.toJson(), actor, now);
    if (done)
        done = AuditLog(db).append(
            AuditEntry{0, actor, QStringLiteral("task.create"), task.id,
                       Json{{"title", task.title}, {"status", toString(task.status)}}, now});
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

Result<TaskPage> TaskService::list(const TaskFilter &filter) const
{
    if (filter.limit < 1 || filter.limit > kMaxPageSize)
        return Error::invalid(QStringLiteral("limit"),
                              QStringLiteral("must be from 1 to %1").arg(kMaxPageSize));
    if (filter.offset < 0)
        return Error::invalid(QStringLiteral("offset"), QStringLiteral("must not be negative"));
    if (filter.after && filter.offset != 0)
        return Error::invalid(QStringLiteral("offset"),
                              QStringLiteral("cannot be combined with a cursor"));
    if (filter.text.size() > kMaxQueryText)
        return Error::invalid(QStringLiteral("q"),
                              QStringLiteral("is longer than %1 characters").arg(kMaxQueryText));
    if (filter.createdBy.size() > kMaxQueryText)
        return Error::invalid(QStringLiteral("created_by"),
                              QStringLiteral("is longer than %1 characters").arg(kMaxQueryText));
    return TaskStore(m_engine.database()).list(filter);
}

Result<TaskVersionPage> TaskService::versions(const QString &id, int limit, int offset) const
{
    if (limit < 1 || limit > kMaxPageSize)
        return Error::invalid(QStringLiteral("limit"),
                              QStringLiteral("must be from 1 to %1").arg(kMaxPageSize));
    if (offset < 0)
        return Error::invalid(QStringLiteral("offset"), QStringLiteral("must not be negative"));
    if (Result<Task> task = get(id); !task)
        return task.error();
    return TaskStore(m_engine.database()).versions(id, limit, offset);
}

Result<Task> TaskService::update(const QString &id, const Json &body, const QString &actor)
{
    // Validate and compute the next run before taking the write lock: expanding a schedule may
    // take a while, and nobody else should wait for it.
    Result<Task> current = get(id);
    if (!current)
        return current.error();
    if (current->status == TaskStatus::Archived)
        return statusConflict(*current, QStringLiteral("update"));
    const PipelineChecker checker(m_engine.tools());
    Result<TaskInputResult> input
        = TaskInput::apply(body, *current, TaskInputMode::Update, checker);
    if (!input)
        return input.error();
    const int baseVersion = input->expectedVersion.value_or(current->version);
    Task prepared = std::move(input->task);
    if (Status scheduled = computeNextRun(prepared, input->scheduleChanged); !scheduled)
        return scheduled.error();
    // A snoozed run (later than the schedule's next occurrence) stays snoozed when the
    // schedule is left alone.
    if (!input->scheduleChanged && prepared.nextRunAt.isValid() && current->nextRunAt.isValid()
        && current->nextRunAt > prepared.nextRunAt)
        prepared.nextRunAt = current->nextRunAt;

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
            if (latest.status == TaskStatus::Archived)
                return statusConflict(latest, QStringLiteral("update"));
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
        // A proposed task paused could be resumed into active without the owner's acceptance.
        if (task.status == TaskStatus::Proposed || task.status == TaskStatus::Archived)
            return statusConflict(task, QStringLiteral("pause"));
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
        if (task.status == TaskStatus::Proposed || task.status == TaskStatus::Archived)
            return statusConflict(task, QStringLiteral("resume"));
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

Result<Task> TaskService::snooze(const QString &id, int delaySeconds, const QString &actor)
{
    if (delaySeconds < 1 || delaySeconds > kMaxSnoozeSeconds)
        return Error::invalid(
            QStringLiteral("delay_seconds"),
            QStringLiteral("must be an integer from 1 to %1 (30 days)").arg(kMaxSnoozeSeconds));
    return mutate(
        id, QStringLiteral("task.snooze"), actor, [&](Task task, Json &details) -> Result<Task> {
            if (task.status != TaskStatus::Active)
                return statusConflict(task, QStringLiteral("snooze"));
            if (!task.nextRunAt.isValid())
                return Error{
                    ErrorCode::Conflict,
                    task.schedule.kind == ScheduleKind::Manual
                            || task.schedule.kind == ScheduleKind::Event
                        ? QStringLiteral("cannot snooze: task %1 runs on %2, not on a schedule; "
                                         "it has no next run to postpone")
                              .arg(id, task.schedule.kind == ScheduleKind::Manual
                                           ? QStringLiteral("request")
                                           : QStringLiteral("events"))
                        : QStringLiteral("cannot snooze: task %1 has no next run (its schedule "
                                         "has ended)")
                              .arg(id),
                    {}};
            const QDateTime now = m_engine.clock().now();
            const QDateTime until = now.addSecs(delaySeconds);
            if (until <= task.nextRunAt)
                return Error{ErrorCode::Conflict,
                             QStringLiteral("task %1's next run is already at %2, not before now "
                                            "+ %3 s; a snooze only postpones")
                                 .arg(id, formatInstant(task.nextRunAt))
                                 .arg(delaySeconds),
                             QStringLiteral("delay_seconds")};
            details = Json{{"delay_seconds", delaySeconds},
                           {"was_next_run_at", instantJson(task.nextRunAt)},
                           {"next_run_at", instantJson(until)}};
            // The scheduler fires at next_run_at and computes the occurrence after it from
            // there: the run comes at `until` and the schedule resumes after it.
            task.nextRunAt = until;
            task.updatedAt = now;
            if (Status stored = TaskStore(m_engine.database()).update(task); !stored)
                return stored.error();
            return task;
        });
}

Result<TaskService::Cancellation> TaskService::cancel(const QString &id, const QString &actor)
{
    Result<Task> current = get(id);
    if (!current)
        return current.error();
    // Already archived: nothing changes, so nothing is audited or announced.
    if (current->status == TaskStatus::Archived)
        return Cancellation{*current, {}, {}};
    Cancellation done;
    std::vector<Event> runEvents; // stored with the change, announced after it committed
    Result<Task> archived = mutate(
        id, QStringLiteral("task.cancel"), actor, [&](Task task, Json &details) -> Result<Task> {
            done = Cancellation{};
            runEvents.clear();
            const Database &db = m_engine.database();
            const QDateTime now = m_engine.clock().now();
            const TaskStatus was = task.status;
            task.status = TaskStatus::Archived;
            task.nextRunAt = QDateTime();
            task.updatedAt = now;
            TaskStore store(db);
            if (Status stored = store.update(task); !stored)
                return stored.error();
            Result<QStringList> open = store.openRunIds(id);
            if (!open)
                return open.error();
            // As RunService::cancel does for one run: one not started ends here, one going on
            // is stopped by its worker (told by run.cancel_requested).
            const QString message = QStringLiteral("canceled with its task by %1").arg(actor);
            RunQueue queue(db);
            EventLog events(db);
            for (const QString &runId : std::as_const(*open)) {
                Result<CancelEffect> effect = queue.cancel(runId, message, now);
                if (!effect)
                    return effect.error();
                if (*effect == CancelEffect::None)
                    continue;
                const bool stopping = *effect == CancelEffect::Stopping;
                (stopping ? done.stoppingRuns : done.canceledRuns) << runId;
                Result<Event> event = events.append(RunService::cancellationEvent(
                    m_engine.eventBus(), runId, id, stopping, message, actor));
                if (!event)
                    return event.error();
                runEvents.push_back(*event);
            }
            Json canceled = Json::array();
            for (const QString &runId : std::as_const(done.canceledRuns))
                canceled.push_back(runId);
            Json stoppingRuns = Json::array();
            for (const QString &runId : std::as_const(done.stoppingRuns))
                stoppingRuns.push_back(runId);
            details = Json{{"was", toString(was)},
                           {"canceled_runs", canceled},
                           {"stopping_runs", stoppingRuns}};
            return task;
        });
    if (!archived)
        return archived.error();
    for (const Event &event : runEvents)
        m_engine.eventBus().announce(event);
    done.task = std::move(*archived);
    return done;
}

Result<Task> TaskService::accept(const QString &id, const QString &actor)
{
    // Already active: nothing changes, so nothing is audited or announced.
    if (Result<Task> current = get(id); !current || current->status == TaskStatus::Active)
        return current;
    return mutate(
        id, QStringLiteral("task.accept"), actor, [&](Task task, Json &details) -> Result<Task> {
            if (task.status != TaskStatus::Proposed)
                return Error{ErrorCode::Conflict,
                             QStringLiteral("cannot accept: task %1 is %2; only a proposed task "
                                            "awaits acceptance")
                                 .arg(id, toString(task.status)),
                             {}};
            task.status = TaskStatus::Active;
            task.updatedAt = m_engine.clock().now();
            // As at creation: a once is due from its instant, if that has not passed.
            if (Status scheduled = computeNextRun(task, true); !scheduled)
                return scheduled.error();
            if (Status stored = TaskStore(m_engine.database()).update(task); !stored)
                return stored.error();
            details = Json{{"next_run_at", instantJson(task.nextRunAt)}};
            return task;
        });
}

Status TaskService::mayRun(const QString &id) const
{
    Result<Task> task = TaskStore(m_engine.database()).header(id);
    if (!task)
        return task.error().code == ErrorCode::NotFound ? Status() : Status(task.error());
    if (task->status == TaskStatus::Proposed || task->status == TaskStatus::Archived)
        return statusConflict(*task, QStringLiteral("run it"));
    return {};
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
