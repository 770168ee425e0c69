// /api/v1/runs through HttpApi::handle: the list's filters (each, combined, bad values), the
// statistics against hand-computed numbers, approving and rejecting through the run, and an
// agent kept from changing runs of tasks another agent created.
#include "support/ApiHarness.h"
#include "support/EngineHarness.h"
#include "support/TestData.h"

#include "api/HttpApi.h"
#include "store/Database.h"
#include "store/Sql.h"

#include <QElapsedTimer>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTest>
#include <QUrlQuery>

#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kKey(32, 'k');

Json jsonOf(const HttpResponse &response)
{
    return parseJson(response.body).value_or(Json());
}

QString describe(const HttpResponse &response)
{
    return QString::number(response.status) + QLatin1Char(' ') + QString::fromUtf8(response.body);
}

// The ids of a page's items, in order, separated by spaces.
QString idsOf(const HttpResponse &response)
{
    QStringList ids;
    const Json body = jsonOf(response);
    if (!body.contains("items"))
        return QStringLiteral("<no items: %1>").arg(describe(response));
    for (const Json &item : body["items"])
        ids << item["id"].get<QString>();
    return ids.join(QLatin1Char(' '));
}

const char *kApprovalPipeline = R"j([
    {"id": "ask", "uses": "human.approve", "with": {"title": "Ship it?"}},
    {"id": "after", "uses": "debug.echo", "with": {"by": "${steps.ask.by}"}}])j";

} // namespace

class tst_RunRoutes final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init();
    void cleanup();
    void eachFilterNarrowsTheList();
    void filtersCombine();
    void badFilterValuesAreRefusedNamingTheParameter();
    void statsMatchHandComputedNumbers();
    void statsRefuseABadWindow();
    void statsOverAHundredThousandRunsAreQuick();
    void approveAndRejectThroughTheRun();
    void anotherAgentsRunCannotBeChanged();

private:
    HttpResponse call(const QByteArray &method, const QString &path, const QString &token,
                      const Json &body = Json());
    // A token for a new agent with these scopes; its id in `id`.
    QString tokenFor(const QStringList &scopes, QString *id = nullptr);
    void insertRun(const QString &id, const QString &taskId, const char *status,
                   const char *trigger, const char *scheduledFor, const char *queuedAt,
                   const char *startedAt, qint64 durationMs);
    int runCount();

    std::unique_ptr<test::EngineHarness> m_h;
    std::unique_ptr<HttpApi> m_api;
    QString m_admin;
};

void tst_RunRoutes::init()
{
    m_h = std::make_unique<test::EngineHarness>(1);
    m_api = std::make_unique<HttpApi>(m_h->engine(), m_h->services(), kKey);
    m_admin = tokenFor({QStringLiteral("*")});
    QVERIFY(!m_admin.isEmpty());
}

void tst_RunRoutes::cleanup()
{
    m_api.reset();
    m_h.reset();
}

QString tst_RunRoutes::tokenFor(const QStringList &scopes, QString *id)
{
    Result<Agent> agent
        = m_h->services().agents.create(QStringLiteral("agent"), scopes, QStringLiteral("test"));
    if (!agent)
        return QString();
    if (id)
        *id = agent->id;
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*agent);
    return tokens ? tokens->accessToken : QString();
}

HttpResponse tst_RunRoutes::call(const QByteArray &method, const QString &path,
                                 const QString &token, const Json &body)
{
    return m_api->handle(test::apiRequest(method, path, token, body));
}

