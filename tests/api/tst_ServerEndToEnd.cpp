// End to end through the real binary: ordinaut-server on a free loopback port with a temp data
// folder, a token from `token create`, a `once` task that calls a local HTTP server and echoes
// its status, and bad requests that must be refused as problem+json without creating anything.
#include "support/TempDataDir.h"
#include "support/TestData.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryFile>
#include <QTest>
#include <QTimer>

#include <nlohmann/json.hpp>

using Json = nlohmann::json;

namespace {

struct Reply
{
    int status = 0;
    QByteArray contentType;
    QByteArray body;
    Json json() const { return Json::parse(body.toStdString(), nullptr, false); }
};

} // namespace

class tst_ServerEndToEnd final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void tokenCreatePrintsOnlyTheTokenOnStdout();
    void healthNeedsNoToken();
    void apiRoutesNeedAValidToken();
    void onceTaskRunsHttpThenEchoAndIsRecorded();
    void badBodiesAreRefusedAndCreateNothing_data();
    void badBodiesAreRefusedAndCreateNothing();
    void staleVersionIsAConflict();
    void unknownTaskIsNotFound();
    void toolCatalogAndPipelineCheck();
    void approvalOverHttpResumesTheRun();
    void cancelAndRetryOverHttp();
    void secretsAreWriteOnly();
    void detailedHealthShowsWorkersAndQueue();
    void previewMatchesBetweenApiAndCli();
    void businessCalendarsOverHttpAndCli();
    void runCommandRunsAPipelineOnce();
    void serverStopsCleanlyOnSigterm();

private:
    Reply request(const QByteArray &method, const QString &path, const QByteArray &body = {},
                  const QByteArray &contentType = "application/json", bool withToken = true);
    int taskCount();

    ordinaut::test::TempDataDir m_dataDir;
    QProcess m_server;
    QString m_baseUrl;
    QString m_token;
    QNetworkAccessManager m_network;
    QHttpServer m_peer; // the "remote" service the pipeline calls
    quint16 m_peerPort = 0;
    int m_peerHits = 0;
};

Reply tst_ServerEndToEnd::request(const QByteArray &method, const QString &path,
                                  const QByteArray &body, const QByteArray &contentType,
                                  bool withToken)
{
    QNetworkRequest req(QUrl(m_baseUrl + path));
    if (withToken)
        req.setRawHeader("Authorization", "Bearer " + m_token.toLatin1());
    if (!contentType.isEmpty())
        req.setRawHeader("Content-Type", contentType);
    QNetworkReply *reply = m_network.sendCustomRequest(req, method, body);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    loop.exec();
    Reply out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    out.body = reply->readAll();
    reply->deleteLater();
    return out;
}

int tst_ServerEndToEnd::taskCount()
{
    const Reply reply = request("GET", QStringLiteral("/api/v1/tasks"));
    return reply.json().value("total", -1);
}

