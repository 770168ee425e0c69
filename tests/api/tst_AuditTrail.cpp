// Every request that changes something leaves an audit row naming the agent that made it: each
// mutating route the API serves (from its router, so a new one must be added here) is called once
// with a request that succeeds, and the audit log must have grown with a row by that agent.
#include "support/ApiHarness.h"

#include "core/Json.h"
#include "secrets/SecretStore.h"
#include "store/AuditLog.h"
#include "tools/ToolEnvironment.h"

#include <QSet>
#include <QStandardPaths>
#include <QTest>

#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kIcs = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
                        "UID:h1@test\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Holiday\r\n"
                        "END:VEVENT\r\nEND:VCALENDAR\r\n";

QString field(const HttpResponse &response, const char *name)
{
    const Json body = parseJson(response.body).value_or(Json());
    return body.is_object() && body.contains(name) && body[name].is_string()
               ? body[name].get<QString>()
               : QString();
}

} // namespace

class tst_AuditTrail final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void everyChangeLeavesAnAuditRowByItsAgent();

private:
    HttpResponse call(const QByteArray &method, const QString &path, const QByteArray &body,
                      const QByteArray &type = "application/json");
    qint64 auditRows(const QString &actor) const;
    // A run of a one-step human.approve task, waiting for its answer.
    QString waitingRun();

    std::unique_ptr<test::ApiHarness> m_h;
    Engine *m_engine = nullptr;
    Services *m_services = nullptr;
    HttpApi *m_api = nullptr;
    QByteArray m_authorization;
    QString m_agentId;
    QString m_approvalTask;
};

HttpResponse tst_AuditTrail::call(const QByteArray &method, const QString &path,
                                  const QByteArray &body, const QByteArray &type)
{
    return m_h->call(method, path, m_authorization, body, type);
}

qint64 tst_AuditTrail::auditRows(const QString &actor) const
{
    Result<std::vector<AuditEntry>> entries
        = AuditLog(m_engine->database()).search(actor, QString(), 0, 1000);
    return entries ? qint64(entries->size()) : -1;
}

QString tst_AuditTrail::waitingRun()
{
    Result<Run> run = m_services->runs.runNow(m_approvalTask, RunTrigger::Api, QStringLiteral("t"));
    if (!run)
        return {};
    const QString id = run->id;
    const bool waiting = QTest::qWaitFor(
        [&] {
            Result<Run> now = m_services->runs.get(id, false);
            return now && now->status == RunStatus::WaitingApproval;
        },
        10000);
    return waiting ? id : QString();
}

