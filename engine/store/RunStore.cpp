// RunStore: SQL for runs and their steps.
#include "RunStore.h"

#include "Database.h"
#include "Prepared.h"
#include "Sql.h"

namespace ordinaut {

namespace {

const QString kSelect = QStringLiteral(
    "SELECT r.id, r.task_id, COALESCE(t.title, ''), r.task_version, r.attempt, r.trigger, "
    "r.status, "
    "r.scheduled_for, r.queued_at, r.started_at, r.finished_at, r.error, r.output, r.worker, "
    "r.late_ms, r.coalesced, r.resume FROM runs r LEFT JOIN tasks t ON t.id = r.task_id");

const QByteArray kSelectUtf8 = kSelect.toUtf8();

Run runFromRows(const sql::Rows &rows, int row)
{
    Run run;
    run.id = rows.text(row, 0);
    run.taskId = rows.text(row, 1);
    run.taskTitle = rows.text(row, 2);
    run.taskVersion = int(rows.integer(row, 3));
    run.attempt = int(rows.integer(row, 4));
    run.trigger = runTriggerFromString(rows.text(row, 5)).value_or(RunTrigger::Schedule);
    run.status = runStatusFromString(rows.text(row, 6)).value_or(RunStatus::Failed);
    run.scheduledFor = rows.instant(row, 7);
    run.queuedAt = rows.instant(row, 8);
    run.startedAt = rows.instant(row, 9);
    run.finishedAt = rows.instant(row, 10);
    run.error = rows.text(row, 11);
    run.output = rows.isNull(row, 12) ? Json() : parseJson(rows.utf8(row, 12)).value_or(Json());
    run.worker = rows.text(row, 13);
    run.lateMs = rows.integer(row, 14);
    run.coalesced = int(rows.integer(row, 15));
    run.resume = rows.isNull(row, 16) ? Json() : parseJson(rows.utf8(row, 16)).value_or(Json());
    return run;
}

Run runFromRow(const QSqlQuery &q)
{
    Run run;
    run.id = q.value(0).toString();
    run.taskId = q.value(1).toString();
    run.taskTitle = q.value(2).toString();
    run.taskVersion = q.value(3).toInt();
    run.attempt = q.value(4).toInt();
    run.trigger = runTriggerFromString(q.value(5).toString()).value_or(RunTrigger::Schedule);
    run.status = runStatusFromString(q.value(6).toString()).value_or(RunStatus::Failed);
    run.scheduledFor = sql::instant(q.value(7));
    run.queuedAt = sql::instant(q.value(8));
    run.startedAt = sql::instant(q.value(9));
    run.finishedAt = sql::instant(q.value(10));
    run.error = q.value(11).toString();
    run.output
        = q.value(12).isNull() ? Json() : parseJson(q.value(12).toByteArray()).value_or(Json());
    run.worker = q.value(13).toString();
    run.lateMs = q.value(14).toLongLong();
    run.coalesced = q.value(15).toInt();
    run.resume
        = q.value(16).isNull() ? Json() : parseJson(q.value(16).toByteArray()).value_or(Json());
    return run;
}

} // namespace

RunStore::RunStore(const Database &database)
    : m_database(database)
{}

Result<Run> RunStore::get(const QString &id, bool withSteps) const
{
    static const QByteArray byId = kSelectUtf8 + " WHERE r.id=?";
    Result<sql::Rows> q = sql::query(m_database.connection(), byId.constData(), {id});
    if (!q)
        return q.error();
    if (q->empty())
        return Error::notFound(QStringLiteral("no run with id %1").arg(id));
    Run run = runFromRows(*q, 0);
    if (withSteps) {
        Result<std::vector<StepRecord>> list = steps(id);
        if (!list)
            return list.error();
        run.steps = std::move(*list);
    }
    return run;
}

Result<RunPage> RunStore::list(const RunFilter &filter) const
{
    const QSqlDatabase db = m_database.connection();
    QStringList conditions;
    QVariantList binds;
    if (!filter.taskId.isEmpty()) {
        conditions << QStringLiteral("r.task_id=?");
        binds << filter.taskId;
    }
    if (filter.status) {
        conditions << QStringLiteral("r.status=?");
        binds << toString(*filter.status);
    }
    const QString where = conditions.isEmpty() ? QString()
                                               : QStringLiteral(" WHERE ")
                                                     + conditions.join(QStringLiteral(" AND "));
    RunPage page;
    Result<QSqlQuery> count
        = sql::exec(db, QStringLiteral("SELECT COUNT(*) FROM runs r") + where, binds);
    if (!count)
        return count.error();
    if (count->next())
        page.total = count->value(0).toInt();
    binds << filter.limit << filter.offset;
    Result<QSqlQuery> q = sql::exec(
        db, kSelect + where + QStringLiteral(" ORDER BY r.id DESC LIMIT ? OFFSET ?"), binds);
    if (!q)
        return q.error();
    while (q->next())
        page.items.push_back(runFromRow(*q));
    return page;
}

Status RunStore::insertStep(const StepRecord &step)
{
    const QString status = toString(step.status);
    const QByteArray input = dumpJson(step.input);
    const QByteArray output = dumpJson(step.output);
    const QString error = step.error.isEmpty() ? QString() : step.error;
    Result<sql::Rows> q = sql::query(
        m_database.connection(),
        // A step that paused its run is recorded twice: waiting, then as it ended on resume.
        "INSERT INTO run_steps (run_id, idx, step_id, uses, status, input, output, error, "
        "started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (run_id, idx) DO "
        "UPDATE SET status=excluded.status, input=excluded.input, output=excluded.output, "
        "error=excluded.error, finished_at=excluded.finished_at",
        {step.runId, step.index, step.stepId, step.uses, status, input, output, error,
         step.startedAt, step.finishedAt});
    if (!q)
        return q.error();
    return {};
}

Status RunStore::finish(const QString &runId, RunStatus status, const QString &error,
                        const Json &output, const QDateTime &finishedAt)
{
    const QString statusText = toString(status);
    const QString errorText = error.isEmpty() ? QString() : error;
    const QByteArray outputText = dumpJson(output);
    Result<sql::Rows> q = sql::query(
        m_database.connection(),
        "UPDATE runs SET status=?, error=?, output=?, finished_at=?, resume=NULL WHERE id=?",
        {statusText, errorText, outputText, finishedAt, runId});
    if (!q)
        return q.error();
    if (q->changes() == 0)
        return Error::notFound(QStringLiteral("no run with id %1").arg(runId));
    return {};
}

Result<std::vector<Run>> RunStore::latestPerTask() const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        kSelect + QStringLiteral(" WHERE r.id IN (SELECT MAX(id) FROM runs GROUP BY task_id)"));
    if (!q)
        return q.error();
    std::vector<Run> list;
    while (q->next())
        list.push_back(runFromRow(*q));
    return list;
}