void tst_ServerEndToEnd::initTestCase()
{
    m_peer.route(QStringLiteral("/metrics"), [this](const QHttpServerRequest &) {
        ++m_peerHits;
        return QHttpServerResponse(QJsonObject{{QStringLiteral("value"), 42}});
    });
    m_peerPort = m_peer.listen(QHostAddress::LocalHost, 0);
    QVERIFY(m_peerPort != 0);

    QProcess token;
    token.start(QStringLiteral(ORDINAUT_SERVER_PATH),
                {QStringLiteral("token"), QStringLiteral("create"), QStringLiteral("--data-dir"),
                 m_dataDir.path(), QStringLiteral("--name"), QStringLiteral("e2e")});
    QVERIFY(token.waitForFinished(30000));
    QCOMPARE(token.exitCode(), 0);
    m_token = QString::fromLatin1(token.readAllStandardOutput()).trimmed();
    QVERIFY2(!m_token.isEmpty(), "token create printed nothing");

    m_server.setProcessChannelMode(QProcess::SeparateChannels);
    m_server.start(QStringLiteral(ORDINAUT_SERVER_PATH),
                   {QStringLiteral("serve"), QStringLiteral("--data-dir"), m_dataDir.path(),
                    QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
    QVERIFY(m_server.waitForStarted(10000));
    // The first stdout line names the URL, with the port the OS picked.
    QTRY_VERIFY_WITH_TIMEOUT(m_server.canReadLine(), 15000);
    const QString line = QString::fromUtf8(m_server.readLine()).trimmed();
    const QRegularExpressionMatch m
        = QRegularExpression(QStringLiteral("serving at (http://127\\.0\\.0\\.1:\\d+)$"))
              .match(line);
    QVERIFY2(m.hasMatch(), qPrintable(line));
    m_baseUrl = m.captured(1);
}

void tst_ServerEndToEnd::cleanupTestCase()
{
    if (m_server.state() != QProcess::NotRunning) {
        m_server.kill();
        m_server.waitForFinished(5000);
    }
}

void tst_ServerEndToEnd::tokenCreatePrintsOnlyTheTokenOnStdout()
{
    QProcess token;
    token.start(QStringLiteral(ORDINAUT_SERVER_PATH),
                {QStringLiteral("token"), QStringLiteral("create"), QStringLiteral("--data-dir"),
                 m_dataDir.path()});
    QVERIFY(token.waitForFinished(30000));
    QCOMPARE(token.exitCode(), 0);
    const QByteArray out = token.readAllStandardOutput();
    // One line: a JWT (header.payload.signature, base64url).
    QVERIFY2(
        QRegularExpression(QStringLiteral("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\n$"))
            .match(QString::fromLatin1(out))
            .hasMatch(),
        out.constData());
    const QByteArray err = token.readAllStandardError();
    QVERIFY(err.contains("Created agent"));
    QVERIFY(err.contains("secret (shown only now)"));
    QVERIFY(QString::fromLatin1(out).trimmed() != m_token); // every agent gets its own token
}

void tst_ServerEndToEnd::healthNeedsNoToken()
{
    const Reply reply = request("GET", QStringLiteral("/health"), {}, {}, false);
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.json()["status"] == "healthy");
    QVERIFY(reply.json()["database"] == "ok");
}

void tst_ServerEndToEnd::apiRoutesNeedAValidToken()
{
    Reply reply = request("GET", QStringLiteral("/api/v1/tasks"), {}, {}, false);
    QCOMPARE(reply.status, 401);
    QCOMPARE(reply.contentType, QByteArray("application/problem+json"));

    const QString saved = m_token;
    m_token = saved.left(saved.size() - 2)
              + (saved.endsWith(QLatin1String("AA")) ? QStringLiteral("BB") : QStringLiteral("AA"));
    reply = request("GET", QStringLiteral("/api/v1/tasks"));
    m_token = saved;
    QCOMPARE(reply.status, 401);
    QVERIFY(reply.json()["detail"].get<std::string>().find("signature") != std::string::npos);
}

void tst_ServerEndToEnd::onceTaskRunsHttpThenEchoAndIsRecorded()
{
    const QString at = QDateTime::currentDateTimeUtc().addMSecs(2000).toString(Qt::ISODateWithMs);
    const Json body = {
        {"title", "Fetch metrics"},
        {"schedule_kind", "once"},
        {"schedule_expr", at.toStdString()},
        {"timezone", "Europe/Chisinau"},
        {"payload",
         {{"params",
           {{"url", QStringLiteral("http://127.0.0.1:%1/metrics").arg(m_peerPort).toStdString()}}},
          {"pipeline",
           {{{"id", "fetch"}, {"uses", "http.request"}, {"with", {{"url", "${params.url}"}}}},
            {{"id", "report"},
             {"uses", "debug.echo"},
             {"with",
              {{"status", "${steps.fetch.status}"},
               {"text", "value=${steps.fetch.body.value}"}}}}}}}}};
    const Reply created
        = request("POST", QStringLiteral("/api/v1/tasks"), QByteArray::fromStdString(body.dump()));
    QCOMPARE(created.status, 201);
    const Json task = created.json();
    QVERIFY(task["status"] == "active");
    QVERIFY(task["version"] == 1);
    QVERIFY(task["next_run_at"].is_string());
    const QString taskId = QString::fromStdString(task["id"].get<std::string>());

    Json run;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const Json page
                = request("GET", QStringLiteral("/api/v1/runs?task_id=") + taskId).json();
            if (page["items"].empty() || page["items"][0]["status"] != "succeeded")
                return false;
            run = page["items"][0];
            return page["total"] == 1;
        }(),
        10000);
    QVERIFY(run["trigger"] == "schedule");
    QCOMPARE(m_peerHits, 1);

    const Json detail
        = request("GET", QStringLiteral("/api/v1/runs/") + QString::fromStdString(run["id"]))
              .json();
    QVERIFY(detail["steps"].size() == 2);
    QVERIFY(detail["steps"][0]["uses"] == "http.request");
    QVERIFY(detail["steps"][0]["output"]["status"] == 200);
    QVERIFY(detail["steps"][0]["output"]["body"]["value"] == 42);
    QVERIFY(detail["steps"][1]["input"]["status"] == 200); // whole-string template keeps the type
    QVERIFY(detail["steps"][1]["output"]["text"] == "value=42");
    QVERIFY(detail["steps"][1]["started_at"].is_string());

    // The once schedule is spent: nothing is due any more.
    const Json after = request("GET", QStringLiteral("/api/v1/tasks/") + taskId).json();
    QVERIFY(after["next_run_at"].is_null());
}

