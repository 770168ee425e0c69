// /auth and bearer tokens through HttpApi::handle (no sockets): signing in, waits after failed
// sign-ins, refresh with reuse detection, revocation, scopes checked against the agent's current
// ones, and every kind of bad token refused as 401 problem+json.
#include "support/TempDataDir.h"
#include "support/TestData.h"

#include "api/Authenticator.h"
#include "api/HttpApi.h"
#include "api/JwtCodec.h"
#include "core/Clock.h"
#include "core/Json.h"
#include "runtime/Engine.h"
#include "service/Services.h"
#include "store/Database.h"
#include "store/Sql.h"

#include <QMessageAuthenticationCode>
#include <QStandardPaths>
#include <QTest>

#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kSigningKey(32, 'k');
const QByteArray kOtherKey(32, 'o');
const QString kPeer = QStringLiteral("127.0.0.1");
const QString kOtherPeer = QStringLiteral("127.0.0.2");

// A task any agent holding tasks:write may create.
const QByteArray kValidTask
    = R"({"title":"Daily","schedule_kind":"rrule","schedule_expr":"FREQ=DAILY;BYHOUR=9",
    "timezone":"Europe/Berlin","dtstart":"2026-01-01T09:00:00",
    "payload":{"pipeline":[{"id":"a","uses":"debug.echo","with":{"x":1}}]}})";

struct Credentials
{
    QString agentId;
    QString secret;
};

Json jsonOf(const HttpResponse &response)
{
    return parseJson(response.body).value_or(Json());
}

QString text(const Json &object, const char *name)
{
    if (!object.is_object() || !object.contains(name) || !object[name].is_string())
        return QString();
    return qs(object[name].get<std::string>());
}

QString detailOf(const HttpResponse &response)
{
    return text(jsonOf(response), "detail");
}

// The field the first entry of a problem's "errors" names; empty when there is none.
QString errorFieldOf(const HttpResponse &response)
{
    const Json body = jsonOf(response);
    if (!body.is_object() || !body.contains("errors") || !body["errors"].is_array()
        || body["errors"].empty())
        return QString();
    return text(body["errors"][0], "field");
}

QByteArray headerOf(const HttpResponse &response, const QByteArray &name)
{
    for (const auto &[key, value] : response.headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return QByteArray();
}

// Empty when `response` is application/problem+json with `status`; what differs otherwise.
QString problemMismatch(const HttpResponse &response, int status)
{
    const QString body = QString::fromUtf8(response.body);
    if (response.status != status)
        return QStringLiteral("status %1, expected %2: %3")
            .arg(response.status)
            .arg(status)
            .arg(body);
    if (response.contentType != "application/problem+json")
        return QStringLiteral("content type %1: %2")
            .arg(QString::fromLatin1(response.contentType), body);
    const Json json = jsonOf(response);
    if (!json.is_object() || json.value("status", 0) != status || text(json, "detail").isEmpty())
        return QStringLiteral("not a problem with status and detail: %1").arg(body);
    if (status == 401 && !headerOf(response, "WWW-Authenticate").startsWith("Bearer"))
        return QStringLiteral("401 without 'WWW-Authenticate: Bearer …'");
    return QString();
}

// Status and body, for failure messages.
QString describe(const HttpResponse &response)
{
    return QString::number(response.status) + QLatin1Char(' ') + QString::fromUtf8(response.body);
}

QByteArray bearer(const QString &token)
{
    return QByteArray("Bearer ") + token.toLatin1();
}

QByteArray base64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

#define VERIFY_PROBLEM(response, status)                                                           \
    do {                                                                                           \
        const QString mismatch = problemMismatch(response, status);                                \
        QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));                                        \
    } while (false)

class tst_AuthRoutes final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void signInGivesBearerTokensThatOpenTheApi();
    void refusedSignInsShareOneMessageAndStoreNothing();
    void malformedSignInIsRefusedNamingTheField_data();
    void malformedSignInIsRefusedNamingTheField();
    void failedSignInsMakeTheNextAttemptsFromThatAddressWait();
    void refreshGivesNewTokensAndUsesTheOldOneUp();
    void reusedRefreshTokenRevokesTheTokensIssuedForIt();
    void unknownRefreshTokenIsRefused();
    void revokedAccessTokenIsRefused();
    void revokedRefreshTokenCannotBeRefreshed();
    void revokingAnUnknownTokenSucceeds_data();
    void revokingAnUnknownTokenSucceeds();
    void tokenOpensOnlyTheRoutesOfItsScopes();
    void starScopeOpensEveryRoute();
    void tokenHoldsOnlyTheScopesTheAgentStillHas();
    void badBearerIsRefusedAsUnauthenticated_data();
    void badBearerIsRefusedAsUnauthenticated();
    void healthNeedsNoToken();

