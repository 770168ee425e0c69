// The auth matrix: every route the API serves (taken from its router, so a new route is covered
// the day it is added) × {no token, malformed, expired, alg=none, wrong signature, revoked,
// missing scope} answers 401 or 403 as problem+json — never 2xx, never 5xx — and every route
// that changes a task or a run answers 403 to an agent that did not create the task, which is
// left as it was.
#include "support/ApiHarness.h"
#include "support/TestData.h"

#include "api/JwtCodec.h"
#include "core/Clock.h"
#include "core/Id.h"
#include "core/Json.h"
#include "core/Scopes.h"

#include <QStandardPaths>
#include <QTest>

#include <map>
#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kKey(32, 'm');

QByteArray base64url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QString describe(const HttpResponse &response)
{
    return QString::number(response.status) + QLatin1Char(' ')
           + QString::fromUtf8(response.body.left(300));
}

} // namespace

class tst_AuthMatrix final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void everyScopedRouteRefusesBadCredentials_data();
    void everyScopedRouteRefusesBadCredentials();
    void everyScopedRouteNeedsItsScope();
    void anotherAgentsTaskAndRunsAreNotChanged();

private:
    HttpResponse call(const QByteArray &method, const QString &path,
                      const QByteArray &authorization, const Json &body = Json())
    {
        return m_h->call(method, path, authorization, body);
    }
    // The route's pattern with its placeholders filled from the fixtures.
    QString concrete(const QString &pattern) const;
    // A body the route would accept from its owner, so refusals come from who asks, not what.
    static Json plausibleBody(const QByteArray &method, const QString &pattern);
    QString tokenFor(const Agent &agent) { return QString::fromLatin1(m_h->bearer(agent).mid(7)); }
    Agent agentWith(const QString &name, const QStringList &scopes)
    {
        return m_h->makeAgent(name, scopes);
    }

    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<test::ApiHarness> m_h;
    Services *m_services = nullptr;
    HttpApi *m_api = nullptr;
    Agent m_creator;  // made the task
    Agent m_stranger; // every scope but agents:admin
    QString m_taskId;
    QString m_runId;
    std::map<QByteArray, QByteArray> m_badTokens; // case → Authorization header
};