void tst_ServerEndToEnd::badBodiesAreRefusedAndCreateNothing_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("mentions");

    const QByteArray pipeline
        = R"("payload":{"pipeline":[{"id":"a","uses":"debug.echo","with":{}}]})";
    QTest::newRow("invalid JSON") << QByteArray("{\"title\": ") << QByteArray("application/json")
                                  << 400 << QStringLiteral("not valid JSON");
    QTest::newRow("number out of range")
        << QByteArray(R"({"title":"x","priority":1e400})") << QByteArray("application/json") << 400
        << QStringLiteral("not valid JSON");
    QTest::newRow("not an object") << QByteArray("[1,2]") << QByteArray("application/json") << 400
                                   << QStringLiteral("JSON object");
    QTest::newRow("missing title") << ("{" + pipeline + "}") << QByteArray("application/json")
                                   << 422 << QStringLiteral("title: is required");
    QTest::newRow("unknown tool") << QByteArray(
        R"({"title":"x","payload":{"pipeline":[{"id":"a","uses":"debug.echo","with":{}},)"
        R"({"id":"b","uses":"x","with":{}}]}})")
                                  << QByteArray("application/json") << 422
                                  << QStringLiteral("payload.pipeline[1].uses: unknown tool 'x'");
    QTest::newRow("bad time zone")
        << ("{\"title\":\"x\",\"timezone\":\"Mars/Olympus\"," + pipeline + "}")
        << QByteArray("application/json") << 422 << QStringLiteral("timezone:");
    QTest::newRow("bad rrule")
        << ("{\"title\":\"x\",\"schedule_kind\":\"rrule\",\"schedule_expr\":\"FREQ=SOMETIMES\","
            + pipeline + "}")
        << QByteArray("application/json") << 422 << QStringLiteral("schedule_expr:");
    QTest::newRow("not JSON media type")
        << ("{\"title\":\"x\"," + pipeline + "}") << QByteArray("text/plain") << 415
        << QStringLiteral("application/json");
    QTest::newRow("too large") << ("{\"title\":\"" + QByteArray(1100 * 1024, 'a') + "\"," + pipeline
                                   + "}")
                               << QByteArray("application/json") << 413 << QStringLiteral("limit");
    QTest::newRow("too deep") << (QByteArray(100, '[') + QByteArray(100, ']'))
                              << QByteArray("application/json") << 400 << QStringLiteral("deeper");
}

void tst_ServerEndToEnd::badBodiesAreRefusedAndCreateNothing()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    QFETCH(int, status);
    QFETCH(QString, mentions);

    const int before = taskCount();
    const Reply reply = request("POST", QStringLiteral("/api/v1/tasks"), body, contentType);
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.contentType, QByteArray("application/problem+json"));
    const Json problem = reply.json();
    QVERIFY(problem["status"] == status);
    const QString detail = QString::fromStdString(problem["detail"].get<std::string>());
    QVERIFY2(detail.contains(mentions), qPrintable(detail));
    QCOMPARE(taskCount(), before);
}

void tst_ServerEndToEnd::staleVersionIsAConflict()
{
    const Reply created = request(
        "POST", QStringLiteral("/api/v1/tasks"),
        R"({"title":"v","payload":{"pipeline":[{"id":"a","uses":"debug.echo","with":{"n":1}}]}})");
    QCOMPARE(created.status, 201);
    const QString path
        = QStringLiteral("/api/v1/tasks/") + QString::fromStdString(created.json()["id"]);
    Reply updated = request("PUT", path, R"({"title":"v2","version":1})");
    QCOMPARE(updated.status, 200);
    QVERIFY(updated.json()["version"] == 2);
    QVERIFY(updated.json()["title"] == "v2");
    const Reply stale = request("PUT", path, R"({"title":"v3","version":1})");
    QCOMPARE(stale.status, 409);
    QVERIFY(request("GET", path).json()["title"] == "v2");

    QVERIFY(request("POST", path + QStringLiteral("/pause"), {}, {}).json()["status"] == "paused");
    QCOMPARE(request("POST", path + QStringLiteral("/run-now"), {}, {}).status, 409);
    QVERIFY(request("POST", path + QStringLiteral("/resume"), {}, {}).json()["status"] == "active");
    QCOMPARE(request("DELETE", path, {}, {}).status, 204);
    QCOMPARE(request("GET", path).status, 404);
}

void tst_ServerEndToEnd::unknownTaskIsNotFound()
{
    const Reply reply
        = request("GET", QStringLiteral("/api/v1/tasks/01890a5d-ac96-774b-bcce-b302099a8057"));
    QCOMPARE(reply.status, 404);
    QCOMPARE(reply.contentType, QByteArray("application/problem+json"));
    QCOMPARE(request("GET", QStringLiteral("/api/v1/nothing-here")).status, 404);
    QCOMPARE(request("PATCH", QStringLiteral("/api/v1/tasks"), "{}").status, 405);
    QCOMPARE(request("GET", QStringLiteral("/api/v1/runs?limit=0")).status, 422);
}