private:
    HttpResponse send(const QByteArray &method, const QString &path, const QByteArray &body,
                      const QByteArray &authorization = QByteArray(),
                      const QString &peer = kPeer) const;
    HttpResponse postJson(const QString &path, const Json &body, const QString &peer = kPeer) const;
    HttpResponse signIn(const QString &agentId, const QString &secret,
                        const QString &peer = kPeer) const;
    HttpResponse listTasks(const QString &accessToken) const;
    Result<Agent> makeAgent(const QString &name, const QStringList &scopes);
    // An agent with a secret; an empty id (and a warning) when that failed.
    Credentials makeAgentWithSecret(const QString &name, const QStringList &scopes);
    Result<Authenticator::Tokens> issue(const Agent &agent);
    int refreshTokenRows() const;
    Status updateAgent(const QString &agentId, const QString &assignment, const QVariant &value);

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
    std::unique_ptr<HttpApi> m_api;
};

void tst_AuthRoutes::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_AuthRoutes::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    m_clock = std::make_unique<ManualClock>(test::utc("2026-03-10T09:00:00Z"));
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, m_clock.get()});
    QVERIFY2(engine, qPrintable(engine ? QString() : engine.error().describe()));
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_api = std::make_unique<HttpApi>(*m_engine, *m_services, kSigningKey);
}

void tst_AuthRoutes::cleanup()
{
    m_api.reset();
    m_services.reset();
    m_engine.reset();
    m_clock.reset();
    m_dir.reset();
}

HttpResponse tst_AuthRoutes::send(const QByteArray &method, const QString &path,
                                  const QByteArray &body, const QByteArray &authorization,
                                  const QString &peer) const
{
    HttpRequest request;
    request.method = method;
    request.path = path;
    if (!body.isEmpty())
        request.headers.insert("content-type", "application/json");
    if (!authorization.isEmpty())
        request.headers.insert("authorization", authorization);
    request.body = body;
    request.peer = peer;
    return m_api->handle(request);
}

HttpResponse tst_AuthRoutes::postJson(const QString &path, const Json &body,
                                      const QString &peer) const
{
    return send("POST", path, dumpJson(body), QByteArray(), peer);
}

HttpResponse tst_AuthRoutes::signIn(const QString &agentId, const QString &secret,
                                    const QString &peer) const
{
    return postJson(QStringLiteral("/auth/token"),
                    Json{{"agent_id", agentId.toStdString()}, {"secret", secret.toStdString()}},
                    peer);
}

HttpResponse tst_AuthRoutes::listTasks(const QString &accessToken) const
{
    return send("GET", QStringLiteral("/api/v1/tasks"), QByteArray(), bearer(accessToken));
}

Result<Agent> tst_AuthRoutes::makeAgent(const QString &name, const QStringList &scopes)
{
    return m_services->agents.create(name, scopes, QStringLiteral("test"));
}

Credentials tst_AuthRoutes::makeAgentWithSecret(const QString &name, const QStringList &scopes)
{
    Result<Agent> agent = makeAgent(name, scopes);
    if (!agent) {
        qWarning("agent: %s", qPrintable(agent.error().describe()));
        return {};
    }
    Result<QString> secret = m_api->authenticator().newSecret(agent->id, QStringLiteral("test"));
    if (!secret) {
        qWarning("secret: %s", qPrintable(secret.error().describe()));
        return {};
    }
    return Credentials{agent->id, *secret};
}

Result<Authenticator::Tokens> tst_AuthRoutes::issue(const Agent &agent)
{
    return m_api->authenticator().issue(agent);
}

int tst_AuthRoutes::refreshTokenRows() const
{
    Result<QSqlQuery> count = sql::exec(m_engine->database().connection(),
                                        QStringLiteral("SELECT COUNT(*) FROM refresh_tokens"));
    if (!count || !count->next())
        return -1;
    return count->value(0).toInt();
}