Status RunStore::suspend(const QString &runId, RunStatus status, const Json &resume)
{
    Result<QSqlQuery> q = sql::exec(m_database.connection(),
                                    QStringLiteral("UPDATE runs SET status=?, resume=? WHERE id=?"),
                                    {toString(status), QString::fromUtf8(dumpJson(resume)), runId});
    if (!q)
        return q.error();
    if (q->numRowsAffected() == 0)
        return Error::notFound(QStringLiteral("there is no run %1").arg(runId));
    return {};
}

Result<std::vector<StepRecord>> RunStore::steps(const QString &runId) const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT idx, step_id, uses, status, input, output, error, started_at, "
                       "finished_at FROM run_steps WHERE run_id=? ORDER BY idx"),
        {runId});
    if (!q)
        return q.error();
    std::vector<StepRecord> list;
    while (q->next()) {
        StepRecord step;
        step.runId = runId;
        step.index = q->value(0).toInt();
        step.stepId = q->value(1).toString();
        step.uses = q->value(2).toString();
        step.status = stepStatusFromString(q->value(3).toString());
        step.input = parseJson(q->value(4).toByteArray()).value_or(Json());
        step.output = parseJson(q->value(5).toByteArray()).value_or(Json());
        step.error = q->value(6).toString();
        step.startedAt = sql::instant(q->value(7));
        step.finishedAt = sql::instant(q->value(8));
        list.push_back(std::move(step));
    }
    return list;
}

} // namespace ordinaut