void tst_AuthMatrix::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_clock = std::make_unique<ManualClock>(test::utc("2026-03-10T09:00:00Z"));
    m_h = std::make_unique<test::ApiHarness>(1, m_clock.get(), kKey);
    m_services = &m_h->services();
    m_api = &m_h->api();
    // No request in this test may be refused for its rate.
    m_api->rateLimiter().setLimit({0, 1});

    QStringList nonAdmin = scopes::known();
    nonAdmin.removeAll(scopes::kAgentsAdmin);
    m_creator = agentWith(QStringLiteral("creator"), nonAdmin);
    m_stranger = agentWith(QStringLiteral("stranger"), nonAdmin);
    const Json document{{"title", "the creator's task"},
                        {"schedule_kind", "rrule"},
                        {"schedule_expr", "FREQ=DAILY;BYHOUR=7"},
                        {"timezone", "Europe/Berlin"},
                        {"payload", {{"pipeline", Json::array()}}}};
    Result<Task> task = m_services->tasks.create(document, QStringLiteral("agent:") + m_creator.id);
    QVERIFY2(task, task ? "" : qPrintable(task.error().describe()));
    m_taskId = task->id;
    Result<Run> run = m_services->runs.runNow(m_taskId, RunTrigger::Api,
                                              QStringLiteral("agent:") + m_creator.id);
    QVERIFY2(run, run ? "" : qPrintable(run.error().describe()));
    m_runId = run->id;

    // The bad credentials.
    const QString good = tokenFor(m_creator);
    QVERIFY(!good.isEmpty());
    const QList<QByteArray> parts = good.toLatin1().split('.');
    QCOMPARE(parts.size(), 3);
    m_badTokens["no token"] = QByteArray();
    m_badTokens["not a bearer"] = "Basic " + base64url("creator:secret");
    m_badTokens["malformed"] = "Bearer not-a-jwt";
    m_badTokens["garbage segments"] = "Bearer a.b.c";
    m_badTokens["alg none"]
        = "Bearer " + base64url(R"({"alg":"none","typ":"JWT"})") + '.' + parts[1] + '.';
    m_badTokens["alg HS512 header"]
        = "Bearer " + base64url(R"({"alg":"HS512","typ":"JWT"})") + '.' + parts[1] + '.' + parts[2];
    const QByteArray claimsText = QByteArray::fromBase64(parts[1], QByteArray::Base64UrlEncoding);
    QVERIFY(claimsText.contains(m_creator.id.toLatin1()));
    m_badTokens["tampered claims"]
        = "Bearer " + parts[0] + '.'
          + base64url(QByteArray::fromBase64(parts[1], QByteArray::Base64UrlEncoding)
                          .replace(m_creator.id.toLatin1(), m_stranger.id.toLatin1()))
          + '.' + parts[2];
    const AccessClaims claims{
        m_creator.id, {QStringLiteral("*")}, newId(), m_clock->now(), m_clock->now().addSecs(900)};
    Result<QString> forged = JwtCodec(QByteArray(32, 'x'), *m_clock).issue(claims);
    QVERIFY(forged);
    m_badTokens["wrong signature"] = "Bearer " + forged->toLatin1();
    ManualClock past(m_clock->now().addSecs(-3600));
    const AccessClaims old{
        m_creator.id, {QStringLiteral("*")}, newId(), past.now(), past.now().addSecs(900)};
    Result<QString> expired = JwtCodec(kKey, past).issue(old);
    QVERIFY(expired);
    m_badTokens["expired"] = "Bearer " + expired->toLatin1();
    const QString revoked = tokenFor(m_creator);
    QVERIFY(m_api->authenticator().revoke(revoked, QStringLiteral("test")));
    m_badTokens["revoked"] = "Bearer " + revoked.toLatin1();
    Result<Agent> gone = m_services->agents.create(QStringLiteral("disabled"),
                                                   {QStringLiteral("*")}, QStringLiteral("test"));
    QVERIFY(gone);
    const QString disabledToken = tokenFor(*gone);
    Result<Agent> disabled = m_services->agents.update(
        gone->id,
        [] {
            AgentService::Patch patch;
            patch.disabled = true;
            return patch;
        }(),
        QStringLiteral("test"));
    QVERIFY2(disabled, disabled ? "" : qPrintable(disabled.error().describe()));
    m_badTokens["disabled agent"] = "Bearer " + disabledToken.toLatin1();
    // The forged token is otherwise well-formed: the same claims under the right key work.
    Result<QString> genuine = JwtCodec(kKey, *m_clock).issue(claims);
    QVERIFY(genuine);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), "Bearer " + genuine->toLatin1()).status,
             200);
}

void tst_AuthMatrix::cleanupTestCase()
{
    m_h.reset();
    m_clock.reset();
}

QString tst_AuthMatrix::concrete(const QString &pattern) const
{
    return test::fillPattern(pattern, m_taskId, m_runId, m_creator.id);
}

Json tst_AuthMatrix::plausibleBody(const QByteArray &method, const QString &pattern)
{
    if (method == "GET" || method == "DELETE")
        return Json();
    if (pattern.endsWith(QLatin1String("/snooze")))
        return Json{{"delay_seconds", 600}};
    if (pattern == QLatin1String("/api/v1/tasks/{id}"))
        return Json{{"title", "taken over"}};
    return Json::object();
}

void tst_AuthMatrix::everyScopedRouteRefusesBadCredentials_data()
{
    QTest::addColumn<QByteArray>("kind");
    for (const auto &[kind, header] : std::as_const(m_badTokens))
        QTest::newRow(kind.constData()) << kind;
}