void tst_AuditTrail::everyChangeLeavesAnAuditRowByItsAgent()
{
    m_h = std::make_unique<test::ApiHarness>(2);
    m_engine = &m_h->engine();
    m_services = &m_h->services();
    m_api = &m_h->api();
    m_engine->toolEnvironment().setSecrets(std::make_shared<MemorySecretStore>());
    m_engine->start();
    const Agent owner = m_h->makeAgent(QStringLiteral("owner"), {QStringLiteral("*")});
    m_agentId = owner.id;
    const QString actor = QStringLiteral("agent:") + owner.id;
    m_authorization = m_h->bearer(owner);
    Result<Task> approvals = m_services->tasks.create(
        Json{{"title", "ask"},
             {"schedule_kind", "manual"},
             {"overlap_policy", "allow"},
             {"payload",
              {{"pipeline", Json::array({Json{{"id", "ask"},
                                              {"uses", "human.approve"},
                                              {"with", {{"title", "Go on?"}}}}})}}}},
        actor);
    QVERIFY(approvals);
    m_approvalTask = approvals->id;
    const Agent cautious = m_h->makeAgent(QStringLiteral("cautious"),
                                          {QStringLiteral("tasks:write")}, NewTasks::Proposed);
    Result<Task> proposed
        = m_services->tasks.create(Json{{"title", "proposed"},
                                        {"schedule_kind", "rrule"},
                                        {"schedule_expr", "FREQ=DAILY"},
                                        {"payload", {{"pipeline", Json::array()}}}},
                                   QStringLiteral("agent:") + cautious.id);
    QVERIFY(proposed);
    QCOMPARE(toString(proposed->status), QStringLiteral("proposed"));

    QSet<QString> covered;
    QStringList wrong;
    // Calls the route and checks it succeeded with at least one audit row by the agent.
    auto expect = [&](const QByteArray &method, const QString &pattern, const QString &path,
                      const QByteArray &body, const QByteArray &type = "application/json") {
        const qint64 before = auditRows(actor);
        const HttpResponse answer = call(method, path, body, type);
        covered.insert(QString::fromLatin1(method) + QLatin1Char(' ') + pattern);
        const qint64 after = auditRows(actor);
        if (answer.status < 200 || answer.status > 299 || after <= before)
            wrong << QString::fromLatin1(method) + QLatin1Char(' ') + path + QStringLiteral(": ")
                         + QString::number(answer.status) + QStringLiteral(", audit rows ")
                         + QString::number(before) + QStringLiteral(" → ") + QString::number(after)
                         + QLatin1Char(' ') + QString::fromUtf8(answer.body.left(200));
        return answer;
    };

    const HttpResponse created
        = expect("POST", QStringLiteral("/api/v1/tasks"), QStringLiteral("/api/v1/tasks"),
                 R"({"title": "audited", "schedule_kind": "rrule", "schedule_expr": "FREQ=HOURLY",
            "payload": {"pipeline": []}})");
    const QString task = field(created, "id");
    QVERIFY2(!task.isEmpty(), created.body.constData());
    const QString t = QStringLiteral("/api/v1/tasks/") + task;
    expect("PUT", QStringLiteral("/api/v1/tasks/{id}"), t, R"({"title": "audited twice"})");
    expect("POST", QStringLiteral("/api/v1/tasks/{id}/pause"), t + QStringLiteral("/pause"), {});
    expect("POST", QStringLiteral("/api/v1/tasks/{id}/resume"), t + QStringLiteral("/resume"), {});
    expect("POST", QStringLiteral("/api/v1/tasks/{id}/snooze"), t + QStringLiteral("/snooze"),
           R"({"delay_seconds": 7200})");
    expect("POST", QStringLiteral("/api/v1/tasks/{id}/accept"),
           QStringLiteral("/api/v1/tasks/") + proposed->id + QStringLiteral("/accept"), {});
    const HttpResponse queued = expect(
        "POST", QStringLiteral("/api/v1/tasks/{id}/run-now"),
        QStringLiteral("/api/v1/tasks/") + m_approvalTask + QStringLiteral("/run-now"), {});
    const QString run = field(queued, "id");
    QTRY_VERIFY_WITH_TIMEOUT(m_services->runs.get(run, false)->status == RunStatus::WaitingApproval,
                             10000);
    const QString r = QStringLiteral("/api/v1/runs/") + run;
    expect("POST", QStringLiteral("/api/v1/runs/{id}/approve"), r + QStringLiteral("/approve"),
           R"({"comment": "fine"})");
    const QString second = waitingRun();
    QVERIFY(!second.isEmpty());
    expect("POST", QStringLiteral("/api/v1/runs/{id}/reject"),
           QStringLiteral("/api/v1/runs/") + second + QStringLiteral("/reject"), {});
    // Rejected: the run fails once its worker has taken the answer; then it can be retried.
    QVERIFY(QTest::qWaitFor(
        [&] {
            Result<Run> now = m_services->runs.get(second, false);
            return now && now->isFinished();
        },
        10000));
    expect("POST", QStringLiteral("/api/v1/runs/{id}/retry"),
           QStringLiteral("/api/v1/runs/") + second + QStringLiteral("/retry"), {});
    const QString third = waitingRun();
    QVERIFY(!third.isEmpty());
    expect("POST", QStringLiteral("/api/v1/runs/{id}/cancel"),
           QStringLiteral("/api/v1/runs/") + third + QStringLiteral("/cancel"), {});
    for (const char *decision : {"approve", "reject"}) {
        const QString waiting = waitingRun();
        QVERIFY(!waiting.isEmpty());
        Result<std::vector<Approval>> pending
            = m_services->approvals.list(QStringLiteral("pending"), 10);
        QVERIFY(pending && !pending->empty());
        QString approval;
        for (const Approval &a : *pending)
            if (a.runId == waiting)
                approval = a.id;
        QVERIFY(!approval.isEmpty());
        expect("POST", QStringLiteral("/api/v1/approvals/{id}/") + QLatin1String(decision),
               QStringLiteral("/api/v1/approvals/") + approval + QLatin1Char('/')
                   + QLatin1String(decision),
               {});
    }
    expect("POST", QStringLiteral("/api/v1/tasks/{id}/cancel"), t + QStringLiteral("/cancel"), {});
    expect("DELETE", QStringLiteral("/api/v1/tasks/{id}"), t, QByteArray());
    expect("POST", QStringLiteral("/api/v1/events"), QStringLiteral("/api/v1/events"),
           R"({"topic": "mail.received", "payload": {"from": "a@b"}})");

    const HttpResponse agent
        = expect("POST", QStringLiteral("/api/v1/agents"), QStringLiteral("/api/v1/agents"),
                 R"({"name": "helper", "scopes": ["tasks:read"]})");
    const QString a = QStringLiteral("/api/v1/agents/") + field(agent, "id");
    expect("PATCH", QStringLiteral("/api/v1/agents/{id}"), a, R"({"name": "helper two"})");
    expect("POST", QStringLiteral("/api/v1/agents/{id}/secret"), a + QStringLiteral("/secret"), {});
    expect("PUT", QStringLiteral("/api/v1/calendars/{name}"),
           QStringLiteral("/api/v1/calendars/holidays"), kIcs, "text/calendar");
    expect("DELETE", QStringLiteral("/api/v1/calendars/{name}"),
           QStringLiteral("/api/v1/calendars/holidays"), QByteArray());
    expect("PATCH", QStringLiteral("/api/v1/settings"), QStringLiteral("/api/v1/settings"),
           R"({"scheduler.run_all_cap": 20})");
    expect("PUT", QStringLiteral("/api/v1/secrets/{name}"),
           QStringLiteral("/api/v1/secrets/email.smtp.password"), R"({"value": "hunter2"})");

    // Sign-in, refresh and revoke are audited under the agent signing in.
    const QString secret = field(call("POST", a + QStringLiteral("/secret"), {}), "secret");
    QVERIFY(!secret.isEmpty());
    const QString helper = QStringLiteral("agent:") + a.section(QLatin1Char('/'), -1);
    auto expectFor = [&](const QString &who, const QString &path, const QByteArray &body) {
        const qint64 before = auditRows(who);
        const HttpResponse answer = call("POST", path, body);
        covered.insert(QStringLiteral("POST ") + path);
        if (answer.status != 200 || auditRows(who) <= before)
            wrong << path + QStringLiteral(": ") + QString::number(answer.status);
        return answer;
    };
    const HttpResponse signedIn
        = expectFor(helper, QStringLiteral("/auth/token"),
                    QByteArray(R"({"agent_id": ")") + a.section(QLatin1Char('/'), -1).toLatin1()
                        + R"(", "secret": ")" + secret.toLatin1() + R"("})");
    const HttpResponse refreshed
        = expectFor(helper, QStringLiteral("/auth/refresh"),
                    QByteArray(R"({"refresh_token": ")")
                        + field(signedIn, "refresh_token").toLatin1() + R"("})");
    expectFor(QStringLiteral("peer:127.0.0.1"), QStringLiteral("/auth/revoke"),
              QByteArray(R"({"token": ")") + field(refreshed, "access_token").toLatin1() + R"("})");

    // MCP: a session's start, each tool call and the session's end are audited.
    {
        const qint64 before = auditRows(actor);
        const HttpResponse opened = call(
            "POST", QStringLiteral("/mcp"),
            R"({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion":
                "2025-11-25", "capabilities": {}, "clientInfo": {"name": "audit", "version": "1"}}})");
        QByteArray session;
        for (const auto &[name, value] : opened.headers)
            if (name == "Mcp-Session-Id")
                session = value;
        HttpRequest toolCall = test::apiRequest(
            "POST", QStringLiteral("/mcp"), m_authorization,
            R"({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_tasks",
                "arguments": {}}})");
        toolCall.headers.insert("mcp-session-id", session);
        const HttpResponse called = m_h->send(toolCall);
        covered.insert(QStringLiteral("POST /mcp"));
        if (opened.status != 200 || session.isEmpty() || called.status != 200
            || auditRows(actor) < before + 2)
            wrong << QStringLiteral("POST /mcp: ") + QString::fromUtf8(called.body.left(200));
        const qint64 open = auditRows(actor);
        HttpRequest end = test::apiRequest("DELETE", QStringLiteral("/mcp"), m_authorization);
        end.headers.insert("mcp-session-id", session);
        const HttpResponse ended = m_h->send(end);
        covered.insert(QStringLiteral("DELETE /mcp"));
        if (ended.status != 204 || auditRows(actor) <= open)
            wrong << QStringLiteral("DELETE /mcp: ") + QString::number(ended.status);
    }

    QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(QLatin1Char('\n'))));
    // Every route that can change something was called above. (Previews, checks and reads
    // change nothing.)
    const QSet<QString> readOnly{QStringLiteral("POST /api/v1/schedules/preview"),
                                 QStringLiteral("POST /api/v1/pipelines/check")};
    QStringList missing;
    for (const Router::Entry &route : m_api->router().entries()) {
        const QString name = QString::fromLatin1(route.method) + QLatin1Char(' ') + route.pattern;
        if (route.method != "GET" && !readOnly.contains(name) && !covered.contains(name))
            missing << name;
    }
    QVERIFY2(missing.isEmpty(), qPrintable(QStringLiteral("not checked for an audit row: ")
                                           + missing.join(QStringLiteral(", "))));
    m_h.reset();
}

QTEST_GUILESS_MAIN(tst_AuditTrail)
#include "tst_AuditTrail.moc"