void tst_ServerEndToEnd::toolCatalogAndPipelineCheck()
{
    const Reply catalog = request("GET", QStringLiteral("/api/v1/tools"));
    QCOMPARE(catalog.status, 200);
    QStringList names;
    const Json items = catalog.json()["items"];
    for (const Json &tool : items) {
        names << QString::fromStdString(tool["name"].get<std::string>());
        QVERIFY(tool["input_schema"].is_object());
        QVERIFY(tool["output_schema"].is_object());
        QVERIFY(!tool["description"].get<std::string>().empty());
    }
    for (const char *expected :
         {"http.request", "llm.chat", "json.transform", "file.read", "file.write", "shell.run",
          "notify.desktop", "orchestrator.schedule_task", "orchestrator.run_task",
          "orchestrator.emit_event"})
        QVERIFY2(names.contains(QString::fromLatin1(expected)),
                 qPrintable(names.join(QLatin1Char(' '))));
    const Reply one = request("GET", QStringLiteral("/api/v1/tools/shell.run"));
    QCOMPARE(one.status, 200);
    QVERIFY(one.json()["input_schema"]["required"] == Json::array({"program"}));
    QCOMPARE(request("GET", QStringLiteral("/api/v1/tools/shell.runn")).status, 404);

    const Reply checked = request(
        "POST", QStringLiteral("/api/v1/pipelines/check"),
        R"j({"pipeline":[{"id":"a","uses":"notify.desktop","with":{"title":"${uper('x')}"}},
                         {"id":"b","uses":"notify.desktop","with":{"urgency":"loud"}}]})j");
    QCOMPARE(checked.status, 200);
    const Json diagnostics = checked.json()["diagnostics"];
    QCOMPARE(checked.json()["valid"].get<bool>(), false);
    QCOMPARE(int(diagnostics.size()), 3);
    auto text = [](const Json &value) { return QString::fromStdString(value.get<std::string>()); };
    QCOMPARE(text(diagnostics[0]["field"]), QStringLiteral("payload.pipeline[0].with.title"));
    QVERIFY(
        text(diagnostics[0]["message"]).startsWith(QLatin1String("1:3: unknown function 'uper'")));
    QStringList second = {text(diagnostics[1]["field"]), text(diagnostics[2]["field"])};
    second.sort();
    QCOMPARE(second, QStringList({QStringLiteral("payload.pipeline[1].with.title"),
                                  QStringLiteral("payload.pipeline[1].with.urgency")}));

    // Saving the same pipeline is refused with every problem listed.
    const Reply refused = request("POST", QStringLiteral("/api/v1/tasks"),
                                  R"j({"title":"t","schedule_kind":"manual","payload":{"pipeline":[
             {"id":"b","uses":"notify.desktop","with":{"urgency":"loud"}}]}})j");
    QCOMPARE(refused.status, 422);
    QCOMPARE(refused.contentType, QByteArray("application/problem+json"));
    QCOMPARE(int(refused.json()["errors"].size()), 2);
}

void tst_ServerEndToEnd::approvalOverHttpResumesTheRun()
{
    const Reply created
        = request("POST", QStringLiteral("/api/v1/tasks"),
                  R"j({"title":"needs a yes","schedule_kind":"manual","payload":{"pipeline":[
             {"id":"ask","uses":"human.approve","with":{"title":"Publish?","details":"v2"}},
             {"id":"then","uses":"debug.echo","with":{"by":"${steps.ask.by}"}}]}})j");
    QCOMPARE(created.status, 201);
    const std::string taskId = created.json()["id"].get<std::string>();
    const Reply started = request(
        "POST", QStringLiteral("/api/v1/tasks/%1/run-now").arg(QString::fromStdString(taskId)));
    QVERIFY2(started.status == 201 || started.status == 202, started.body.constData());
    const QString runId = QString::fromStdString(started.json()["id"].get<std::string>());

    Json pending;
    QTRY_VERIFY_WITH_TIMEOUT(
        (pending
         = request("GET", QStringLiteral("/api/v1/approvals?status=pending")).json()["items"],
         pending.size() == 1),
        10000);
    QCOMPARE(QString::fromStdString(pending[0]["run_id"].get<std::string>()), runId);
    QVERIFY(pending[0]["title"] == "Publish?");
    QVERIFY(request("GET", QStringLiteral("/api/v1/runs/") + runId).json()["status"]
            == "waiting_approval");
    const QString approvalId = QString::fromStdString(pending[0]["id"].get<std::string>());

    QCOMPARE(request("POST", QStringLiteral("/api/v1/approvals/%1/approve").arg(approvalId),
                     R"j({"colour":"green"})j")
                 .status,
             422);
    const Reply approved
        = request("POST", QStringLiteral("/api/v1/approvals/%1/approve").arg(approvalId),
                  R"j({"comment":"ship it"})j");
    QCOMPARE(approved.status, 200);
    QVERIFY(approved.json()["status"] == "approved");
    QTRY_VERIFY_WITH_TIMEOUT(
        request("GET", QStringLiteral("/api/v1/runs/") + runId).json()["status"] == "succeeded",
        10000);
    const Json run = request("GET", QStringLiteral("/api/v1/runs/") + runId).json();
    // The step sees who decided: the agent whose token approved.
    QVERIFY(!approved.json()["decided_by"].get<std::string>().empty());
    QVERIFY(run["steps"][1]["output"]["by"] == approved.json()["decided_by"]);
    const Reply twice
        = request("POST", QStringLiteral("/api/v1/approvals/%1/reject").arg(approvalId));
    QCOMPARE(twice.status, 409);
    QCOMPARE(twice.contentType, QByteArray("application/problem+json"));
}

