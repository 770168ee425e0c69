// Bad input: malformed JSON, wrong types, overlong strings, huge and deeply nested bodies,
// invalid ids, bad query parameters and unknown fields where a body is strict. Each gets a 4xx
// problem+json (a 422 names the field), the server goes on answering, and no row anywhere in
// the database changes.
#include "support/ApiHarness.h"
#include "support/TestData.h"

#include "core/Clock.h"
#include "core/Json.h"
#include "store/Database.h"

#include <QCryptographicHash>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QStandardPaths>
#include <QTest>

#include <memory>

using namespace ordinaut;

class tst_BadInput final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void everyBodyRouteRefusesUnreadableBodies();
    void fieldsAreCheckedAndNamed_data();
    void fieldsAreCheckedAndNamed();
    void invalidIdsAreNotFound_data();
    void invalidIdsAreNotFound();
    void badQueryParametersAreNamed_data();
    void badQueryParametersAreNamed();

private:
    HttpResponse call(const QByteArray &method, const QString &path, const QByteArray &body,
                      const QByteArray &contentType = "application/json");
    QString concrete(const QString &pattern) const;
    // Every table's row count and content checksum.
    QString fingerprint() const;
    void expectRefused(const HttpResponse &answer, const QString &what, const QString &field = {});

    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<test::ApiHarness> m_h;
    Engine *m_engine = nullptr;
    Services *m_services = nullptr;
    HttpApi *m_api = nullptr;
    QByteArray m_owner;
    QString m_taskId;
    QString m_runId;
    QString m_agentId;
    QString m_before;
};

void tst_BadInput::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_clock = std::make_unique<ManualClock>(test::utc("2026-03-10T09:00:00Z"));
    m_h = std::make_unique<test::ApiHarness>(1, m_clock.get());
    m_engine = &m_h->engine();
    m_services = &m_h->services();
    m_api = &m_h->api();
    m_api->rateLimiter().setLimit({0, 1});
    const Agent owner = m_h->makeAgent(QStringLiteral("owner"), {QStringLiteral("*")});
    m_agentId = owner.id;
    m_owner = m_h->bearer(owner);
    Result<Task> task = m_services->tasks.create(Json{{"title", "fixture"},
                                                      {"schedule_kind", "manual"},
                                                      {"payload", {{"pipeline", Json::array()}}}},
                                                 QStringLiteral("user"));
    QVERIFY(task);
    m_taskId = task->id;
    Result<Run> run = m_services->runs.runNow(m_taskId, RunTrigger::Api, QStringLiteral("user"));
    QVERIFY(run);
    m_runId = run->id;
    m_before = fingerprint();
}

void tst_BadInput::cleanupTestCase()
{
    // Nothing any request in this test sent changed a row.
    if (m_engine) {
        const QString after = fingerprint();
        QCOMPARE(after, m_before);
        // And the server still answers.
        QCOMPARE(call("GET", QStringLiteral("/health"), {}).status, 200);
    }
    m_engine = nullptr;
    m_h.reset();
    m_clock.reset();
}

QString tst_BadInput::fingerprint() const
{
    QStringList parts;
    QSqlQuery tables(m_engine->database().connection());
    if (!tables.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type='table' AND name "
                                    "NOT LIKE 'sqlite_%' AND name <> 'workers' ORDER BY name")))
        return QStringLiteral("unreadable");
    QStringList names;
    while (tables.next())
        names << tables.value(0).toString();
    for (const QString &name : std::as_const(names)) {
        // Every column of every row, hashed: a changed value shows as well as a new row.
        QSqlQuery rows(m_engine->database().connection());
        if (!rows.exec(QStringLiteral("SELECT * FROM ") + name))
            return QStringLiteral("unreadable ") + name;
        QCryptographicHash hash(QCryptographicHash::Sha1);
        int count = 0;
        while (rows.next()) {
            ++count;
            for (int i = 0; i < rows.record().count(); ++i)
                hash.addData(QByteArray(rows.value(i).toString().toUtf8() + '\x1f'));
        }
        parts << name + QLatin1Char(':') + QString::number(count) + QLatin1Char(':')
                     + QString::fromLatin1(hash.result().toHex().left(12));
    }
    return parts.join(QLatin1Char(' '));
}