void tst_RunRoutes::insertRun(const QString &id, const QString &taskId, const char *status,
                              const char *trigger, const char *scheduledFor, const char *queuedAt,
                              const char *startedAt, qint64 durationMs)
{
    const QDateTime started = startedAt ? test::utc(startedAt) : QDateTime();
    const QDateTime finished
        = started.isValid() && durationMs >= 0 ? started.addMSecs(durationMs) : QDateTime();
    Result<QSqlQuery> q = sql::exec(
        m_h->engine().database().connection(),
        QStringLiteral("INSERT INTO runs (id, task_id, task_version, attempt, trigger, status, "
                       "scheduled_for, queued_at, started_at, finished_at) VALUES "
                       "(?,?,1,1,?,?,?,?,?,?)"),
        {id, taskId, QString::fromLatin1(trigger), QString::fromLatin1(status),
         sql::ms(test::utc(scheduledFor)), sql::ms(test::utc(queuedAt)), sql::ms(started),
         sql::ms(finished)});
    QVERIFY2(q, q ? "" : qPrintable(q.error().describe()));
}

int tst_RunRoutes::runCount()
{
    Result<QSqlQuery> q = sql::exec(m_h->engine().database().connection(),
                                    QStringLiteral("SELECT COUNT(*) FROM runs"));
    return q && q->next() ? q->value(0).toInt() : -1;
}

void tst_RunRoutes::eachFilterNarrowsTheList()
{
    const char *at = "2026-06-01T00:00:00Z";
    insertRun(QStringLiteral("r1"), QStringLiteral("A"), "succeeded", "schedule",
              "2026-06-01T00:00:00Z", at, "2026-06-01T00:00:01Z", 1000);
    insertRun(QStringLiteral("r2"), QStringLiteral("A"), "failed", "manual", "2026-06-02T00:00:00Z",
              at, "2026-06-02T00:00:01Z", 1000);
    insertRun(QStringLiteral("r3"), QStringLiteral("B"), "queued", "api", "2026-06-03T00:00:00Z",
              at, nullptr, -1);
    insertRun(QStringLiteral("r4"), QStringLiteral("B"), "succeeded", "event",
              "2026-06-04T00:00:00Z", at, "2026-06-04T00:00:01Z", 1000);
    insertRun(QStringLiteral("r5"), QStringLiteral("A"), "timed_out", "retry",
              "2026-06-05T00:00:00Z", at, "2026-06-05T00:00:01Z", 1000);
    const QString base = QStringLiteral("/api/v1/runs?");
    auto ids = [&](const char *query) {
        return idsOf(call("GET", base + QLatin1String(query), m_admin));
    };
    QCOMPARE(ids(""), QStringLiteral("r5 r4 r3 r2 r1"));
    QCOMPARE(ids("task_id=A"), QStringLiteral("r5 r2 r1"));
    QCOMPARE(ids("status=succeeded"), QStringLiteral("r4 r1"));
    QCOMPARE(ids("status=succeeded,failed"), QStringLiteral("r4 r2 r1"));
    QCOMPARE(ids("status=succeeded&status=timed_out"), QStringLiteral("r5 r4 r1"));
    QCOMPARE(ids("trigger=event"), QStringLiteral("r4"));
    QCOMPARE(ids("trigger=retry"), QStringLiteral("r5"));
    // Windows are half-open: at or after `…_after`, strictly before `…_before`.
    QCOMPARE(ids("scheduled_after=2026-06-02T00:00:00Z&scheduled_before=2026-06-04T00:00:00Z"),
             QStringLiteral("r3 r2"));
    QCOMPARE(ids("scheduled_after=2026-06-04T02:00:00%2B02:00"), QStringLiteral("r5 r4"));
    QCOMPARE(ids("started_after=2026-06-02T00:00:01Z"), QStringLiteral("r5 r4 r2"));
    QCOMPARE(ids("started_before=2026-06-02T00:00:00Z"), QStringLiteral("r1"));
    const Json page
        = jsonOf(call("GET", base + QStringLiteral("task_id=A&limit=1&offset=1"), m_admin));
    QVERIFY2(page["total"] == 3 && page["items"][0]["id"] == "r2" && page["has_more"] == true,
             page.dump().c_str());
}

