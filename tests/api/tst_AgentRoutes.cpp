// /api/v1/agents and /api/v1/audit through HttpApi::handle: an admin makes agents whose secrets
// sign in with the scopes given, changes and disables them (their tokens stop working), rotates
// secrets and reads what an agent did; others get 403, bad fields 422 naming the field.
#include "support/ApiHarness.h"
#include "support/TempDataDir.h"

#include "api/HttpApi.h"
#include "core/Json.h"
#include "runtime/Engine.h"
#include "service/Services.h"

#include <QStandardPaths>
#include <QTest>
#include <QUrlQuery>

#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kKey(32, 'a');
const QString kPeer = QStringLiteral("127.0.0.1");

Json jsonOf(const HttpResponse &response)
{
    return parseJson(response.body).value_or(Json());
}

QString field(const Json &object, const char *name)
{
    return object.is_object() && object.contains(name) && object[name].is_string()
               ? qs(object[name].get<std::string>())
               : QString();
}

QString describe(const HttpResponse &response)
{
    return QString::number(response.status) + QLatin1Char(' ') + QString::fromUtf8(response.body);
}

} // namespace

class tst_AgentRoutes final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init();
    void cleanup();
    void anAdminMakesAnAgentWhoseSecretSignsInWithItsScopes();
    void badFieldsAreRefusedNamingTheField();
    void onlyAgentsAdminMayManageAgents();
    void disablingAnAgentStopsItsTokens();
    void aRotatedSecretReplacesTheOldOne();
    void activityListsWhatTheAgentDid();
    void aFullTokenKeepsWhatItsAgentStillHas();
    void theAuditLogIsReadInPagesWithAuditRead();

private:
    HttpResponse call(const QByteArray &method, const QString &path, const QString &token,
                      const Json &body = Json());
    // An agent with a secret, made through the API by the admin; its id and secret.
    std::pair<QString, QString> makeAgent(const QString &name, const Json &scopes);
    QString signIn(const QString &agentId, const QString &secret, int expectStatus = 200);

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
    std::unique_ptr<HttpApi> m_api;
    QString m_admin; // an access token holding "*"
};

void tst_AgentRoutes::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, nullptr});
    QVERIFY2(engine, engine ? "" : qPrintable(engine.error().describe()));
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_api = std::make_unique<HttpApi>(*m_engine, *m_services, kKey);
    Result<Agent> owner = m_services->agents.create(QStringLiteral("owner"), {QStringLiteral("*")},
                                                    QStringLiteral("t"));
    QVERIFY(owner);
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*owner);
    QVERIFY(tokens);
    m_admin = tokens->accessToken;
}

void tst_AgentRoutes::cleanup()
{
    m_api.reset();
    m_services.reset();
    m_engine.reset();
    m_dir.reset();
}

HttpResponse tst_AgentRoutes::call(const QByteArray &method, const QString &path,
                                   const QString &token, const Json &body)
{
    return m_api->handle(test::apiRequest(method, path, token, body));
}

std::pair<QString, QString> tst_AgentRoutes::makeAgent(const QString &name, const Json &scopes)
{
    const HttpResponse made = call("POST", QStringLiteral("/api/v1/agents"), m_admin,
                                   Json{{"name", name.toStdString()}, {"scopes", scopes}});
    if (made.status != 201)
        qWarning("%s", qPrintable(describe(made)));
    const Json body = jsonOf(made);
    return {field(body, "id"), field(body, "secret")};
}

QString tst_AgentRoutes::signIn(const QString &agentId, const QString &secret, int expectStatus)
{
    const HttpResponse answer
        = call("POST", QStringLiteral("/auth/token"), QString(),
               Json{{"agent_id", agentId.toStdString()}, {"secret", secret.toStdString()}});
    if (answer.status != expectStatus)
        qWarning("sign-in: %s", qPrintable(describe(answer)));
    return answer.status == expectStatus ? field(jsonOf(answer), "access_token") : QString();
}

void tst_AgentRoutes::anAdminMakesAnAgentWhoseSecretSignsInWithItsScopes()
{
    const auto [id, secret] = makeAgent(QStringLiteral("reader"), Json::array({"tasks:read"}));
    QVERIFY(!id.isEmpty());
    QCOMPARE(secret.size(), 43);
    // The secret is not kept readable anywhere: the agent's own record does not show it.
    const HttpResponse got = call("GET", QStringLiteral("/api/v1/agents/") + id, m_admin);
    QCOMPARE(got.status, 200);
    QVERIFY(!got.body.contains(secret.toLatin1()));
    QVERIFY(jsonOf(got)["scopes"] == Json::array({"tasks:read"}));

    const QString token = signIn(id, secret);
    QVERIFY(!token.isEmpty());
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), token).status, 200);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/runs"), token).status, 403);

    const HttpResponse list = call("GET", QStringLiteral("/api/v1/agents"), m_admin);
    QCOMPARE(list.status, 200);
    QCOMPARE(jsonOf(list)["items"].size(), size_t(2)); // the owner and the reader
}