Status tst_AuthRoutes::updateAgent(const QString &agentId, const QString &assignment,
                                   const QVariant &value)
{
    Result<QSqlQuery> updated = sql::exec(m_engine->database().connection(),
                                          QStringLiteral("UPDATE agents SET ") + assignment
                                              + QStringLiteral(" WHERE id=?"),
                                          {value, agentId});
    if (!updated)
        return updated.error();
    return {};
}

void tst_AuthRoutes::signInGivesBearerTokensThatOpenTheApi()
{
    const Credentials reader
        = makeAgentWithSecret(QStringLiteral("reader"), {QStringLiteral("tasks:read")});
    QVERIFY(!reader.agentId.isEmpty());

    const HttpResponse response = signIn(reader.agentId, reader.secret);
    QCOMPARE(response.status, 200);
    QCOMPARE(response.contentType, QByteArray("application/json"));
    const Json body = jsonOf(response);
    QVERIFY2(body.is_object(), response.body.constData());
    QCOMPARE(text(body, "token_type"), QStringLiteral("Bearer"));
    QVERIFY(body.contains("expires_in") && body["expires_in"].is_number_integer());
    QCOMPARE(body["expires_in"].get<int>(), Authenticator::kAccessSeconds);
    QCOMPARE(body["expires_in"].get<int>(), 900);
    QCOMPARE(text(body, "scope"), QStringLiteral("tasks:read"));
    const QString access = text(body, "access_token");
    const QString refresh = text(body, "refresh_token");
    QCOMPARE(access.count(QLatin1Char('.')), 2);
    QVERIFY2(refresh.startsWith(QLatin1String("ordr_")), qPrintable(refresh));
    QVERIFY(refresh.size() > 20);
    QCOMPARE(refreshTokenRows(), 1);

    const HttpResponse tasks = listTasks(access);
    QVERIFY2(tasks.status == 200, qPrintable(describe(tasks)));
    QVERIFY(jsonOf(tasks).contains("items"));
    // The refresh token is not an access token.
    VERIFY_PROBLEM(listTasks(refresh), 401);
}

void tst_AuthRoutes::refusedSignInsShareOneMessageAndStoreNothing()
{
    const Credentials worker = makeAgentWithSecret(QStringLiteral("worker"), {QStringLiteral("*")});
    const Credentials gone = makeAgentWithSecret(QStringLiteral("gone"), {QStringLiteral("*")});
    QVERIFY(!worker.agentId.isEmpty() && !gone.agentId.isEmpty());
    const Status disabled = updateAgent(gone.agentId, QStringLiteral("disabled=?"), 1);
    QVERIFY2(disabled, qPrintable(disabled ? QString() : disabled.error().describe()));

    const HttpResponse wrongSecret = signIn(worker.agentId, gone.secret);
    const HttpResponse unknownAgent
        = signIn(QStringLiteral("01890a5d-ac96-774b-bcce-b302099a8057"), worker.secret);
    const HttpResponse disabledAgent = signIn(gone.agentId, gone.secret);
    VERIFY_PROBLEM(wrongSecret, 401);
    VERIFY_PROBLEM(unknownAgent, 401);
    VERIFY_PROBLEM(disabledAgent, 401);
    // Nothing to learn about which of the three it was.
    QCOMPARE(detailOf(unknownAgent), detailOf(wrongSecret));
    QCOMPARE(detailOf(disabledAgent), detailOf(wrongSecret));
    QVERIFY(!detailOf(wrongSecret).contains(worker.secret));
    QVERIFY(!jsonOf(wrongSecret).contains("access_token"));
    QCOMPARE(refreshTokenRows(), 0);

    // The control: the same agent with its own secret signs in.
    QCOMPARE(signIn(worker.agentId, worker.secret).status, 200);
    QCOMPARE(refreshTokenRows(), 1);
}