void tst_RunRoutes::filtersCombine()
{
    const char *at = "2026-06-01T00:00:00Z";
    insertRun(QStringLiteral("r1"), QStringLiteral("A"), "succeeded", "schedule",
              "2026-06-01T00:00:00Z", at, "2026-06-01T00:00:01Z", 1000);
    insertRun(QStringLiteral("r2"), QStringLiteral("A"), "failed", "manual", "2026-06-02T00:00:00Z",
              at, "2026-06-02T00:00:01Z", 1000);
    insertRun(QStringLiteral("r3"), QStringLiteral("B"), "failed", "manual", "2026-06-02T00:00:00Z",
              at, "2026-06-02T00:00:01Z", 1000);
    insertRun(QStringLiteral("r4"), QStringLiteral("A"), "failed", "schedule",
              "2026-06-03T00:00:00Z", at, "2026-06-03T00:00:01Z", 1000);
    const HttpResponse answer
        = call("GET",
               QStringLiteral("/api/v1/runs?task_id=A&status=succeeded,failed&trigger=manual"
                              "&started_after=2026-06-01T12:00:00Z&scheduled_before=2026-06-03T00:"
                              "00:00Z"),
               m_admin);
    QCOMPARE(idsOf(answer), QStringLiteral("r2"));
    QCOMPARE(jsonOf(answer)["total"].get<int>(), 1);
}

void tst_RunRoutes::badFilterValuesAreRefusedNamingTheParameter()
{
    const std::vector<std::pair<const char *, const char *>> cases{
        {"status=bogus", "status"},
        {"status=succeeded,nope", "status"},
        {"status=", "status"},
        {"trigger=cron", "trigger"},
        {"scheduled_after=yesterday", "scheduled_after"},
        {"scheduled_before=2026-06-01T00:00:00", "scheduled_before"}, // no offset
        {"started_after=2026-13-01T00:00:00Z", "started_after"},
        {"started_before=", "started_before"},
        {"scheduled_after=2026-06-02T00:00:00Z&scheduled_before=2026-06-01T00:00:00Z",
         "scheduled_after"},
        {"started_after=2026-06-02T00:00:00Z&started_before=2026-06-01T00:00:00Z", "started_after"},
        {"limit=0", "limit"},
        {"offset=-1", "offset"},
    };
    for (const auto &[query, field] : cases) {
        const HttpResponse answer
            = call("GET", QStringLiteral("/api/v1/runs?") + QLatin1String(query), m_admin);
        QVERIFY2(answer.status == 422,
                 qPrintable(QLatin1String(query) + QStringLiteral(": ") + describe(answer)));
        QCOMPARE(answer.contentType, QByteArray("application/problem+json"));
        QVERIFY2(jsonOf(answer)["errors"][0]["field"] == field, qPrintable(describe(answer)));
    }
}