void tst_AgentRoutes::badFieldsAreRefusedNamingTheField()
{
    struct Case
    {
        Json body;
        const char *field;
    };
    const std::vector<Case> cases{
        {Json{{"scopes", Json::array()}}, "name"},
        {Json{{"name", "x"}}, "scopes"},
        {Json{{"name", ""}, {"scopes", Json::array()}}, "name"},
        {Json{{"name", 5}, {"scopes", Json::array()}}, "name"},
        {Json{{"name", "x"}, {"scopes", "tasks:read"}}, "scopes"},
        {Json{{"name", "x"}, {"scopes", Json::array({"tasks:read", "tasks:everything"})}},
         "scopes[1]"},
        {Json{{"name", "x"}, {"scopes", Json::array({7})}}, "scopes[0]"},
        {Json{{"name", "x"}, {"scopes", Json::array()}, {"colour", "red"}}, "colour"},
    };
    for (const Case &c : cases) {
        const HttpResponse answer = call("POST", QStringLiteral("/api/v1/agents"), m_admin, c.body);
        QVERIFY2(answer.status == 422, qPrintable(describe(answer)));
        QCOMPARE(answer.contentType, QByteArray("application/problem+json"));
        const Json body = jsonOf(answer);
        QVERIFY2(body["errors"][0]["field"] == c.field, qPrintable(describe(answer)));
    }
    // Nothing was made.
    QCOMPARE(jsonOf(call("GET", QStringLiteral("/api/v1/agents"), m_admin))["items"].size(),
             size_t(1));
}

void tst_AgentRoutes::onlyAgentsAdminMayManageAgents()
{
    const auto [id, secret] = makeAgent(QStringLiteral("writer"),
                                        Json::array({"tasks:read", "tasks:write", "runs:write"}));
    const QString token = signIn(id, secret);
    QVERIFY(!token.isEmpty());
    for (const auto &[method, path] : std::vector<std::pair<QByteArray, QString>>{
             {"GET", QStringLiteral("/api/v1/agents")},
             {"POST", QStringLiteral("/api/v1/agents")},
             {"GET", QStringLiteral("/api/v1/agents/") + id},
             {"PATCH", QStringLiteral("/api/v1/agents/") + id},
             {"POST", QStringLiteral("/api/v1/agents/") + id + QStringLiteral("/secret")}}) {
        const HttpResponse answer
            = call(method, path, token, Json{{"name", "x"}, {"scopes", Json::array({"*"})}});
        QVERIFY2(answer.status == 403, qPrintable(describe(answer)));
        QVERIFY(answer.body.contains("agents:admin"));
    }
    QCOMPARE(call("GET", QStringLiteral("/api/v1/agents"), QString()).status, 401);
}

void tst_AgentRoutes::disablingAnAgentStopsItsTokens()
{
    const auto [id, secret] = makeAgent(QStringLiteral("soon off"), Json::array({"tasks:read"}));
    const HttpResponse signedIn
        = call("POST", QStringLiteral("/auth/token"), QString(),
               Json{{"agent_id", id.toStdString()}, {"secret", secret.toStdString()}});
    QCOMPARE(signedIn.status, 200);
    const QString access = field(jsonOf(signedIn), "access_token");
    const QString refresh = field(jsonOf(signedIn), "refresh_token");
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), access).status, 200);

    const HttpResponse disabled
        = call("PATCH", QStringLiteral("/api/v1/agents/") + id, m_admin, Json{{"disabled", true}});
    QVERIFY2(disabled.status == 200, qPrintable(describe(disabled)));
    QVERIFY(jsonOf(disabled)["disabled"] == true);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), access).status, 401);
    QCOMPARE(call("POST", QStringLiteral("/auth/refresh"), QString(),
                  Json{{"refresh_token", refresh.toStdString()}})
                 .status,
             401);
    signIn(id, secret, 401);
    // Enabled again: it signs in (its old refresh token stays revoked).
    QCOMPARE(
        call("PATCH", QStringLiteral("/api/v1/agents/") + id, m_admin, Json{{"disabled", false}})
            .status,
        200);
    QVERIFY(!signIn(id, secret).isEmpty());
    QCOMPARE(call("POST", QStringLiteral("/auth/refresh"), QString(),
                  Json{{"refresh_token", refresh.toStdString()}})
                 .status,
             401);
}

void tst_AgentRoutes::aRotatedSecretReplacesTheOldOne()
{
    const auto [id, oldSecret] = makeAgent(QStringLiteral("rotating"), Json::array({"tasks:read"}));
    const HttpResponse rotated
        = call("POST", QStringLiteral("/api/v1/agents/") + id + QStringLiteral("/secret"), m_admin);
    QVERIFY2(rotated.status == 200, qPrintable(describe(rotated)));
    const QString newSecret = field(jsonOf(rotated), "secret");
    QVERIFY(!newSecret.isEmpty() && newSecret != oldSecret);
    signIn(id, oldSecret, 401);
    QVERIFY(!signIn(id, newSecret).isEmpty());
    QCOMPARE(call("POST", QStringLiteral("/api/v1/agents/unknown/secret"), m_admin).status, 404);
}