HttpResponse tst_BadInput::call(const QByteArray &method, const QString &path,
                                const QByteArray &body, const QByteArray &contentType)
{
    return m_h->call(method, path, m_owner, body, contentType);
}

QString tst_BadInput::concrete(const QString &pattern) const
{
    return test::fillPattern(pattern, m_taskId, m_runId, m_agentId);
}

void tst_BadInput::expectRefused(const HttpResponse &answer, const QString &what,
                                 const QString &field)
{
    const QString said = what + QStringLiteral(" → ") + QString::number(answer.status)
                         + QLatin1Char(' ') + QString::fromUtf8(answer.body.left(400));
    QVERIFY2(answer.status >= 400 && answer.status < 500, qPrintable(said));
    const Json problem = parseJson(answer.body).value_or(Json());
    // MCP clients read errors as JSON-RPC: /mcp refuses with a JSON-RPC error object.
    if (what.contains(QLatin1String(" /mcp ")) && answer.contentType == "application/json") {
        const Json error = problem.is_object() ? problem.value("error", Json()) : Json();
        QVERIFY2(problem.value("jsonrpc", "") == "2.0" && error.is_object()
                     && error.value("code", 0) < 0 && error.value("message", "").size() > 10,
                 qPrintable(said));
        return;
    }
    QVERIFY2(answer.contentType == "application/problem+json", qPrintable(said));
    QVERIFY2(problem.is_object() && problem.value("detail", "").size() > 10, qPrintable(said));
    if (field.isEmpty())
        return;
    QCOMPARE(answer.status, 422);
    bool named = false;
    for (const Json &error : problem.value("errors", Json::array()))
        named = named || qs(error.value("field", "")).contains(field);
    QVERIFY2(named, qPrintable(said + QStringLiteral(" (should name ") + field + QLatin1Char(')')));
}

void tst_BadInput::everyBodyRouteRefusesUnreadableBodies()
{
    QByteArray deep;
    for (int i = 0; i < 200; ++i)
        deep += "{\"a\":";
    deep += "1";
    for (int i = 0; i < 200; ++i)
        deep += "}";
    const QByteArray huge = "{\"title\":\"" + QByteArray(HttpApi::kMaxBodyBytes + 10, 'x') + "\"}";
    int routes = 0;
    for (const Router::Entry &route : m_api->router().entries()) {
        if (route.method != "POST" && route.method != "PUT" && route.method != "PATCH")
            continue;
        ++routes;
        const QString path = concrete(route.pattern);
        const QString name = QString::fromLatin1(route.method) + QLatin1Char(' ') + path;
        expectRefused(call(route.method, path, "{\"title\": "),
                      name + QStringLiteral(" truncated"));
        expectRefused(call(route.method, path, "{'single': 'quotes'}"),
                      name + QStringLiteral(" not JSON"));
        expectRefused(call(route.method, path, deep), name + QStringLiteral(" 200 levels deep"));
        const HttpResponse tooBig = call(route.method, path, huge);
        expectRefused(tooBig, name + QStringLiteral(" over 1 MiB"));
        QCOMPARE(tooBig.status, 413);
        expectRefused(call(route.method, path, "{\"a\":1}", "text/plain"),
                      name + QStringLiteral(" as text/plain"));
        expectRefused(call(route.method, path, "\xff\xfe{}"), name + QStringLiteral(" not UTF-8"));
        // A body that is JSON but not an object (every body route takes an object).
        expectRefused(call(route.method, path, "[1, 2, 3]"), name + QStringLiteral(" an array"));
        expectRefused(call(route.method, path, "\"text\""), name + QStringLiteral(" a string"));
    }
    QVERIFY(routes >= 15);
}