void tst_RunRoutes::statsMatchHandComputedNumbers()
{
    // The harness's clock says 2026-06-10T12:00:00Z: the 7-day window starts 06-03T12:00.
    const QString a = m_h->createTask(Json::array());
    const QString b = m_h->createTask(Json::array());
    const char *in = "2026-06-08T00:00:00Z";
    const char *start = "2026-06-08T00:00:00Z";
    int n = 0;
    auto id = [&n] { return QStringLiteral("s%1").arg(++n, 2, 10, QLatin1Char('0')); };
    // Task a: succeeded in 1, 2, 3, 4 and 10 s, failed in 5 s.
    for (qint64 seconds : {1, 2, 3, 4, 10})
        insertRun(id(), a, "succeeded", "schedule", in, in, start, seconds * 1000);
    insertRun(id(), a, "failed", "schedule", in, in, start, 5000);
    // Task b: succeeded in 7 s, timed out after 20 s; a canceled run and a queued one count
    // only as runs (no outcome of their own).
    insertRun(id(), b, "succeeded", "manual", in, in, start, 7000);
    insertRun(id(), b, "timed_out", "manual", in, in, start, 20000);
    insertRun(id(), b, "canceled", "manual", in, in, start, 1000);
    insertRun(id(), b, "queued", "manual", in, in, nullptr, -1);
    // Eight days ago: outside a 7-day window, inside a 30-day one.
    insertRun(id(), a, "succeeded", "schedule", "2026-06-02T00:00:00Z", "2026-06-02T00:00:00Z",
              "2026-06-02T00:00:00Z", 100000);

    const HttpResponse answer = call("GET", QStringLiteral("/api/v1/runs/stats"), m_admin);
    QVERIFY2(answer.status == 200, qPrintable(describe(answer)));
    const Json body = jsonOf(answer);
    QVERIFY2(body["days"] == 7 && body["window_start"] == "2026-06-03T12:00:00.000Z"
                 && body["window_end"] == "2026-06-10T12:00:00.000Z",
             body.dump().c_str());
    const Json overall = body["overall"];
    // Outcomes 1 2 3 4 5 7 10 20 s: p50 the 4th (4 s), p95 the 8th (20 s); 6 of 8 succeeded.
    QVERIFY2(overall["total"] == 10 && overall["success_rate"] == 0.75
                 && overall["p50_seconds"] == 4.0 && overall["p95_seconds"] == 20.0
                 && overall["counts"]["succeeded"] == 6 && overall["counts"]["canceled"] == 1
                 && overall["counts"]["queued"] == 1 && overall["counts"]["running"] == 0,
             overall.dump().c_str());
    QCOMPARE(body["tasks"].size(), size_t(2));
    for (const Json &task : body["tasks"]) {
        if (task["task_id"] == a.toStdString()) {
            // 1 2 3 4 5 10 s: p50 the 3rd, p95 the 6th; 5 of 6 succeeded.
            QVERIFY2(task["total"] == 6 && task["p50_seconds"] == 3.0 && task["p95_seconds"] == 10.0
                         && task["counts"]["failed"] == 1
                         && std::abs(task["success_rate"].get<double>() - 5.0 / 6.0) < 1e-9
                         && task["title"] == "test task",
                     task.dump().c_str());
        } else {
            QVERIFY2(task["task_id"] == b.toStdString() && task["total"] == 4
                         && task["success_rate"] == 0.5 && task["p50_seconds"] == 7.0
                         && task["p95_seconds"] == 20.0 && task["counts"]["timed_out"] == 1,
                     task.dump().c_str());
        }
    }
    // Thirty days take the old run in: a's durations 1 2 3 4 5 10 100 s.
    const Json month = jsonOf(call("GET", QStringLiteral("/api/v1/runs/stats?days=30"), m_admin));
    for (const Json &task : month["tasks"]) {
        if (task["task_id"] == a.toStdString())
            QVERIFY2(task["total"] == 7 && task["p50_seconds"] == 4.0
                         && task["p95_seconds"] == 100.0,
                     task.dump().c_str());
    }
    // No run with an outcome: no rate and no percentiles rather than zeros.
    QVERIFY(sql::exec(m_h->engine().database().connection(), QStringLiteral("DELETE FROM runs")));
    insertRun(QStringLiteral("q1"), a, "queued", "manual", in, in, nullptr, -1);
    const Json quiet = jsonOf(call("GET", QStringLiteral("/api/v1/runs/stats?days=1"), m_admin));
    QVERIFY2(quiet["overall"]["total"] == 0 && quiet["overall"]["success_rate"].is_null()
                 && quiet["overall"]["p50_seconds"].is_null(),
             quiet.dump().c_str());
}

void tst_RunRoutes::statsRefuseABadWindow()
{
    for (const char *days : {"0", "91", "seven", "-3"}) {
        const HttpResponse answer = call(
            "GET", QStringLiteral("/api/v1/runs/stats?days=") + QLatin1String(days), m_admin);
        QVERIFY2(answer.status == 422 && jsonOf(answer)["errors"][0]["field"] == "days",
                 qPrintable(describe(answer)));
    }
    QCOMPARE(call("GET", QStringLiteral("/api/v1/runs/stats"), QString()).status, 401);
}