void tst_AgentRoutes::activityListsWhatTheAgentDid()
{
    const auto [id, secret]
        = makeAgent(QStringLiteral("busy"), Json::array({"tasks:read", "tasks:write"}));
    const QString token = signIn(id, secret);
    const Json task{
        {"title", "Daily"},
        {"schedule_kind", "manual"},
        {"payload",
         {{"pipeline",
           Json::array({Json{{"id", "a"}, {"uses", "debug.echo"}, {"with", Json{{"x", 1}}}}})}}}};
    const HttpResponse created = call("POST", QStringLiteral("/api/v1/tasks"), token, task);
    QVERIFY2(created.status == 201, qPrintable(describe(created)));
    const HttpResponse activity = call(
        "GET", QStringLiteral("/api/v1/agents/") + id + QStringLiteral("/activity"), m_admin);
    QVERIFY2(activity.status == 200, qPrintable(describe(activity)));
    const Json entries = jsonOf(activity)["items"];
    QStringList actions;
    for (const Json &entry : entries)
        actions << field(entry, "action");
    QVERIFY2(actions.contains(QStringLiteral("task.create")), qPrintable(actions.join(u',')));
    QVERIFY2(actions.contains(QStringLiteral("auth.token")), qPrintable(actions.join(u',')));
    QCOMPARE(call("GET", QStringLiteral("/api/v1/agents/nobody/activity"), m_admin).status, 404);
}

void tst_AgentRoutes::aFullTokenKeepsWhatItsAgentStillHas()
{
    // The owner's token holds "*"; narrowing the owner leaves the token what the owner still has.
    const auto [id, secret] = makeAgent(QStringLiteral("full"), Json::array({"*"}));
    const QString token = signIn(id, secret);
    QVERIFY(!token.isEmpty());
    QCOMPARE(call("PATCH", QStringLiteral("/api/v1/agents/") + id, m_admin,
                  Json{{"scopes", Json::array({"tasks:read"})}})
                 .status,
             200);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), token).status, 200);
    const HttpResponse refused = call("GET", QStringLiteral("/api/v1/runs"), token);
    QCOMPARE(refused.status, 403);
    QVERIFY2(refused.body.contains("holds: tasks:read"), qPrintable(describe(refused)));
}

void tst_AgentRoutes::theAuditLogIsReadInPagesWithAuditRead()
{
    const auto [reader, readerSecret]
        = makeAgent(QStringLiteral("auditor"), Json::array({"audit:read"}));
    const auto [other, otherSecret]
        = makeAgent(QStringLiteral("other"), Json::array({"tasks:read"}));
    const QString auditor = signIn(reader, readerSecret);
    QVERIFY(!auditor.isEmpty());

    // Filtered by action, in order, two at a time.
    HttpResponse page
        = call("GET", QStringLiteral("/api/v1/audit?action=agent.create&limit=2"), auditor);
    QVERIFY2(page.status == 200, qPrintable(describe(page)));
    Json body = jsonOf(page);
    // The owner (made by the fixture), then the two made here.
    QCOMPARE(body["items"].size(), size_t(2));
    QVERIFY(body["items"][1]["subject"] == reader.toStdString());
    qint64 next = body["next_after"].get<qint64>();
    QCOMPARE(next, body["items"][1]["id"].get<qint64>());
    page = call("GET",
                QStringLiteral("/api/v1/audit?action=agent.create&limit=2&after=%1").arg(next),
                auditor);
    body = jsonOf(page);
    QCOMPARE(body["items"].size(), size_t(1));
    QVERIFY(body["items"][0]["subject"] == other.toStdString());
    next = body["next_after"].get<qint64>();
    page = call("GET",
                QStringLiteral("/api/v1/audit?action=agent.create&limit=2&after=%1").arg(next),
                auditor);
    QCOMPARE(jsonOf(page)["items"].size(), size_t(0));
    QCOMPARE(jsonOf(page)["next_after"].get<qint64>(), next);
    // By actor: what the auditor's sign-in left.
    page = call("GET", QStringLiteral("/api/v1/audit?actor=agent:") + reader, auditor);
    body = jsonOf(page);
    QVERIFY2(body["items"].size() == 1 && body["items"][0]["action"] == "auth.token",
             qPrintable(describe(page)));

    QCOMPARE(call("GET", QStringLiteral("/api/v1/audit?after=-1"), auditor).status, 422);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/audit?after=x"), auditor).status, 422);
    const QString notAnAuditor = signIn(other, otherSecret);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/audit"), notAnAuditor).status, 403);
    QCOMPARE(call("POST", QStringLiteral("/api/v1/audit"), m_admin).status, 405);
}

QTEST_GUILESS_MAIN(tst_AgentRoutes)
#include "tst_AgentRoutes.moc"
