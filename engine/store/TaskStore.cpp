// TaskStore: SQL for tasks.
#include "TaskStore.h"

#include "Database.h"
#include "Prepared.h"
#include "Sql.h"

#include <QSqlRecord>

namespace ordinaut {

namespace {

const QString kColumns = QStringLiteral(
    "id, title, description, created_by, schedule_kind, schedule_expr, dtstart, timezone, "
    "pipeline, params, status, priority, max_retries, next_run_at, version, created_at, "
    "updated_at, misfire_policy, misfire_grace_seconds, calendar, backoff, retry_base_ms, "
    "retry_max_ms, concurrency_key, concurrency_limit, overlap_policy, dedupe_key, "
    "dedupe_window_seconds, timeout_seconds");

Result<Task> taskFromRow(const QSqlQuery &q)
{
    Task task;
    task.id = q.value(0).toString();
    task.title = q.value(1).toString();
    task.description = q.value(2).toString();
    task.createdBy = q.value(3).toString();
    task.schedule.kind
        = scheduleKindFromString(q.value(4).toString()).value_or(ScheduleKind::Manual);
    task.schedule.expression = q.value(5).toString();
    task.schedule.dtstart = q.value(6).toString();
    task.schedule.timezone = q.value(7).toString();
    const auto steps = parseJson(q.value(8).toByteArray());
    const auto params = parseJson(q.value(9).toByteArray());
    if (!steps || !params)
        return Error::internal(QStringLiteral("task %1 has an unreadable pipeline").arg(task.id));
    Result<Pipeline> pipeline = Pipeline::fromJson(Json{{"pipeline", *steps}, {"params", *params}},
                                                   QStringLiteral("payload"));
    if (!pipeline)
        return Error::internal(QStringLiteral("task %1 has an invalid stored pipeline: %2")
                                   .arg(task.id, pipeline.error().describe()));
    task.pipeline = std::move(*pipeline);
    task.status = taskStatusFromString(q.value(10).toString()).value_or(TaskStatus::Paused);
    task.priority = q.value(11).toInt();
    task.retry.maxRetries = q.value(12).toInt();
    task.nextRunAt = sql::instant(q.value(13));
    task.version = q.value(14).toInt();
    task.createdAt = sql::instant(q.value(15));
    task.updatedAt = sql::instant(q.value(16));
    task.misfirePolicy
        = misfirePolicyFromString(q.value(17).toString()).value_or(MisfirePolicy::RunOnce);
    task.misfireGraceSeconds = q.value(18).toInt();
    task.schedule.calendar = q.value(19).toString();
    task.retry.strategy = backoffStrategyFromString(q.value(20).toString())
                              .value_or(BackoffStrategy::ExponentialJitter);
    task.retry.baseDelayMs = q.value(21).toLongLong();
    task.retry.maxDelayMs = q.value(22).toLongLong();
    // Schema 1 had these columns without a meaning: a key stored without its number gets the
    // default (as TaskInput gives it).
    task.concurrencyKey = q.value(23).toString();
    task.concurrencyLimit = task.concurrencyKey.isEmpty() ? 0
                            : q.value(24).isNull()        ? Task::kDefaultConcurrencyLimit
                                                          : q.value(24).toInt();
    task.overlapPolicy
        = overlapPolicyFromString(q.value(25).toString()).value_or(OverlapPolicy::QueueOne);
    task.dedupeKey = q.value(26).toString();
    task.dedupeWindowSeconds = task.dedupeKey.isEmpty() ? 0
                               : q.value(27).isNull()   ? Task::kDefaultDedupeWindowSeconds
                                                        : q.value(27).toInt();
    if (!q.value(28).isNull())
        task.timeoutSeconds = q.value(28).toInt();
    return task;
}

// Text columns declared NOT NULL: a null QString would bind as NULL.
QVariant nonNull(const QString &text)
{
    return text.isNull() ? QVariant(QString(QLatin1String(""))) : QVariant(text);
}

// An optional integer column: NULL unless present.
QVariant optionalInt(bool present, int value)
{
    return present ? QVariant(value) : QVariant(QMetaType(QMetaType::Int));
}

QVariantList taskBinds(const Task &task)
{
    const Json document = task.pipeline.toJson();
    return {task.title,
            nonNull(task.description),
            sql::text(task.createdBy),
            toString(task.schedule.kind),
            nonNull(task.schedule.expression),
            task.schedule.dtstart.isEmpty() ? sql::text({}) : QVariant(task.schedule.dtstart),
            task.schedule.timezone,
            QString::fromUtf8(dumpJson(document["pipeline"])),
            QString::fromUtf8(dumpJson(document["params"])),
            toString(task.status),
            task.priority,
            task.retry.maxRetries,
            sql::ms(task.nextRunAt),
            task.version,
            sql::ms(task.createdAt),
            sql::ms(task.updatedAt),
            toString(task.misfirePolicy),
            task.misfireGraceSeconds,
            task.schedule.calendar.isEmpty() ? sql::text({}) : QVariant(task.schedule.calendar),
            toString(task.retry.strategy),
            task.retry.baseDelayMs,
            task.retry.maxDelayMs,
            task.concurrencyKey.isEmpty() ? sql::text({}) : QVariant(task.concurrencyKey),
            optionalInt(!task.concurrencyKey.isEmpty(), task.concurrencyLimit),
            toString(task.overlapPolicy),
            task.dedupeKey.isEmpty() ? sql::text({}) : QVariant(task.dedupeKey),
            optionalInt(!task.dedupeKey.isEmpty(), task.dedupeWindowSeconds),
            optionalInt(task.timeoutSeconds.has_value(), task.timeoutSeconds.value_or(0))};
}

} // namespace

TaskStore::TaskStore(const Database &database)
    : m_database(database)
{}

Status TaskStore::insert(const Task &task)
{
    QVariantList binds{task.id};
    binds += taskBinds(task);
    Result<QSqlQuery> q
        = sql::exec(m_database.connection(),
                    QStringLiteral("INSERT INTO tasks (") + kColumns
                        + QStringLiteral(
                            ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
                    binds);
    if (!q)
        return q.error();
    return {};
}

Status TaskStore::update(const Task &task)
{
    QVariantList binds = taskBinds(task);
    binds << task.id;
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral(
            "UPDATE tasks SET title=?, description=?, created_by=?, schedule_kind=?, "
            "schedule_expr=?, dtstart=?, timezone=?, pipeline=?, params=?, status=?, "
            "priority=?, max_retries=?, next_run_at=?, version=?, created_at=?, "
            "updated_at=?, misfire_policy=?, misfire_grace_seconds=?, calendar=?, backoff=?, "
            "retry_base_ms=?, retry_max_ms=?, concurrency_key=?, concurrency_limit=?, "
            "overlap_policy=?, dedupe_key=?, dedupe_window_seconds=?, timeout_seconds=? "
            "WHERE id=?"),
        binds);
    if (!q)
        return q.error();
    if (q->numRowsAffected() == 0)
        return Error::notFound(QStringLiteral("no task with id %1").arg(task.id));
    return {};
}

Result<Task> TaskStore::get(const QString &id) const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT ") + kColumns + QStringLiteral(" FROM tasks WHERE id=?"), {id});
    if (!q)
        return q.error();
    if (!q->next())
        return Error::notFound(QStringLiteral("no task with id %1").arg(id));
    return taskFromRow(*q);
}

