// RunStore: SQL for runs and their steps.
#include "RunStore.h"

#include "Database.h"
#include "Prepared.h"
#include "Sql.h"

#include <algorithm>

namespace ordinaut {

namespace {

const QString kSelect = QStringLiteral(
    "SELECT r.id, r.task_id, COALESCE(t.title, ''), r.task_version, r.attempt, r.trigger, "
    "r.status, "
    "r.scheduled_for, r.queued_at, r.started_at, r.finished_at, r.error, r.output, r.worker, "
    "r.late_ms, r.coalesced, r.resume, c.context, r.request_id FROM runs r LEFT JOIN tasks t ON "
    "t.id = r.task_id "
    "LEFT JOIN run_contexts c ON c.task_id = r.task_id AND c.scheduled_for = r.scheduled_for");

// Statuses of runs that had an outcome of their own: what success rates and durations count.
const QString kOutcomeStatuses
    = QStringLiteral("('succeeded', 'failed', 'timed_out', 'abandoned')");

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
    run.context = rows.isNull(row, 17) ? Json() : parseJson(rows.utf8(row, 17)).value_or(Json());
    run.requestId = rows.text(row, 18);
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
    run.context
        = q.value(17).isNull() ? Json() : parseJson(q.value(17).toByteArray()).value_or(Json());
    run.requestId = q.value(18).toString();
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

Result<RunPage> RunStore::list(const RunFilter &filter, const RunCriteria &criteria) const
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
    if (!criteria.statuses.empty()) {
        QStringList marks;
        for (RunStatus status : criteria.statuses) {
            marks << QStringLiteral("?");
            binds << toString(status);
        }
        conditions << QStringLiteral("r.status IN (%1)").arg(marks.join(QLatin1Char(',')));
    }
    if (criteria.trigger) {
        conditions << QStringLiteral("r.trigger=?");
        binds << toString(*criteria.trigger);
    }
    const std::pair<const QDateTime *, const char *> bounds[] = {
        {&criteria.scheduledAfter, "r.scheduled_for>=?"},
        {&criteria.scheduledBefore, "r.scheduled_for<?"},
        {&criteria.startedAfter, "r.started_at>=?"},
        {&criteria.startedBefore, "r.started_at<?"},
    };
    for (const auto &[instant, condition] : bounds) {
        if (!instant->isValid())
            continue;
        conditions << QLatin1String(condition);
        binds << sql::ms(*instant);
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

Result<RunStats> RunStore::stats(const QDateTime &from, const QDateTime &to) const
{
    const QSqlDatabase db = m_database.connection();
    const QVariantList window{sql::ms(from), sql::ms(to)};
    RunStats stats;
    std::map<QString, RunStatsGroup> groups;
    Result<QSqlQuery> counts = sql::exec(
        db,
        QStringLiteral("SELECT r.task_id, COALESCE(t.title, ''), r.status, COUNT(*) FROM runs r "
                       "LEFT JOIN tasks t ON t.id = r.task_id WHERE r.queued_at>=? AND "
                       "r.queued_at<? GROUP BY r.task_id, r.status"),
        window);
    if (!counts)
        return counts.error();
    static const std::vector<RunStatus> kOutcomes
        = {RunStatus::Succeeded, RunStatus::Failed, RunStatus::TimedOut, RunStatus::Abandoned};
    while (counts->next()) {
        const std::optional<RunStatus> status = runStatusFromString(counts->value(2).toString());
        if (!status)
            continue;
        const int n = counts->value(3).toInt();
        RunStatsGroup &group = groups[counts->value(0).toString()];
        group.taskId = counts->value(0).toString();
        group.title = counts->value(1).toString();
        for (RunStatsGroup *each : {&group, &stats.overall}) {
            each->counts[*status] += n;
            each->total += n;
            if (*status == RunStatus::Succeeded)
                each->succeeded += n;
            if (std::find(kOutcomes.begin(), kOutcomes.end(), *status) != kOutcomes.end())
                each->withOutcome += n;
        }
    }
    counts->finish();
    // Exact nearest-rank percentiles in SQL: only the rows at the two ranks come back, however
    // many runs the window holds. The same ranking once per task and once over all of them.
    const QString durations = QStringLiteral(
        "SELECT %1 AS task_id, r.finished_at - r.started_at AS ms, ROW_NUMBER() OVER (PARTITION "
        "BY %1 ORDER BY r.finished_at - r.started_at) AS pos, COUNT(*) OVER (PARTITION BY %1) "
        "AS n FROM runs r WHERE r.queued_at>=? AND r.queued_at<? AND r.status IN %2 AND "
        "r.started_at IS NOT NULL AND r.finished_at IS NOT NULL");
    const QString ranked = QStringLiteral("SELECT task_id, ms, pos, n FROM (%1 UNION ALL %2) d "
                                          "WHERE pos = (50 * n + 99) / 100 OR pos = (95 * n + "
                                          "99) / 100")
                               .arg(durations.arg(QStringLiteral("r.task_id"), kOutcomeStatuses),
                                    durations.arg(QStringLiteral("NULL"), kOutcomeStatuses));
    Result<QSqlQuery> q = sql::exec(db, ranked, window + window);
    if (!q)
        return q.error();
    while (q->next()) {
        RunStatsGroup &group
            = q->value(0).isNull() ? stats.overall : groups[q->value(0).toString()];
        const qint64 ms = q->value(1).toLongLong();
        const qint64 rank = q->value(2).toLongLong();
        const qint64 n = q->value(3).toLongLong();
        if (rank == (50 * n + 99) / 100)
            group.p50Ms = ms;
        if (rank == (95 * n + 99) / 100)
            group.p95Ms = ms;
    }
    for (auto &[id, group] : groups)
        stats.tasks.push_back(std::move(group));
    return stats;
}

Status RunStore::setContext(const QString &taskId, const QDateTime &scheduledFor,
                            const Json &context)
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral(
            "INSERT INTO run_contexts (task_id, scheduled_for, context) VALUES (?,?,?) "
            "ON CONFLICT (task_id, scheduled_for) DO UPDATE SET context=excluded.context"),
        {taskId, sql::ms(scheduledFor), QString::fromUtf8(dumpJson(context))});
    if (!q)
        return q.error();
    return {};
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