void tst_AuthRoutes::malformedSignInIsRefusedNamingTheField_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("field");

    const QByteArray json("application/json");
    QTest::newRow("emptyBody") << json << QByteArray() << 422 << QStringLiteral("agent_id");
    QTest::newRow("agentIdMissing")
        << json << QByteArray(R"({"secret":"s"})") << 422 << QStringLiteral("agent_id");
    QTest::newRow("agentIdEmpty") << json << QByteArray(R"({"agent_id":"","secret":"s"})") << 422
                                  << QStringLiteral("agent_id");
    QTest::newRow("agentIdNumber") << json << QByteArray(R"({"agent_id":42,"secret":"s"})") << 422
                                   << QStringLiteral("agent_id");
    QTest::newRow("secretMissing")
        << json << QByteArray(R"({"agent_id":"a"})") << 422 << QStringLiteral("secret");
    QTest::newRow("secretEmpty") << json << QByteArray(R"({"agent_id":"a","secret":""})") << 422
                                 << QStringLiteral("secret");
    QTest::newRow("secretNull") << json << QByteArray(R"({"agent_id":"a","secret":null})") << 422
                                << QStringLiteral("secret");
    QTest::newRow("secretObject") << json << QByteArray(R"({"agent_id":"a","secret":{}})") << 422
                                  << QStringLiteral("secret");
    QTest::newRow("unknownField") << json
                                  << QByteArray(R"({"agent_id":"a","secret":"s","scope":"*"})")
                                  << 422 << QStringLiteral("scope");
    QTest::newRow("secretTooLong")
        << json
        << QByteArray(R"({"agent_id":"a","secret":")") + QByteArray(5000, 'x') + QByteArray("\"}")
        << 422 << QStringLiteral("secret");
    QTest::newRow("bodyAnArray") << json << QByteArray(R"(["a","s"])") << 422 << QString();
    QTest::newRow("bodyNotJson") << json << QByteArray("agent_id=a&secret=s") << 400 << QString();
    QTest::newRow("formEncoded") << QByteArray("application/x-www-form-urlencoded")
                                 << QByteArray("agent_id=a&secret=s") << 415 << QString();
}

void tst_AuthRoutes::malformedSignInIsRefusedNamingTheField()
{
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, field);

    HttpRequest request;
    request.method = "POST";
    request.path = QStringLiteral("/auth/token");
    request.headers.insert("content-type", contentType);
    request.body = body;
    request.peer = kPeer;
    const HttpResponse response = m_api->handle(request);
    VERIFY_PROBLEM(response, status);
    if (!field.isEmpty()) {
        QCOMPARE(errorFieldOf(response), field);
        QVERIFY2(detailOf(response).startsWith(QString(field + QLatin1Char(':'))),
                 qPrintable(detailOf(response)));
    }
    QCOMPARE(refreshTokenRows(), 0);
}

// kFreeFailures failed sign-ins cost nothing; each one after makes the next attempts from that
// address for that agent wait 2, 4, 8 … s, the right secret included; other addresses are not
// held up, and a sign-in once the wait is over starts the count afresh.
void tst_AuthRoutes::failedSignInsMakeTheNextAttemptsFromThatAddressWait()
{
    const Credentials agent
        = makeAgentWithSecret(QStringLiteral("target"), {QStringLiteral("tasks:read")});
    QVERIFY(!agent.agentId.isEmpty());
    const QString wrong = QStringLiteral("not-the-secret");
    Authenticator &auth = m_api->authenticator();

    for (int i = 0; i < Authenticator::kFreeFailures; ++i) {
        const HttpResponse failed = signIn(agent.agentId, wrong);
        VERIFY_PROBLEM(failed, 401);
        QVERIFY(headerOf(failed, "Retry-After").isEmpty());
        QCOMPARE(auth.retryAfterSeconds(agent.agentId, kPeer), 0);
    }
    // The failure after the free ones is still answered, and starts the wait.
    VERIFY_PROBLEM(signIn(agent.agentId, wrong), 401);
    QCOMPARE(auth.retryAfterSeconds(agent.agentId, kPeer), 2);

    HttpResponse waiting = signIn(agent.agentId, agent.secret);
    VERIFY_PROBLEM(waiting, 429);
    QCOMPARE(headerOf(waiting, "Retry-After"), QByteArray("2"));
    QVERIFY(!jsonOf(waiting).contains("access_token"));

    // Another address is not held up by this one's failures, nor does it lift their wait.
    QCOMPARE(signIn(agent.agentId, agent.secret, kOtherPeer).status, 200);
    m_clock->advanceMs(1000);
    waiting = signIn(agent.agentId, agent.secret);
    VERIFY_PROBLEM(waiting, 429);
    QCOMPARE(headerOf(waiting, "Retry-After"), QByteArray("1"));

    // Once the wait is over a failure is answered again, and doubles the wait.
    m_clock->advanceMs(1000);
    VERIFY_PROBLEM(signIn(agent.agentId, wrong), 401);
    waiting = signIn(agent.agentId, agent.secret);
    VERIFY_PROBLEM(waiting, 429);
    QCOMPARE(headerOf(waiting, "Retry-After"), QByteArray("4"));

    m_clock->advanceMs(4000);
    const HttpResponse signedIn = signIn(agent.agentId, agent.secret);
    QVERIFY2(signedIn.status == 200, qPrintable(describe(signedIn)));
    QVERIFY(headerOf(signedIn, "Retry-After").isEmpty());
    // The success forgave the earlier failures: one more failure costs nothing.
    VERIFY_PROBLEM(signIn(agent.agentId, wrong), 401);
    QCOMPARE(auth.retryAfterSeconds(agent.agentId, kPeer), 0);
}