Result<Task> TaskStore::header(const QString &id) const
{
    Result<sql::Rows> q = sql::query(
        m_database.connection(),
        "SELECT title, status, priority, version, dedupe_key FROM tasks WHERE id=?", {id});
    if (!q)
        return q.error();
    if (q->empty())
        return Error::notFound(QStringLiteral("no task with id %1").arg(id));
    Task task;
    task.id = id;
    task.title = q->text(0, 0);
    const std::optional<TaskStatus> status = taskStatusFromString(q->text(0, 1));
    if (!status)
        return Error::internal(
            QStringLiteral("task %1 has an unknown status '%2'").arg(id, q->text(0, 1)));
    task.status = *status;
    task.priority = int(q->integer(0, 2));
    task.version = int(q->integer(0, 3));
    task.dedupeKey = q->text(0, 4);
    return task;
}

Result<TaskPage> TaskStore::list(std::optional<TaskStatus> status, int limit, int offset) const
{
    TaskFilter filter;
    filter.status = status;
    filter.limit = limit;
    filter.offset = offset;
    return list(filter);
}

Result<TaskPage> TaskStore::list(const TaskFilter &filter) const
{
    const QSqlDatabase db = m_database.connection();
    QStringList conditions;
    QVariantList binds;
    if (filter.status) {
        conditions << QStringLiteral("status=?");
        binds << toString(*filter.status);
    }
    if (filter.scheduleKind) {
        conditions << QStringLiteral("schedule_kind=?");
        binds << toString(*filter.scheduleKind);
    }
    if (!filter.createdBy.isEmpty()) {
        conditions << QStringLiteral("created_by=?");
        binds << filter.createdBy;
    }
    if (!filter.text.isEmpty()) {
        // LIKE ignores the case of ASCII letters; the text's own % and _ match themselves.
        QString pattern;
        for (const QChar c : filter.text) {
            if (c == QLatin1Char('\\') || c == QLatin1Char('%') || c == QLatin1Char('_'))
                pattern += QLatin1Char('\\');
            pattern += c;
        }
        pattern = QLatin1Char('%') + pattern + QLatin1Char('%');
        conditions << QStringLiteral(
            "(title LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')");
        binds << pattern << pattern;
    }
    const auto whereOf = [](const QStringList &all) {
        return all.isEmpty() ? QString()
                             : QStringLiteral(" WHERE ") + all.join(QStringLiteral(" AND "));
    };
    Result<QSqlQuery> count
        = sql::exec(db, QStringLiteral("SELECT COUNT(*) FROM tasks") + whereOf(conditions), binds);
    if (!count)
        return count.error();
    TaskPage page;
    if (count->next())
        page.total = count->value(0).toInt();
    count->finish();
    if (filter.after) {
        // Keyset: strictly after the cursor's task in the list's order.
        conditions << QStringLiteral("(created_at < ? OR (created_at = ? AND id < ?))");
        binds << sql::ms(filter.after->createdAt) << sql::ms(filter.after->createdAt)
              << filter.after->id;
    }
    // One more than the page: whether another page follows, without a second count.
    binds << filter.limit + 1 << filter.offset;
    Result<QSqlQuery> q = sql::exec(
        db,
        QStringLiteral("SELECT ") + kColumns + QStringLiteral(" FROM tasks") + whereOf(conditions)
            + QStringLiteral(" ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"),
        binds);
    if (!q)
        return q.error();
    while (q->next()) {
        if (static_cast<int>(page.items.size()) == filter.limit) {
            page.more = true;
            break;
        }
        Result<Task> task = taskFromRow(*q);
        if (!task)
            return task.error();
        page.items.push_back(std::move(*task));
    }
    return page;
}