void tst_RunRoutes::statsOverAHundredThousandRunsAreQuick()
{
    // 100,000 finished runs of 50 tasks over the last 90 days, durations 0.1 .. 100 s.
    QSqlDatabase db = m_h->engine().database().connection();
    QVERIFY(db.transaction());
    QSqlQuery insert(db);
    QVERIFY(insert.prepare(QStringLiteral(
        "INSERT INTO runs (id, task_id, task_version, attempt, trigger, status, scheduled_for, "
        "queued_at, started_at, finished_at) VALUES (?,?,1,1,'schedule',?,?,?,?,?)")));
    const qint64 now = test::utc("2026-06-10T12:00:00Z").toMSecsSinceEpoch();
    const char *statuses[] = {"succeeded", "succeeded", "succeeded", "failed", "timed_out"};
    for (int i = 0; i < 100000; ++i) {
        const qint64 queued = now - qint64(i) * 77760; // 90 days spread over the runs
        insert.addBindValue(QStringLiteral("b%1").arg(i, 6, 10, QLatin1Char('0')));
        insert.addBindValue(QStringLiteral("task-%1").arg(i % 50));
        insert.addBindValue(QString::fromLatin1(statuses[i % 5]));
        insert.addBindValue(queued);
        insert.addBindValue(queued);
        insert.addBindValue(queued + 10);
        insert.addBindValue(queued + 10 + 100 + (qint64(i) * 7919) % 100000);
        QVERIFY2(insert.exec(), qPrintable(insert.lastError().text()));
    }
    insert.finish();
    QVERIFY(db.commit());
    for (int days : {7, 90}) {
        QElapsedTimer timer;
        timer.start();
        const HttpResponse answer
            = call("GET", QStringLiteral("/api/v1/runs/stats?days=%1").arg(days), m_admin);
        const qint64 elapsedMs = timer.elapsed();
        QVERIFY2(answer.status == 200, qPrintable(describe(answer)));
        const Json body = jsonOf(answer);
        qInfo("stats over %d days (%d of 100,000 runs, %zu tasks): %lld ms", days,
              body["overall"]["total"].get<int>(), body["tasks"].size(), elapsedMs);
        QCOMPARE(body["tasks"].size(), size_t(50));
        // Generous: measured here at a few hundred milliseconds for the whole table.
        QVERIFY2(elapsedMs < 5000, qPrintable(QString::number(elapsedMs)));
    }
}

void tst_RunRoutes::approveAndRejectThroughTheRun()
{
    const QString task = m_h->createTask(*parseJson(kApprovalPipeline));
    const Run first = m_h->runAndSettle(task);
    QVERIFY(first.status == RunStatus::WaitingApproval);
    // A body with anything but a comment changes nothing.
    HttpResponse answer = call("POST", QStringLiteral("/api/v1/runs/%1/approve").arg(first.id),
                               m_admin, Json{{"comment", "ok"}, {"colour", "red"}});
    QVERIFY2(answer.status == 422 && jsonOf(answer)["errors"][0]["field"] == "colour",
             qPrintable(describe(answer)));
    answer = call("POST", QStringLiteral("/api/v1/runs/%1/approve").arg(first.id), m_admin,
                  Json{{"comment", 5}});
    QVERIFY2(answer.status == 422 && jsonOf(answer)["errors"][0]["field"] == "comment",
             qPrintable(describe(answer)));
    QVERIFY(m_h->services().runs.get(first.id, false)->status == RunStatus::WaitingApproval);

    answer = call("POST", QStringLiteral("/api/v1/runs/%1/approve").arg(first.id), m_admin,
                  Json{{"comment", "ship it"}});
    QVERIFY2(answer.status == 200, qPrintable(describe(answer)));
    QVERIFY2(jsonOf(answer)["status"] == "approved"
                 && jsonOf(answer)["run_id"] == first.id.toStdString(),
             qPrintable(describe(answer)));
    const Run approved = m_h->waitFinished(first.id);
    QVERIFY2(approved.status == RunStatus::Succeeded, qPrintable(approved.error));
    // Finished: nothing left to decide.
    answer = call("POST", QStringLiteral("/api/v1/runs/%1/reject").arg(first.id), m_admin);
    QVERIFY2(answer.status == 409, qPrintable(describe(answer)));

    const Run second = m_h->runAndSettle(task);
    QVERIFY(second.status == RunStatus::WaitingApproval);
    answer = call("POST", QStringLiteral("/api/v1/runs/%1/reject").arg(second.id), m_admin);
    QVERIFY2(answer.status == 200 && jsonOf(answer)["status"] == "rejected",
             qPrintable(describe(answer)));
    QVERIFY(m_h->waitFinished(second.id).status == RunStatus::Failed);
    QCOMPARE(call("POST", QStringLiteral("/api/v1/runs/nope/approve"), m_admin).status, 404);
    // approvals:write is the scope, as for /api/v1/approvals/{id}/approve.
    const QString reader = tokenFor({QStringLiteral("runs:read"), QStringLiteral("runs:write")});
    QCOMPARE(call("POST", QStringLiteral("/api/v1/runs/%1/approve").arg(second.id), reader).status,
             403);
}