void tst_BadInput::fieldsAreCheckedAndNamed_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("field");
    const QString tasks = QStringLiteral("/api/v1/tasks");
    const QByteArray longTitle = "\"" + QByteArray(100000, 't') + "\"";
    QTest::newRow("task title a number")
        << QByteArray("POST") << tasks
        << QByteArray(R"({"title": 5, "schedule_kind": "manual", "payload": {"pipeline": []}})")
        << QStringLiteral("title");
    QTest::newRow("task title overlong")
        << QByteArray("POST") << tasks
        << QByteArray(R"({"title": )" + longTitle
                      + R"(, "schedule_kind": "manual", "payload": {"pipeline": []}})")
        << QStringLiteral("title");
    QTest::newRow("task schedule kind unknown")
        << QByteArray("POST") << tasks
        << QByteArray(R"({"title": "t", "schedule_kind": "hourly", "payload": {"pipeline": []}})")
        << QStringLiteral("schedule_kind");
    QTest::newRow("task priority out of range")
        << QByteArray("POST") << tasks
        << QByteArray(
               R"({"title": "t", "schedule_kind": "manual", "priority": 99, "payload": {"pipeline": []}})")
        << QStringLiteral("priority");
    QTest::newRow("task pipeline not a list")
        << QByteArray("POST") << tasks
        << QByteArray(R"({"title": "t", "schedule_kind": "manual", "payload": {"pipeline": "x"}})")
        << QStringLiteral("pipeline");
    QTest::newRow("task update title null")
        << QByteArray("PUT") << QStringLiteral("/api/v1/tasks/{id}")
        << QByteArray(R"({"title": null})") << QStringLiteral("title");
    QTest::newRow("snooze delay a string")
        << QByteArray("POST") << QStringLiteral("/api/v1/tasks/{id}/snooze")
        << QByteArray(R"({"delay_seconds": "soon"})") << QStringLiteral("delay_seconds");
    QTest::newRow("snooze unknown field")
        << QByteArray("POST") << QStringLiteral("/api/v1/tasks/{id}/snooze")
        << QByteArray(R"({"delay_seconds": 60, "until": "tomorrow"})") << QStringLiteral("until");
    QTest::newRow("event topic missing")
        << QByteArray("POST") << QStringLiteral("/api/v1/events")
        << QByteArray(R"({"payload": {}})") << QStringLiteral("topic");
    QTest::newRow("event topic overlong")
        << QByteArray("POST") << QStringLiteral("/api/v1/events")
        << QByteArray(R"({"topic": ")" + QByteArray(5000, 'a') + R"("})")
        << QStringLiteral("topic");
    QTest::newRow("event unknown field")
        << QByteArray("POST") << QStringLiteral("/api/v1/events")
        << QByteArray(R"({"topic": "a.b", "payloud": {}})") << QStringLiteral("payloud");
    QTest::newRow("retry from_step a number")
        << QByteArray("POST") << QStringLiteral("/api/v1/runs/{id}/retry")
        << QByteArray(R"({"from_step": 3})") << QStringLiteral("from_step");
    QTest::newRow("agent scopes unknown")
        << QByteArray("POST") << QStringLiteral("/api/v1/agents")
        << QByteArray(R"({"name": "x", "scopes": ["tasks:read", "root"]})")
        << QStringLiteral("scopes");
    QTest::newRow("agent disabled a string")
        << QByteArray("PATCH") << QStringLiteral("/api/v1/agents/{id}")
        << QByteArray(R"({"disabled": "yes"})") << QStringLiteral("disabled");
    QTest::newRow("settings unknown key")
        << QByteArray("PATCH") << QStringLiteral("/api/v1/settings")
        << QByteArray(R"({"scheduler.run_all_cap": 5, "no.such.setting": 1})")
        << QStringLiteral("no.such.setting");
    QTest::newRow("rate limit negative")
        << QByteArray("PATCH") << QStringLiteral("/api/v1/settings")
        << QByteArray(R"({"api.rate_limit": {"requests_per_second": -5, "burst": 1}})")
        << QStringLiteral("api.rate_limit");
    QTest::newRow("sign-in secret a number")
        << QByteArray("POST") << QStringLiteral("/auth/token")
        << QByteArray(R"({"agent_id": "a", "secret": 5})") << QStringLiteral("secret");
    QTest::newRow("schedule preview bad rrule")
        << QByteArray("POST") << QStringLiteral("/api/v1/schedules/preview")
        << QByteArray(R"({"schedule_kind": "rrule", "schedule_expr": "FREQ=SOMETIMES"})")
        << QStringLiteral("schedule_expr");
}