Status TaskStore::remove(const QString &id)
{
    const QSqlDatabase db = m_database.connection();
    Result<QSqlQuery> q = sql::exec(db, QStringLiteral("DELETE FROM tasks WHERE id=?"), {id});
    if (!q)
        return q.error();
    if (q->numRowsAffected() == 0)
        return Error::notFound(QStringLiteral("no task with id %1").arg(id));
    Result<QSqlQuery> versions
        = sql::exec(db, QStringLiteral("DELETE FROM task_versions WHERE task_id=?"), {id});
    if (!versions)
        return versions.error();
    Result<QSqlQuery> pending = sql::exec(
        db, QStringLiteral("DELETE FROM run_queue WHERE task_id=? AND state='pending'"), {id});
    if (!pending)
        return pending.error();
    Result<QSqlQuery> canceled = sql::exec(
        db,
        QStringLiteral("UPDATE runs SET status='canceled', error='the task was deleted' "
                       "WHERE task_id=? AND status='queued'"),
        {id});
    if (!canceled)
        return canceled.error();
    return {};
}

Status TaskStore::setNextRunAt(const QString &id, const QDateTime &nextRunAt)
{
    Result<QSqlQuery> q = sql::exec(m_database.connection(),
                                    QStringLiteral("UPDATE tasks SET next_run_at=? WHERE id=?"),
                                    {sql::ms(nextRunAt), id});
    if (!q)
        return q.error();
    return {};
}