void tst_AuthRoutes::refreshGivesNewTokensAndUsesTheOldOneUp()
{
    const Credentials agent
        = makeAgentWithSecret(QStringLiteral("refresher"), {QStringLiteral("tasks:read")});
    QVERIFY(!agent.agentId.isEmpty());
    const Json first = jsonOf(signIn(agent.agentId, agent.secret));
    const QString firstRefresh = text(first, "refresh_token");
    QVERIFY(!firstRefresh.isEmpty());

    m_clock->advanceMs(60 * 1000);
    const HttpResponse refreshed
        = postJson(QStringLiteral("/auth/refresh"), Json{{"refresh_token", firstRefresh}});
    QVERIFY2(refreshed.status == 200, qPrintable(describe(refreshed)));
    const Json second = jsonOf(refreshed);
    QCOMPARE(text(second, "token_type"), QStringLiteral("Bearer"));
    QCOMPARE(second.value("expires_in", 0), 900);
    QCOMPARE(text(second, "scope"), QStringLiteral("tasks:read"));
    const QString secondRefresh = text(second, "refresh_token");
    QVERIFY(secondRefresh.startsWith(QLatin1String("ordr_")));
    QVERIFY(secondRefresh != firstRefresh);
    QVERIFY(text(second, "access_token") != text(first, "access_token"));
    QCOMPARE(listTasks(text(second, "access_token")).status, 200);
    QCOMPARE(refreshTokenRows(), 2);

    // The new refresh token works in its turn.
    const HttpResponse again
        = postJson(QStringLiteral("/auth/refresh"), Json{{"refresh_token", secondRefresh}});
    QVERIFY2(again.status == 200, qPrintable(describe(again)));

    const HttpResponse bad = postJson(QStringLiteral("/auth/refresh"), Json{{"refresh_token", 42}});
    VERIFY_PROBLEM(bad, 422);
    QCOMPARE(errorFieldOf(bad), QStringLiteral("refresh_token"));
}

void tst_AuthRoutes::reusedRefreshTokenRevokesTheTokensIssuedForIt()
{
    Result<Agent> agent = makeAgent(QStringLiteral("victim"), {QStringLiteral("tasks:read")});
    QVERIFY2(agent, qPrintable(agent ? QString() : agent.error().describe()));
    Result<Authenticator::Tokens> issued = issue(*agent);
    QVERIFY2(issued, qPrintable(issued ? QString() : issued.error().describe()));
    const QString stolen = issued->refreshToken;

    const HttpResponse byOwner
        = postJson(QStringLiteral("/auth/refresh"), Json{{"refresh_token", stolen}});
    QCOMPARE(byOwner.status, 200);
    const QString successor = text(jsonOf(byOwner), "refresh_token");
    QVERIFY(!successor.isEmpty());

    const HttpResponse byThief
        = postJson(QStringLiteral("/auth/refresh"), Json{{"refresh_token", stolen}});
    VERIFY_PROBLEM(byThief, 401);
    QVERIFY(!jsonOf(byThief).contains("access_token"));
    // One of the two holders stole it: the token issued for it is void as well.
    const HttpResponse bySuccessor
        = postJson(QStringLiteral("/auth/refresh"), Json{{"refresh_token", successor}});
    VERIFY_PROBLEM(bySuccessor, 401);
    QCOMPARE(refreshTokenRows(), 2);
}

void tst_AuthRoutes::unknownRefreshTokenIsRefused()
{
    const HttpResponse unknown = postJson(QStringLiteral("/auth/refresh"),
                                          Json{{"refresh_token", "ordr_not-a-token-we-issued"}});
    VERIFY_PROBLEM(unknown, 401);
    VERIFY_PROBLEM(postJson(QStringLiteral("/auth/refresh"), Json::object()), 422);
    QCOMPARE(refreshTokenRows(), 0);
}