void tst_ServerEndToEnd::cancelAndRetryOverHttp()
{
    const Reply created
        = request("POST", QStringLiteral("/api/v1/tasks"),
                  R"j({"title":"pausing","schedule_kind":"manual","payload":{"pipeline":[
             {"id":"first","uses":"debug.echo","with":{"n":"${run.attempt}"}},
             {"id":"later","uses":"time.wait","with":{"hours":2}},
             {"id":"then","uses":"debug.echo","with":{"n":"${steps.first.n}"}}]}})j");
    QCOMPARE(created.status, 201);
    const QString taskId = QString::fromStdString(created.json()["id"].get<std::string>());
    const Reply started = request("POST", QStringLiteral("/api/v1/tasks/%1/run-now").arg(taskId));
    QVERIFY2(started.status == 201 || started.status == 202, started.body.constData());
    const QString runId = QString::fromStdString(started.json()["id"].get<std::string>());
    QTRY_VERIFY_WITH_TIMEOUT(
        request("GET", QStringLiteral("/api/v1/runs/") + runId).json()["status"] == "waiting",
        10000);

    // A paused run is canceled outright: 200 with its final status.
    QCOMPARE(
        request("POST", QStringLiteral("/api/v1/runs/%1/cancel").arg(runId), R"j({"why":"no"})j")
            .status,
        422);
    const Reply canceled = request("POST", QStringLiteral("/api/v1/runs/%1/cancel").arg(runId));
    QCOMPARE(canceled.status, 200);
    QVERIFY(canceled.json()["status"] == "canceled");
    const Reply again = request("POST", QStringLiteral("/api/v1/runs/%1/cancel").arg(runId));
    QCOMPARE(again.status, 409);
    QCOMPARE(again.contentType, QByteArray("application/problem+json"));
    QCOMPARE(request("POST", QStringLiteral("/api/v1/runs/nope/cancel")).status, 404);

    // Retries: an unknown step or one after a step that never completed is refused; the whole
    // run is queued again as the next attempt of the occurrence.
    const Reply unknown = request("POST", QStringLiteral("/api/v1/runs/%1/retry").arg(runId),
                                  R"j({"from_step":"nope"})j");
    QCOMPARE(unknown.status, 422);
    QVERIFY2(unknown.json()["errors"][0]["field"] == "from_step", unknown.body.constData());
    QCOMPARE(unknown.contentType, QByteArray("application/problem+json"));
    QCOMPARE(
        request("POST", QStringLiteral("/api/v1/runs/%1/retry").arg(runId), R"j({"from_step":3})j")
            .status,
        422);
    const Reply retried = request("POST", QStringLiteral("/api/v1/runs/%1/retry").arg(runId),
                                  R"j({"from_step":"then"})j");
    QCOMPARE(retried.status, 422); // "later" before it never completed
    QVERIFY2(retried.body.contains("did not complete"), retried.body.constData());
    const Reply fromFirst = request("POST", QStringLiteral("/api/v1/runs/%1/retry").arg(runId));
    QCOMPARE(fromFirst.status, 201);
    QVERIFY(fromFirst.json()["attempt"] == 2);
    QVERIFY(fromFirst.json()["trigger"] == "retry");
    const QString secondId = QString::fromStdString(fromFirst.json()["id"].get<std::string>());
    QTRY_VERIFY_WITH_TIMEOUT(
        request("GET", QStringLiteral("/api/v1/runs/") + secondId).json()["status"] == "waiting",
        10000);
    QCOMPARE(request("POST", QStringLiteral("/api/v1/runs/%1/cancel").arg(secondId)).status, 200);
}

void tst_ServerEndToEnd::secretsAreWriteOnly()
{
    const Reply set = request("PUT", QStringLiteral("/api/v1/secrets/llm.ollama.api_key"),
                              R"j({"value":"sk-very-secret-123"})j");
    QCOMPARE(set.status, 200);
    const Reply status = request("GET", QStringLiteral("/api/v1/secrets"));
    QCOMPARE(status.status, 200);
    QVERIFY(status.json()["llm.ollama.api_key"] == true);
    QVERIFY(status.json()["email.smtp.password"] == false);
    QVERIFY(!status.body.contains("sk-very-secret-123"));
    const Reply badName
        = request("PUT", QStringLiteral("/api/v1/secrets/database.password"), R"j({"value":"x"})j");
    QCOMPARE(badName.status, 422);
    QVERIFY(badName.json()["detail"].get<std::string>().find("email.smtp.password")
            != std::string::npos);
    QCOMPARE(
        request("PUT", QStringLiteral("/api/v1/secrets/email.smtp.password"), R"j({"value":""})j")
            .status,
        422);
}