void tst_AuthMatrix::everyScopedRouteRefusesBadCredentials()
{
    QFETCH(QByteArray, kind);
    const QByteArray header = m_badTokens.at(kind);
    int checked = 0;
    QStringList wrong;
    for (const Router::Entry &route : m_api->router().entries()) {
        if (route.access.isPublic())
            continue;
        const QString path = concrete(route.pattern);
        const HttpResponse answer
            = call(route.method, path, header, plausibleBody(route.method, route.pattern));
        ++checked;
        const bool isProblem = answer.contentType == "application/problem+json";
        if (answer.status != 401 || !isProblem)
            wrong << QString::fromLatin1(route.method) + QLatin1Char(' ') + path
                         + QStringLiteral(" → ") + describe(answer);
        else if (!std::any_of(answer.headers.cbegin(), answer.headers.cend(), [](const auto &h) {
                     return h.first.toLower() == "www-authenticate";
                 }))
            wrong << QString::fromLatin1(route.method) + QLatin1Char(' ') + path
                         + QStringLiteral(": 401 without WWW-Authenticate");
    }
    QVERIFY(checked > 30);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(QLatin1Char('\n'))));
}

void tst_AuthMatrix::everyScopedRouteNeedsItsScope()
{
    // For each scope, an agent with every other one.
    std::map<QString, QString> withoutScope;
    for (const QString &scope : scopes::known()) {
        QStringList others = scopes::known();
        others.removeAll(scope);
        withoutScope[scope] = tokenFor(agentWith(QStringLiteral("no ") + scope, others));
    }
    QStringList wrong;
    for (const Router::Entry &route : m_api->router().entries()) {
        // Routes any valid token may call (/mcp checks each tool's scope itself).
        if (route.access.isPublic() || route.access.scopeName().isEmpty())
            continue;
        const QString path = concrete(route.pattern);
        const HttpResponse answer = call(
            route.method, path, "Bearer " + withoutScope.at(route.access.scopeName()).toLatin1(),
            plausibleBody(route.method, route.pattern));
        if (answer.status != 403
            || !QString::fromUtf8(answer.body).contains(route.access.scopeName()))
            wrong << QString::fromLatin1(route.method) + QLatin1Char(' ') + path
                         + QStringLiteral(" → ") + describe(answer);
    }
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(QLatin1Char('\n'))));
}

void tst_AuthMatrix::anotherAgentsTaskAndRunsAreNotChanged()
{
    const Result<Task> before = m_services->tasks.get(m_taskId);
    QVERIFY(before);
    const QByteArray stranger = "Bearer " + tokenFor(m_stranger).toLatin1();
    int checked = 0;
    QStringList wrong;
    for (const Router::Entry &route : m_api->router().entries()) {
        const bool ofTask = route.pattern.startsWith(QLatin1String("/api/v1/tasks/{id}"));
        const bool ofRun = route.pattern.startsWith(QLatin1String("/api/v1/runs/{id}"));
        if ((!ofTask && !ofRun) || route.method == "GET")
            continue;
        const QString path = concrete(route.pattern);
        const HttpResponse answer
            = call(route.method, path, stranger, plausibleBody(route.method, route.pattern));
        ++checked;
        if (answer.status != 403
            || !QString::fromUtf8(answer.body).contains(QLatin1String("agents:admin")))
            wrong << QString::fromLatin1(route.method) + QLatin1Char(' ') + path
                         + QStringLiteral(" → ") + describe(answer);
    }
    QVERIFY2(checked >= 8, qPrintable(QString::number(checked)));
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(QLatin1Char('\n'))));
    const Result<Task> after = m_services->tasks.get(m_taskId);
    QVERIFY(after);
    QVERIFY2(after->toJson() == before->toJson(), "the task is as it was");
    // Reading is open to any agent holding tasks:read.
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks/") + m_taskId, stranger).status, 200);
}

QTEST_GUILESS_MAIN(tst_AuthMatrix)
#include "tst_AuthMatrix.moc"