void tst_AuthRoutes::revokedAccessTokenIsRefused()
{
    const Credentials agent
        = makeAgentWithSecret(QStringLiteral("leaver"), {QStringLiteral("tasks:read")});
    QVERIFY(!agent.agentId.isEmpty());
    const Json tokens = jsonOf(signIn(agent.agentId, agent.secret));
    const QString access = text(tokens, "access_token");
    QCOMPARE(listTasks(access).status, 200);

    const HttpResponse revoked
        = postJson(QStringLiteral("/auth/revoke"), Json{{"token", access.toStdString()}});
    QVERIFY2(revoked.status == 200, qPrintable(describe(revoked)));
    const HttpResponse refused = listTasks(access);
    VERIFY_PROBLEM(refused, 401);
    QVERIFY2(detailOf(refused).contains(QLatin1String("revoked")), qPrintable(detailOf(refused)));
    // Revoking it again changes nothing.
    QCOMPARE(postJson(QStringLiteral("/auth/revoke"), Json{{"token", access.toStdString()}}).status,
             200);

    // Only that access token: its refresh token still gives a working one.
    const HttpResponse refreshed = postJson(QStringLiteral("/auth/refresh"),
                                            Json{{"refresh_token", text(tokens, "refresh_token")}});
    QVERIFY2(refreshed.status == 200, qPrintable(describe(refreshed)));
    QCOMPARE(listTasks(text(jsonOf(refreshed), "access_token")).status, 200);
}

void tst_AuthRoutes::revokedRefreshTokenCannotBeRefreshed()
{
    Result<Agent> agent = makeAgent(QStringLiteral("logout"), {QStringLiteral("tasks:read")});
    QVERIFY2(agent, qPrintable(agent ? QString() : agent.error().describe()));
    Result<Authenticator::Tokens> issued = issue(*agent);
    QVERIFY2(issued, qPrintable(issued ? QString() : issued.error().describe()));

    const HttpResponse revoked
        = postJson(QStringLiteral("/auth/revoke"), Json{{"token", issued->refreshToken}});
    QVERIFY2(revoked.status == 200, qPrintable(describe(revoked)));
    VERIFY_PROBLEM(
        postJson(QStringLiteral("/auth/refresh"), Json{{"refresh_token", issued->refreshToken}}),
        401);
}

void tst_AuthRoutes::revokingAnUnknownTokenSucceeds_data()
{
    QTest::addColumn<QString>("token");
    QTest::newRow("garbage") << QStringLiteral("garbage");
    QTest::newRow("unknownRefreshToken") << QStringLiteral("ordr_never-issued");
    QTest::newRow("jwtShapedGarbage") << QStringLiteral("a.b.c");
}

// RFC 7009 §2.2: an invalid token is no error; there is nothing it could still do.
void tst_AuthRoutes::revokingAnUnknownTokenSucceeds()
{
    QFETCH(QString, token);
    const HttpResponse response = postJson(QStringLiteral("/auth/revoke"), Json{{"token", token}});
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    const HttpResponse missing = postJson(QStringLiteral("/auth/revoke"), Json::object());
    VERIFY_PROBLEM(missing, 422);
    QCOMPARE(errorFieldOf(missing), QStringLiteral("token"));
}

void tst_AuthRoutes::tokenOpensOnlyTheRoutesOfItsScopes()
{
    const Credentials reader
        = makeAgentWithSecret(QStringLiteral("reader"), {QStringLiteral("tasks:read")});
    QVERIFY(!reader.agentId.isEmpty());
    const QString access = text(jsonOf(signIn(reader.agentId, reader.secret)), "access_token");
    QVERIFY(!access.isEmpty());

    QCOMPARE(listTasks(access).status, 200);
    const HttpResponse create
        = send("POST", QStringLiteral("/api/v1/tasks"), kValidTask, bearer(access));
    VERIFY_PROBLEM(create, 403);
    QVERIFY2(detailOf(create).contains(QLatin1String("tasks:write")), qPrintable(detailOf(create)));
    const HttpResponse settings
        = send("PATCH", QStringLiteral("/api/v1/settings"), "{}", bearer(access));
    VERIFY_PROBLEM(settings, 403);
    QVERIFY2(detailOf(settings).contains(QLatin1String("agents:admin")),
             qPrintable(detailOf(settings)));
    // Nothing was created by the refused request.
    QCOMPARE(jsonOf(listTasks(access)).value("total", -1), 0);
}