void tst_ServerEndToEnd::detailedHealthShowsWorkersAndQueue()
{
    QCOMPARE(request("GET", QStringLiteral("/health/detailed"), {}, {}, false).status, 401);
    const Reply reply = request("GET", QStringLiteral("/health/detailed"));
    QCOMPARE(reply.status, 200);
    const Json health = reply.json();
    QVERIFY(health["running"] == true);
    for (const char *field : {"pending", "ready", "leased", "expired_leases"})
        QVERIFY2(health["queue"][field].is_number_integer(), field);
    QVERIFY(health["queue"].contains("oldest_due"));
    QVERIFY(health["queue"].contains("next_lease_expiry"));
    QVERIFY(health["workers"].is_array() && !health["workers"].empty());
    QVERIFY(health["workers"][0]["pid"].get<qint64>() > 0);
}

void tst_ServerEndToEnd::previewMatchesBetweenApiAndCli()
{
    const QByteArray body
        = R"({"schedule_kind":"rrule","schedule_expr":"FREQ=DAILY","dtstart":"2026-03-07T02:30:00",
        "timezone":"America/New_York","count":5,"after":"2026-03-01T00:00:00Z"})";
    const Reply api = request("POST", QStringLiteral("/api/v1/schedules/preview"), body);
    QCOMPARE(api.status, 200);
    QVERIFY(api.json()["occurrences"][1] == "2026-03-08T03:30:00-04:00");

    QProcess cli;
    cli.start(QStringLiteral(ORDINAUT_SERVER_PATH),
              {QStringLiteral("preview"), QStringLiteral("--kind"), QStringLiteral("rrule"),
               QStringLiteral("--expr"), QStringLiteral("FREQ=DAILY"), QStringLiteral("--dtstart"),
               QStringLiteral("2026-03-07T02:30:00"), QStringLiteral("--tz"),
               QStringLiteral("America/New_York"), QStringLiteral("--count"), QStringLiteral("5"),
               QStringLiteral("--after"), QStringLiteral("2026-03-01T00:00:00Z")});
    QVERIFY(cli.waitForFinished(30000));
    QCOMPARE(cli.exitCode(), 0);
    QVERIFY(Json::parse(cli.readAllStandardOutput().toStdString()) == api.json());

    QProcess bad;
    bad.start(QStringLiteral(ORDINAUT_SERVER_PATH),
              {QStringLiteral("preview"), QStringLiteral("--kind"), QStringLiteral("rrule"),
               QStringLiteral("--expr"), QStringLiteral("FREQ=DAILY"), QStringLiteral("--tz"),
               QStringLiteral("Mars/Base")});
    QVERIFY(bad.waitForFinished(30000));
    QCOMPARE(bad.exitCode(), 2);
    QVERIFY(bad.readAllStandardError().contains("--tz: 'Mars/Base' is not an IANA time zone"));
    QVERIFY(bad.readAllStandardOutput().isEmpty());

    const Reply invalid
        = request("POST", QStringLiteral("/api/v1/schedules/preview"),
                  R"({"schedule_kind":"rrule","schedule_expr":"FREQ=DAILY","count":0})");
    QCOMPARE(invalid.status, 422);
    QCOMPARE(invalid.contentType, QByteArray("application/problem+json"));

    // Tasks carry a description of their schedule.
    const Reply created = request(
        "POST", QStringLiteral("/api/v1/tasks"),
        R"({"title":"d","schedule_kind":"rrule","schedule_expr":"FREQ=DAILY","timezone":"Europe/Berlin",
            "dtstart":"2026-01-01T09:00:00","payload":{"pipeline":[]}})");
    QCOMPARE(created.status, 201);
    QVERIFY(created.json()["schedule_description"].get<std::string>().find("Europe/Berlin")
            != std::string::npos);

    // Calendar views: the occurrences in a window, as local times.
    const QString occurrences = QStringLiteral("/api/v1/tasks/")
                                + QString::fromStdString(created.json()["id"])
                                + QStringLiteral("/occurrences");
    const Reply window = request(
        "GET", occurrences + QStringLiteral("?from=2026-01-01T00:00:00Z&to=2026-01-04T00:00:00Z"));
    QCOMPARE(window.status, 200);
    QVERIFY(
        window.json()["occurrences"]
        == Json::parse(
            R"(["2026-01-01T09:00:00+01:00","2026-01-02T09:00:00+01:00","2026-01-03T09:00:00+01:00"])"));
    QCOMPARE(
        request("GET",
                occurrences + QStringLiteral("?from=2026-01-04T00:00:00Z&to=2026-01-01T00:00:00Z"))
            .status,
        422);
    QCOMPARE(request("GET", occurrences + QStringLiteral("?from=yesterday&to=2026-01-01T00:00:00Z"))
                 .status,
             422);
}