void tst_RunRoutes::anotherAgentsRunCannotBeChanged()
{
    QString otherId;
    const QString other = tokenFor({QStringLiteral("runs:read"), QStringLiteral("runs:write"),
                                    QStringLiteral("approvals:write")},
                                   &otherId);
    // The harness's tasks are created by "test": not this agent's.
    const QString task = m_h->createTask(*parseJson(kApprovalPipeline));
    const Run waiting = m_h->runAndSettle(task);
    QVERIFY(waiting.status == RunStatus::WaitingApproval);
    const QString approvalId = waiting.resume["approval_id"].get<QString>();
    const int runsBefore = runCount();
    for (const QString &action : {QStringLiteral("cancel"), QStringLiteral("retry"),
                                  QStringLiteral("approve"), QStringLiteral("reject")}) {
        const HttpResponse answer
            = call("POST", QStringLiteral("/api/v1/runs/%1/%2").arg(waiting.id, action), other);
        QVERIFY2(answer.status == 403, qPrintable(action + QLatin1Char(' ') + describe(answer)));
    }
    for (const QString &action : {QStringLiteral("approve"), QStringLiteral("reject")}) {
        const HttpResponse answer = call(
            "POST", QStringLiteral("/api/v1/approvals/%1/%2").arg(approvalId, action), other);
        QVERIFY2(answer.status == 403, qPrintable(action + QLatin1Char(' ') + describe(answer)));
    }
    // Nothing changed: the run still waits, its approval is pending, no run was added.
    QVERIFY(m_h->services().runs.get(waiting.id, false)->status == RunStatus::WaitingApproval);
    QCOMPARE(m_h->services().approvals.get(approvalId)->status, QStringLiteral("pending"));
    QCOMPARE(runCount(), runsBefore);

    // Its own task's run it may change.
    Json document{{"title", "mine"},
                  {"schedule_kind", "manual"},
                  {"payload", {{"pipeline", *parseJson(kApprovalPipeline)}}}};
    Result<Task> mine = m_h->services().tasks.create(document, QStringLiteral("agent:") + otherId);
    QVERIFY2(mine, mine ? "" : qPrintable(mine.error().describe()));
    const Run own = m_h->runAndSettle(mine->id);
    QVERIFY(own.status == RunStatus::WaitingApproval);
    const HttpResponse answer
        = call("POST", QStringLiteral("/api/v1/runs/%1/approve").arg(own.id), other);
    QVERIFY2(answer.status == 200, qPrintable(describe(answer)));
    // And the admin may change anyone's.
    QVERIFY2(call("POST", QStringLiteral("/api/v1/runs/%1/cancel").arg(waiting.id), m_admin).status
                 == 200,
             "admin cancel");
}

QTEST_GUILESS_MAIN(tst_RunRoutes)
#include "tst_RunRoutes.moc"