Status TaskStore::insertVersion(const QString &taskId, int version, const Json &document,
                                const QString &actor, const QDateTime &at)
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral(
            "INSERT INTO task_versions (task_id, version, document, created_by, created_at) "
            "VALUES (?,?,?,?,?)"),
        {taskId, version, QString::fromUtf8(dumpJson(document)), sql::text(actor), sql::ms(at)});
    if (!q)
        return q.error();
    return {};
}

Result<TaskVersionPage> TaskStore::versions(const QString &taskId, int limit, int offset) const
{
    const QSqlDatabase db = m_database.connection();
    Result<sql::Rows> count
        = sql::query(db, "SELECT COUNT(*) FROM task_versions WHERE task_id=?", {taskId});
    if (!count)
        return count.error();
    TaskVersionPage page;
    page.total = count->empty() ? 0 : int(count->integer(0, 0));
    Result<sql::Rows> q = sql::query(db,
                                     "SELECT version, created_at, created_by, document FROM "
                                     "task_versions WHERE task_id=? ORDER BY version DESC "
                                     "LIMIT ? OFFSET ?",
                                     {taskId, limit, offset});
    if (!q)
        return q.error();
    for (int row = 0; row < q->size(); ++row) {
        TaskVersion version;
        version.version = int(q->integer(row, 0));
        version.savedAt = q->instant(row, 1);
        version.savedBy = q->text(row, 2);
        const auto document = parseJson(q->utf8(row, 3));
        if (!document)
            return Error::internal(QStringLiteral("task %1 version %2 is unreadable")
                                       .arg(taskId)
                                       .arg(version.version));
        version.document = *document;
        page.items.push_back(std::move(version));
    }
    return page;
}

Result<QStringList> TaskStore::openRunIds(const QString &taskId) const
{
    Result<sql::Rows> q = sql::query(m_database.connection(),
                                     "SELECT run_id FROM run_queue WHERE task_id=? AND state IN "
                                     "('pending', 'leased') ORDER BY id",
                                     {taskId});
    if (!q)
        return q.error();
    QStringList ids;
    for (int row = 0; row < q->size(); ++row)
        ids << q->text(row, 0);
    return ids;
}

Result<QByteArray> TaskStore::versionText(const QString &taskId, int version) const
{
    Result<sql::Rows> q = sql::query(
        m_database.connection(), "SELECT document FROM task_versions WHERE task_id=? AND version=?",
        {taskId, version});
    if (!q)
        return q.error();
    if (q->empty())
        return Error::notFound(
            QStringLiteral("task %1 has no version %2").arg(taskId).arg(version));
    return q->utf8(0, 0);
}

Result<Json> TaskStore::versionDocument(const QString &taskId, int version) const
{
    Result<QByteArray> text = versionText(taskId, version);
    if (!text)
        return text.error();
    auto document = parseJson(*text);
    if (!document)
        return Error::internal(
            QStringLiteral("task %1 version %2 is unreadable").arg(taskId).arg(version));
    return *document;
}

Result<std::vector<Task>> TaskStore::due(const QDateTime &now, int limit) const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT ") + kColumns
            + QStringLiteral(" FROM tasks WHERE status='active' AND next_run_at IS NOT NULL "
                             "AND next_run_at <= ? ORDER BY next_run_at LIMIT ?"),
        {sql::ms(now), limit});
    if (!q)
        return q.error();
    std::vector<Task> tasks;
    while (q->next()) {
        Result<Task> task = taskFromRow(*q);
        if (!task)
            return task.error();
        tasks.push_back(std::move(*task));
    }
    return tasks;
}

Result<QDateTime> TaskStore::earliestNextRun() const
{
    Result<QSqlQuery> q
        = sql::exec(m_database.connection(),
                    QStringLiteral("SELECT MIN(next_run_at) FROM tasks WHERE status='active'"));
    if (!q)
        return q.error();
    if (!q->next())
        return QDateTime();
    return sql::instant(q->value(0));
}

} // namespace ordinaut