void tst_ServerEndToEnd::businessCalendarsOverHttpAndCli()
{
    const QByteArray ics = ordinaut::test::testData("us-holidays.ics");
    const QString path = QStringLiteral("/api/v1/calendars/us-holidays");

    const Reply created = request("PUT", path, ics, "text/calendar");
    QCOMPARE(created.status, 201);
    QVERIFY(created.json()["day_count"] == 231);
    QCOMPARE(request("PUT", path, ics, "text/calendar").status, 200); // replaced
    const Reply wrongType = request("PUT", path, ics, "application/xml");
    QCOMPARE(wrongType.status, 415);
    const Reply broken = request("PUT", QStringLiteral("/api/v1/calendars/broken"),
                                 R"({"ics":"BEGIN:VCALENDAR\nEND:VCALENDAR\n"})");
    QCOMPARE(broken.status, 422);
    QCOMPARE(broken.contentType, QByteArray("application/problem+json"));
    QCOMPARE(request("GET", QStringLiteral("/api/v1/calendars/broken")).status, 404);
    const Json list = request("GET", QStringLiteral("/api/v1/calendars")).json();
    QVERIFY(list["total"] == 1);
    QVERIFY(list["items"][0]["name"] == "us-holidays");
    const Json detail = request("GET", path).json();
    QCOMPARE(int(detail["days"].size()), 231);
    QCOMPARE(request("GET", path + QStringLiteral("/ics")).body, ics);

    // The preview shows what the calendar skips; the CLI reads the same file and agrees.
    const QByteArray body
        = R"({"schedule_kind":"rrule","schedule_expr":"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0",
        "dtstart":"2026-11-02T09:00:00","timezone":"America/New_York","calendar":"us-holidays",
        "count":5,"after":"2026-12-21T00:00:00Z"})";
    const Reply api = request("POST", QStringLiteral("/api/v1/schedules/preview"), body);
    QCOMPARE(api.status, 200);
    QVERIFY(api.json()["skipped"][0]["at"] == "2026-12-25T09:00:00-05:00");
    QVERIFY(api.json()["skipped"][0]["reason"] == "Christmas Day");
    QProcess cli;
    cli.start(QStringLiteral(ORDINAUT_SERVER_PATH),
              {QStringLiteral("preview"), QStringLiteral("--kind"), QStringLiteral("rrule"),
               QStringLiteral("--expr"),
               QStringLiteral("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0"),
               QStringLiteral("--dtstart"), QStringLiteral("2026-11-02T09:00:00"),
               QStringLiteral("--tz"), QStringLiteral("America/New_York"),
               QStringLiteral("--count"), QStringLiteral("5"), QStringLiteral("--after"),
               QStringLiteral("2026-12-21T00:00:00Z"), QStringLiteral("--calendar"),
               ordinaut::test::testDataPath("us-holidays.ics")});
    QVERIFY(cli.waitForFinished(30000));
    QCOMPARE(cli.exitCode(), 0);
    QVERIFY(Json::parse(cli.readAllStandardOutput().toStdString()) == api.json());

    // A task naming the calendar; the calendar cannot go while the task uses it.
    const Reply task = request(
        "POST", QStringLiteral("/api/v1/tasks"),
        R"({"title":"c","schedule_kind":"cron","schedule_expr":"0 9 * * *","timezone":"America/New_York",
            "calendar":"us-holidays","payload":{"pipeline":[]}})");
    QCOMPARE(task.status, 201);
    QVERIFY(task.json()["calendar"] == "us-holidays");
    const Reply window = request(
        "GET",
        QStringLiteral("/api/v1/tasks/") + QString::fromStdString(task.json()["id"])
            + QStringLiteral("/occurrences?from=2026-12-24T00:00:00Z&to=2026-12-27T00:00:00Z"));
    QVERIFY(window.json()["occurrences"]
            == Json::array({"2026-12-24T09:00:00-05:00", "2026-12-26T09:00:00-05:00"}));
    QVERIFY(window.json()["skipped"][0]["reason"] == "Christmas Day");
    QCOMPARE(request("DELETE", path).status, 409);
    QCOMPARE(request("DELETE",
                     QStringLiteral("/api/v1/tasks/") + QString::fromStdString(task.json()["id"]))
                 .status,
             204);
    QCOMPARE(request("DELETE", path).status, 204);

    // The run_all cap is a setting.
    QVERIFY(request("GET", QStringLiteral("/api/v1/settings")).json()["scheduler.run_all_cap"]
            == 10);
    const Reply badSetting
        = request("PATCH", QStringLiteral("/api/v1/settings"), R"({"scheduler.run_all_cap":-1})");
    QCOMPARE(badSetting.status, 422);
    QVERIFY(badSetting.json()["errors"][0]["field"] == "scheduler.run_all_cap");
    const Reply setting
        = request("PATCH", QStringLiteral("/api/v1/settings"), R"({"scheduler.run_all_cap":4})");
    QCOMPARE(setting.status, 200);
    QVERIFY(setting.json()["scheduler.run_all_cap"] == 4);
}