void tst_AuthRoutes::starScopeOpensEveryRoute()
{
    Result<Agent> owner = makeAgent(QStringLiteral("owner"), {QStringLiteral("*")});
    QVERIFY2(owner, qPrintable(owner ? QString() : owner.error().describe()));
    Result<Authenticator::Tokens> tokens = issue(*owner);
    QVERIFY2(tokens, qPrintable(tokens ? QString() : tokens.error().describe()));
    const QByteArray authorization = bearer(tokens->accessToken);

    const HttpResponse create
        = send("POST", QStringLiteral("/api/v1/tasks"), kValidTask, authorization);
    QVERIFY2(create.status == 201, qPrintable(describe(create)));
    QCOMPARE(jsonOf(listTasks(tokens->accessToken)).value("total", -1), 1);
    const HttpResponse settings
        = send("PATCH", QStringLiteral("/api/v1/settings"), "{}", authorization);
    QVERIFY2(settings.status == 200, qPrintable(describe(settings)));
    const HttpResponse detailed
        = send("GET", QStringLiteral("/health/detailed"), QByteArray(), authorization);
    QVERIFY2(detailed.status == 200, qPrintable(describe(detailed)));
}

void tst_AuthRoutes::tokenHoldsOnlyTheScopesTheAgentStillHas()
{
    Result<Agent> agent = makeAgent(QStringLiteral("demoted"),
                                    {QStringLiteral("tasks:read"), QStringLiteral("tasks:write")});
    QVERIFY2(agent, qPrintable(agent ? QString() : agent.error().describe()));
    Result<Authenticator::Tokens> tokens = issue(*agent);
    QVERIFY2(tokens, qPrintable(tokens ? QString() : tokens.error().describe()));
    const QByteArray authorization = bearer(tokens->accessToken);
    const HttpResponse before
        = send("POST", QStringLiteral("/api/v1/tasks"), kValidTask, authorization);
    QVERIFY2(before.status == 201, qPrintable(describe(before)));

    Status demoted
        = updateAgent(agent->id, QStringLiteral("scopes=?"), QStringLiteral(R"(["tasks:read"])"));
    QVERIFY2(demoted, qPrintable(demoted ? QString() : demoted.error().describe()));
    const HttpResponse after
        = send("POST", QStringLiteral("/api/v1/tasks"), kValidTask, authorization);
    VERIFY_PROBLEM(after, 403);
    QVERIFY2(detailOf(after).contains(QLatin1String("tasks:write")), qPrintable(detailOf(after)));
    QCOMPARE(listTasks(tokens->accessToken).status, 200);

    // Nor does the token gain what the agent is given later: that takes a new token.
    Status promoted = updateAgent(agent->id, QStringLiteral("scopes=?"),
                                  QStringLiteral(R"(["tasks:read","tasks:write","agents:admin"])"));
    QVERIFY2(promoted, qPrintable(promoted ? QString() : promoted.error().describe()));
    VERIFY_PROBLEM(send("PATCH", QStringLiteral("/api/v1/settings"), "{}", authorization), 403);
    QCOMPARE(send("POST", QStringLiteral("/api/v1/tasks"), kValidTask, authorization).status, 201);
}

void tst_AuthRoutes::badBearerIsRefusedAsUnauthenticated_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("status");
    // The control: hand-made claims, signed by hand with the right key, are accepted — so each
    // refusal below is for its one defect.
    QTest::newRow("handSignedControl") << QStringLiteral("handSigned") << 200;
    QTest::newRow("noHeader") << QStringLiteral("noHeader") << 401;
    QTest::newRow("basicScheme") << QStringLiteral("basic") << 401;
    QTest::newRow("bearerWithoutToken") << QStringLiteral("bearerOnly") << 401;
    QTest::newRow("garbage") << QStringLiteral("garbage") << 401;
    QTest::newRow("algNone") << QStringLiteral("algNone") << 401;
    QTest::newRow("signedWithAnotherKey") << QStringLiteral("otherKey") << 401;
    QTest::newRow("expired") << QStringLiteral("expired") << 401;
    QTest::newRow("agentDoesNotExist") << QStringLiteral("unknownAgent") << 401;
    QTest::newRow("agentDisabled") << QStringLiteral("disabledAgent") << 401;
}