void tst_BadInput::fieldsAreCheckedAndNamed()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, pattern);
    QFETCH(QByteArray, body);
    QFETCH(QString, field);
    expectRefused(call(method, concrete(pattern), body),
                  QString::fromLatin1(method) + QLatin1Char(' ') + pattern, field);
}

void tst_BadInput::invalidIdsAreNotFound_data()
{
    QTest::addColumn<QString>("id");
    QTest::newRow("unknown") << QStringLiteral("01HZZZZZZZZZZZZZZZZZZZZZZZ");
    QTest::newRow("dots") << QStringLiteral("..");
    QTest::newRow("quote") << QStringLiteral("x'%20OR%20'1'='1");
    QTest::newRow("long") << QString(5000, QLatin1Char('a'));
    QTest::newRow("control") << QStringLiteral("a%00b");
    QTest::newRow("non-ascii") << QStringLiteral("задача");
}

void tst_BadInput::invalidIdsAreNotFound()
{
    QFETCH(QString, id);
    int routes = 0;
    for (const Router::Entry &route : m_api->router().entries()) {
        if (!route.pattern.contains(QLatin1String("{id}")))
            continue;
        ++routes;
        QString path = route.pattern;
        path.replace(QLatin1String("{id}"), id);
        const bool withBody = route.method != "GET" && route.method != "DELETE";
        const HttpResponse answer
            = call(route.method, path, withBody ? QByteArray("{}") : QByteArray());
        expectRefused(answer, QString::fromLatin1(route.method) + QLatin1Char(' ') + route.pattern);
        // Unknown things are 404 (or 422 where the body is checked first), never a 5xx.
        QVERIFY2(
            answer.status == 404 || answer.status == 422 || answer.status == 400,
            qPrintable(route.pattern + QStringLiteral(" → ") + QString::number(answer.status)));
    }
    QVERIFY(routes >= 10);
}

void tst_BadInput::badQueryParametersAreNamed_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("field");
    for (const char *list : {"/api/v1/tasks", "/api/v1/runs", "/api/v1/audit"}) {
        const QString base = QString::fromLatin1(list);
        QTest::newRow(qPrintable(base + QStringLiteral(" limit=abc")))
            << base + QStringLiteral("?limit=abc") << QStringLiteral("limit");
        QTest::newRow(qPrintable(base + QStringLiteral(" limit=0")))
            << base + QStringLiteral("?limit=0") << QStringLiteral("limit");
        QTest::newRow(qPrintable(base + QStringLiteral(" limit=10^6")))
            << base + QStringLiteral("?limit=1000000") << QStringLiteral("limit");
    }
    QTest::newRow("tasks offset -1")
        << QStringLiteral("/api/v1/tasks?offset=-1") << QStringLiteral("offset");
    QTest::newRow("tasks status") << QStringLiteral("/api/v1/tasks?status=sleeping")
                                  << QStringLiteral("status");
    QTest::newRow("tasks cursor") << QStringLiteral("/api/v1/tasks?cursor=%%%")
                                  << QStringLiteral("cursor");
    QTest::newRow("runs status") << QStringLiteral("/api/v1/runs?status=done")
                                 << QStringLiteral("status");
    QTest::newRow("runs after") << QStringLiteral("/api/v1/runs?scheduled_after=yesterday")
                                << QStringLiteral("scheduled_after");
    QTest::newRow("stats days") << QStringLiteral("/api/v1/runs/stats?days=1000")
                                << QStringLiteral("days");
    QTest::newRow("audit after") << QStringLiteral("/api/v1/audit?after=x")
                                 << QStringLiteral("after");
    QTest::newRow("events after") << QStringLiteral("/api/v1/events?after_id=-")
                                  << QStringLiteral("after_id");
}

void tst_BadInput::badQueryParametersAreNamed()
{
    QFETCH(QString, path);
    QFETCH(QString, field);
    expectRefused(call("GET", path, QByteArray()), path, field);
}

QTEST_GUILESS_MAIN(tst_BadInput)
#include "tst_BadInput.moc"