void tst_ServerEndToEnd::runCommandRunsAPipelineOnce()
{
    auto runFile = [&](const QByteArray &document, int *exitCode, QByteArray *errors) {
        QTemporaryFile file(QDir::tempPath() + QStringLiteral("/pipeline-XXXXXX.json"));
        file.open();
        file.write(document);
        file.close();
        QProcess cli;
        // Wait with the event loop running: the pipeline calls m_peer, which lives on this thread.
        QEventLoop loop;
        connect(&cli, &QProcess::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(30000, &loop, &QEventLoop::quit);
        cli.start(QStringLiteral(ORDINAUT_SERVER_PATH), {QStringLiteral("run"), file.fileName()});
        loop.exec();
        *exitCode = cli.exitCode();
        *errors = cli.readAllStandardError();
        return Json::parse(cli.readAllStandardOutput().toStdString(), nullptr, false);
    };
    int code = -1;
    QByteArray errors;
    // Calls the peer over real HTTP, then shapes its answer with expressions.
    const QByteArray good = QByteArrayLiteral(R"({"params":{"url":"http://127.0.0.1:)")
                            + QByteArray::number(m_peerPort) + R"(/metrics"},"pipeline":[
        {"id":"fetch","uses":"http.request","with":{"url":"${params.url}"}},
        {"id":"check","uses":"debug.echo","if":"steps.fetch.status == 200",
         "with":{"value":"${steps.fetch.body.value}","label":"${steps.fetch.body.value > 40 ? 'high' : 'low'}"}},
        {"id":"never","uses":"debug.echo","if":"${false}","with":{}}]})";
    const Json run = runFile(good, &code, &errors);
    QCOMPARE(code, 0);
    QVERIFY2(run["status"] == "succeeded", run.dump().c_str());
    QCOMPARE(int(run["steps"].size()), 3);
    QVERIFY(run["steps"][0]["id"] == "fetch");
    QVERIFY(run["steps"][1]["output"] == (Json{{"value", 42}, {"label", "high"}}));
    QVERIFY(run["steps"][2]["status"] == "skipped");

    const Json failed
        = runFile(R"({"pipeline":[{"id":"a","uses":"debug.echo","with":{"x":"${steps.a.y}"}}]})",
                  &code, &errors);
    QVERIFY(failed.is_discarded() || code == 2); // refused when saved: a step cannot use itself
    const Json failing = runFile(
        R"({"pipeline":[{"id":"a","uses":"debug.echo","with":{"x":"${fromJson('nope')}"}}]})",
        &code, &errors);
    QCOMPARE(code, 1);
    QVERIFY(failing["status"] == "failed");
    QVERIFY(failing["steps"][0]["error"].get<std::string>().find("fromJson(): not valid JSON")
            != std::string::npos);

    runFile(R"({"pipeline":[{"id":"a","uses":"nope"}]})", &code, &errors);
    QCOMPARE(code, 2);
    QVERIFY2(errors.contains("payload.pipeline[0].uses: unknown tool 'nope'"), errors.constData());

    // A short wait frees the worker and resumes on time: the scheduler arms for the paused
    // run at once instead of at its next minute wake-up.
    QElapsedTimer timer;
    timer.start();
    const Json waited = runFile(R"j({"pipeline":[
        {"id":"a","uses":"debug.echo","with":{"n":1}},
        {"id":"nap","uses":"time.wait","with":{"seconds":0.5}},
        {"id":"b","uses":"debug.echo","with":{"n":"${steps.a.n}"}}]})j",
                                &code, &errors);
    QCOMPARE(code, 0);
    QVERIFY2(waited["status"] == "succeeded", waited.dump().c_str());
    QVERIFY(waited["steps"][1]["output"]["waited_ms"].get<int>() >= 500);
    QVERIFY(waited["steps"][2]["output"] == (Json{{"n", 1}}));
    QVERIFY2(timer.elapsed() < 10000, "resumed long after its time");
}

void tst_ServerEndToEnd::serverStopsCleanlyOnSigterm()
{
    m_server.terminate();
    QVERIFY(m_server.waitForFinished(15000));
    QCOMPARE(m_server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_server.exitCode(), 0);
}

QTEST_GUILESS_MAIN(tst_ServerEndToEnd)
#include "tst_ServerEndToEnd.moc"