void tst_AuthRoutes::badBearerIsRefusedAsUnauthenticated()
{
    QFETCH(QString, kind);
    QFETCH(int, status);

    Result<Agent> agent = makeAgent(QStringLiteral("holder"), {QStringLiteral("*")});
    QVERIFY2(agent, qPrintable(agent ? QString() : agent.error().describe()));
    const QDateTime now = m_clock->now();
    const qint64 nowSecs = now.toSecsSinceEpoch();
    const Json claims{{"iss", JwtCodec::kIssuer}, {"aud", JwtCodec::kAudience},
                      {"sub", agent->id},         {"jti", "01890a5e-0f11-7c3a-9d2e"},
                      {"scope", "tasks:read"},    {"iat", nowSecs - 60},
                      {"nbf", nowSecs - 60},      {"exp", nowSecs + 600}};
    const QByteArray payload = base64Url(dumpJson(claims));
    auto signedWith = [&](const QByteArray &key) {
        const QByteArray input
            = base64Url(dumpJson(Json{{"alg", "HS256"}, {"typ", "JWT"}})) + '.' + payload;
        const QByteArray signature
            = QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256);
        return QByteArray(input + '.' + base64Url(signature));
    };
    auto issuedBy = [&](const QByteArray &key, const QDateTime &at, const QString &subject) {
        const ManualClock clock(at);
        const JwtCodec codec(key, clock);
        Result<QString> token
            = codec.issue(AccessClaims{subject,
                                       {QStringLiteral("tasks:read")},
                                       QStringLiteral("jti-1"),
                                       at,
                                       at.addSecs(Authenticator::kAccessSeconds)});
        return token ? token->toLatin1() : QByteArray();
    };

    QByteArray authorization;
    if (kind == QLatin1String("handSigned")) {
        authorization = "Bearer " + signedWith(kSigningKey);
    } else if (kind == QLatin1String("basic")) {
        authorization = "Basic " + QByteArray("holder:secret").toBase64();
    } else if (kind == QLatin1String("bearerOnly")) {
        authorization = "Bearer ";
    } else if (kind == QLatin1String("garbage")) {
        authorization = "Bearer not-a-token";
    } else if (kind == QLatin1String("algNone")) {
        authorization = "Bearer " + base64Url(dumpJson(Json{{"alg", "none"}, {"typ", "JWT"}})) + '.'
                        + payload + '.';
    } else if (kind == QLatin1String("otherKey")) {
        authorization = "Bearer " + issuedBy(kOtherKey, now, agent->id);
    } else if (kind == QLatin1String("expired")) {
        authorization = "Bearer " + issuedBy(kSigningKey, now.addSecs(-3600), agent->id);
    } else if (kind == QLatin1String("unknownAgent")) {
        authorization
            = "Bearer " + issuedBy(kSigningKey, now, QStringLiteral("01890a5d-0000-7000-8000-0"));
    } else if (kind == QLatin1String("disabledAgent")) {
        Result<Authenticator::Tokens> tokens = issue(*agent);
        QVERIFY2(tokens, qPrintable(tokens ? QString() : tokens.error().describe()));
        QCOMPARE(listTasks(tokens->accessToken).status, 200);
        const Status disabled = updateAgent(agent->id, QStringLiteral("disabled=?"), 1);
        QVERIFY2(disabled, qPrintable(disabled ? QString() : disabled.error().describe()));
        authorization = bearer(tokens->accessToken);
    }
    QVERIFY(kind == QLatin1String("noHeader") || !authorization.isEmpty());

    const HttpResponse response
        = send("GET", QStringLiteral("/api/v1/tasks"), QByteArray(), authorization);
    if (status == 200) {
        QVERIFY2(response.status == 200, qPrintable(describe(response)));
        return;
    }
    VERIFY_PROBLEM(response, status);
    // The reason never repeats the credential.
    if (authorization.size() > 20)
        QVERIFY(!detailOf(response).contains(QString::fromLatin1(authorization.mid(7))));
}

void tst_AuthRoutes::healthNeedsNoToken()
{
    const HttpResponse health = send("GET", QStringLiteral("/health"), QByteArray());
    QVERIFY2(health.status == 200, qPrintable(describe(health)));
    QCOMPARE(text(jsonOf(health), "status"), QStringLiteral("healthy"));
    // Its detailed sibling is not public.
    VERIFY_PROBLEM(send("GET", QStringLiteral("/health/detailed"), QByteArray()), 401);
}

QTEST_GUILESS_MAIN(tst_AuthRoutes)
#include "tst_AuthRoutes.moc"
