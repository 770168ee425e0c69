// Request ids and structured logs: X-Request-Id taken when valid and made otherwise, on every
// answer; recorded on the runs an API call queues (run-now, retry, and the automatic retry of
// such a run); the JSON-lines log file in the data folder with one access line per request and
// the worker's line for the run, both naming the request; Qt's messages routed into the log;
// size rotation; and `ordinaut-server serve --log-format json` end to end.
#include "support/ApiHarness.h"
#include "support/EngineHarness.h"
#include "support/TempDataDir.h"

#include "api/Authenticator.h"
#include "api/HttpApi.h"
#include "core/Log.h"
#include "service/Services.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kSigningKey(32, 'k');

QByteArray headerOf(const HttpResponse &response, const QByteArray &name)
{
    for (const auto &[key, value] : response.headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return QByteArray();
}

QString text(const Json &object, const char *name)
{
    if (!object.is_object() || !object.contains(name) || !object[name].is_string())
        return QString();
    return qs(object[name].get<std::string>());
}

// Every line of the log file as JSON; `error` names the first line that is not a JSON object.
struct LogLines
{
    std::vector<Json> lines;
    QString error;
};

LogLines readJsonLines(const QString &file)
{
    LogLines read;
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        read.error = QStringLiteral("cannot open %1").arg(file);
        return read;
    }
    for (const QByteArray &line : in.readAll().split('\n')) {
        if (line.isEmpty())
            continue;
        std::optional<Json> json = parseJson(line);
        if (!json || !json->is_object()) {
            read.error = QStringLiteral("not a JSON object: ") + QString::fromUtf8(line);
            return read;
        }
        read.lines.push_back(std::move(*json));
    }
    return read;
}

} // namespace

class tst_Logging final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void levelsAndFormatsParse_data();
    void levelsAndFormatsParse();
    void validRequestIdIsEchoed();
    void missingRequestIdIsGenerated();
    void invalidRequestIdIsReplaced_data();
    void invalidRequestIdIsReplaced();
    void everyAnswerCarriesTheRequestId_data();
    void everyAnswerCarriesTheRequestId();
    void runsQueuedByARequestRecordItsId();
    void jsonLogFileHasTheAccessLineAndTheRunsLine();
    void qtMessagesGoToTheLogWithTheirContext();
    void textLinesCarryTheContextAsFields();
    void logFileRotatesBySize();
    void serveRefusesAnUnknownLogFormatOrLevel();
    void serveWritesJsonLinesToTheDataFolder();

private:
    HttpResponse send(const QByteArray &method, const QString &path,
                      const QByteArray &requestId = QByteArray(),
                      const QByteArray &body = QByteArray()) const;

    std::unique_ptr<test::EngineHarness> m_h;
    std::unique_ptr<HttpApi> m_api;
    std::unique_ptr<test::TempDataDir> m_logDir;
    QString m_token; // runs:read, runs:write, tasks:read, agents:admin
};

void tst_Logging::init()
{
    m_h = std::make_unique<test::EngineHarness>(1);
    m_api = std::make_unique<HttpApi>(m_h->engine(), m_h->services(), kSigningKey);
    m_logDir = std::make_unique<test::TempDataDir>();
    Result<Agent> agent = m_h->services().agents.create(
        QStringLiteral("logger"),
        {QStringLiteral("runs:read"), QStringLiteral("runs:write"), QStringLiteral("tasks:read"),
         QStringLiteral("agents:admin")},
        QStringLiteral("test"));
    QVERIFY2(agent, qPrintable(agent ? QString() : agent.error().describe()));
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*agent);
    QVERIFY(tokens);
    m_token = tokens->accessToken;
}

void tst_Logging::cleanup()
{
    Log::shutDown();
    m_api.reset();
    m_h.reset();
    m_logDir.reset();
}

HttpResponse tst_Logging::send(const QByteArray &method, const QString &path,
                               const QByteArray &requestId, const QByteArray &body) const
{
    HttpRequest request = test::apiRequest(method, path, "Bearer " + m_token.toLatin1(),
                                           body.isEmpty() ? QByteArray() : body);
    if (!requestId.isNull())
        request.headers.insert("x-request-id", requestId);
    return m_api->handle(request);
}

void tst_Logging::levelsAndFormatsParse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("level"); // -1: refused
    QTest::newRow("trace") << QStringLiteral("trace") << int(LogLevel::Trace);
    QTest::newRow("debug") << QStringLiteral("debug") << int(LogLevel::Debug);
    QTest::newRow("info, any case") << QStringLiteral("INFO") << int(LogLevel::Info);
    QTest::newRow("warn") << QStringLiteral("warn") << int(LogLevel::Warn);
    QTest::newRow("warning") << QStringLiteral("warning") << int(LogLevel::Warn);
    QTest::newRow("error") << QStringLiteral("error") << int(LogLevel::Error);
    QTest::newRow("critical") << QStringLiteral("critical") << int(LogLevel::Critical);
    QTest::newRow("off") << QStringLiteral("off") << int(LogLevel::Off);
    QTest::newRow("unknown") << QStringLiteral("loud") << -1;
    QTest::newRow("empty") << QString() << -1;
}

void tst_Logging::levelsAndFormatsParse()
{
    QFETCH(QString, text);
    QFETCH(int, level);
    const std::optional<LogLevel> parsed = Log::parseLevel(text);
    QCOMPARE(parsed ? int(*parsed) : -1, level);
    QVERIFY(Log::parseFormat(QStringLiteral("json")) == LogFormat::Json);
    QVERIFY(Log::parseFormat(QStringLiteral("text")) == LogFormat::Text);
    QVERIFY(!Log::parseFormat(QStringLiteral("yaml")));
}

void tst_Logging::validRequestIdIsEchoed()
{
    const QByteArray id = "trace-01.ab_cd:EF-9";
    const HttpResponse response = send("GET", QStringLiteral("/health"), id);
    QCOMPARE(response.status, 200);
    QCOMPARE(headerOf(response, "X-Request-Id"), id);
    const QByteArray longest(128, 'a');
    QCOMPARE(headerOf(send("GET", QStringLiteral("/health"), longest), "X-Request-Id"), longest);
}

void tst_Logging::missingRequestIdIsGenerated()
{
    const QByteArray first = headerOf(send("GET", QStringLiteral("/health")), "X-Request-Id");
    const QByteArray second = headerOf(send("GET", QStringLiteral("/health")), "X-Request-Id");
    QVERIFY(HttpApi::isValidRequestId(first));
    QVERIFY(HttpApi::isValidRequestId(second));
    QVERIFY(first != second);
}

void tst_Logging::invalidRequestIdIsReplaced_data()
{
    QTest::addColumn<QByteArray>("given");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("129 characters") << QByteArray(129, 'a');
    QTest::newRow("space") << QByteArray("two words");
    QTest::newRow("header injection") << QByteArray("id\r\nSet-Cookie: x=1");
    QTest::newRow("slash") << QByteArray("a/b");
    QTest::newRow("non-ASCII") << QByteArray("caf\xc3\xa9");
    QTest::newRow("quote") << QByteArray("a\"b");
}

void tst_Logging::invalidRequestIdIsReplaced()
{
    QFETCH(QByteArray, given);
    const QByteArray answered
        = headerOf(send("GET", QStringLiteral("/health"), given), "X-Request-Id");
    QVERIFY(!answered.isEmpty());
    QVERIFY(answered != given);
    QVERIFY(HttpApi::isValidRequestId(answered));
    QVERIFY(!HttpApi::isValidRequestId(given));
}

void tst_Logging::everyAnswerCarriesTheRequestId_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("withToken");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::newRow("200") << QByteArray("GET") << QStringLiteral("/health") << true << QByteArray()
                         << 200;
    QTest::newRow("404 unknown path")
        << QByteArray("GET") << QStringLiteral("/nowhere") << true << QByteArray() << 404;
    QTest::newRow("404 unknown run")
        << QByteArray("GET") << QStringLiteral("/api/v1/runs/none") << true << QByteArray() << 404;
    QTest::newRow("405") << QByteArray("DELETE") << QStringLiteral("/health") << true
                         << QByteArray() << 405;
    QTest::newRow("401") << QByteArray("GET") << QStringLiteral("/api/v1/runs") << false
                         << QByteArray() << 401;
    QTest::newRow("413") << QByteArray("POST") << QStringLiteral("/api/v1/tasks") << true
                         << QByteArray(int(HttpApi::kMaxBodyBytes) + 1, ' ') << 413;
}

void tst_Logging::everyAnswerCarriesTheRequestId()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(bool, withToken);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.peer = QStringLiteral("127.0.0.1");
    if (withToken)
        request.headers.insert("authorization", QByteArray("Bearer ") + m_token.toLatin1());
    request.headers.insert("x-request-id", "every-answer-1");
    if (!body.isEmpty())
        request.headers.insert("content-type", "application/json");
    request.body = body;
    const HttpResponse response = m_api->handle(request);
    QCOMPARE(response.status, status);
    QCOMPARE(headerOf(response, "X-Request-Id"), QByteArray("every-answer-1"));
}

void tst_Logging::runsQueuedByARequestRecordItsId()
{
    const QString echo
        = m_h->createTask(Json::parse(R"([{"id":"e","uses":"debug.echo","with":{"x":1}}])"));
    HttpResponse queued
        = send("POST", QStringLiteral("/api/v1/tasks/%1/run-now").arg(echo), "run-now-req-1");
    QVERIFY2(queued.status == 202, queued.body.constData());
    const Json body = parseJson(queued.body).value_or(Json());
    QCOMPARE(text(body, "request_id"), QStringLiteral("run-now-req-1"));
    const QString runId = text(body, "id");
    QVERIFY(m_h->waitFinished(runId).status == RunStatus::Succeeded);
    const HttpResponse got = send("GET", QStringLiteral("/api/v1/runs/") + runId);
    QCOMPARE(got.status, 200);
    QCOMPARE(text(parseJson(got.body).value_or(Json()), "request_id"),
             QStringLiteral("run-now-req-1"));

    // Not queued by a request: no id.
    const Run direct = m_h->runAndSettle(echo);
    QVERIFY(direct.requestId.isEmpty());
    QVERIFY2(direct.toJson(false)["request_id"].is_null(), "request_id should be null");

    // A retry through the API records the retry's request; the run it retries keeps its own.
    const HttpResponse retried
        = send("POST", QStringLiteral("/api/v1/runs/%1/retry").arg(runId), "retry-req-2", "{}");
    QVERIFY2(retried.status == 201, retried.body.constData());
    QCOMPARE(text(parseJson(retried.body).value_or(Json()), "request_id"),
             QStringLiteral("retry-req-2"));
    QCOMPARE(m_h->services().runs.get(runId, false)->requestId, QStringLiteral("run-now-req-1"));

    // The automatic retry of a failed run keeps the request that queued the first attempt.
    Result<Task> failing = m_h->services().tasks.create(
        Json::parse(R"j({"title":"boom","schedule_kind":"manual","max_retries":1,
            "retry_base_ms":60000,"backoff_strategy":"fixed",
            "payload":{"pipeline":[{"id":"b","uses":"debug.echo",
            "with":{"x":"${fromJson('nope')}"}}]}})j"),
        QStringLiteral("test"));
    QVERIFY2(failing, qPrintable(failing ? QString() : failing.error().describe()));
    queued = send("POST", QStringLiteral("/api/v1/tasks/%1/run-now").arg(failing->id),
                  "auto-retry-req-3");
    QVERIFY2(queued.status == 202, queued.body.constData());
    QVERIFY(m_h->waitFinished(text(parseJson(queued.body).value_or(Json()), "id")).status
            == RunStatus::Failed);
    QTRY_VERIFY_WITH_TIMEOUT(
        m_h->services().runs.list(RunFilter{failing->id, std::nullopt, 10, 0})->total == 2, 5000);
    const std::vector<Run> attempts
        = m_h->services().runs.list(RunFilter{failing->id, std::nullopt, 10, 0})->items;
    for (const Run &attempt : attempts)
        QCOMPARE(attempt.requestId, QStringLiteral("auto-retry-req-3"));
}

void tst_Logging::jsonLogFileHasTheAccessLineAndTheRunsLine()
{
    LogOptions options;
    options.directory = m_logDir->path();
    options.format = LogFormat::Json;
    options.level = LogLevel::Debug;
    options.console = false;
    QVERIFY(Log::setUp(options));
    const QString echo
        = m_h->createTask(Json::parse(R"([{"id":"e","uses":"debug.echo","with":{"x":1}}])"));
    const HttpResponse queued
        = send("POST", QStringLiteral("/api/v1/tasks/%1/run-now").arg(echo), "json-line-req");
    QVERIFY2(queued.status == 202, queued.body.constData());
    const QString runId = text(parseJson(queued.body).value_or(Json()), "id");
    QVERIFY(m_h->waitFinished(runId).status == RunStatus::Succeeded);
    Log::flush();

    const LogLines read
        = readJsonLines(QDir(m_logDir->path()).filePath(QLatin1String(Log::kFileName)));
    QVERIFY2(read.error.isEmpty(), qPrintable(read.error));
    const Json *access = nullptr;
    const Json *worker = nullptr;
    for (const Json &line : read.lines) {
        QVERIFY2(line.contains("ts") && line.contains("level") && line.contains("logger")
                     && line.contains("msg"),
                 line.dump().c_str());
        if (text(line, "request_id") != QLatin1String("json-line-req"))
            continue;
        if (text(line, "logger") == QLatin1String("http"))
            access = &line;
        if (text(line, "logger") == QLatin1String("worker") && text(line, "run_id") == runId)
            worker = &line;
    }
    QVERIFY2(access, "no access line with the request id");
    QCOMPARE(text(*access, "method"), QStringLiteral("POST"));
    QCOMPARE(text(*access, "route"), QStringLiteral("/api/v1/tasks/{id}/run-now"));
    QVERIFY2(access->value("status", 0) == 202, access->dump().c_str());
    QVERIFY2((*access)["duration_ms"].is_number(), access->dump().c_str());
    QVERIFY(!text(*access, "agent").isEmpty());
    QVERIFY(
        QRegularExpression(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"))
            .match(text(*access, "ts"))
            .hasMatch());
    QVERIFY2(worker, "no worker line for the run with the request id");
    QCOMPARE(text(*worker, "task_id"), echo);
    QCOMPARE(text(*worker, "level"), QStringLiteral("debug"));
}

void tst_Logging::qtMessagesGoToTheLogWithTheirContext()
{
    LogOptions options;
    options.directory = m_logDir->path();
    options.format = LogFormat::Json;
    options.level = LogLevel::Info;
    options.console = false;
    QVERIFY(Log::setUp(options));
    {
        const LogContext context(
            {QStringLiteral("qt-req"), QStringLiteral("run-7"), QStringLiteral("task-9")});
        qWarning("something %s", "odd");
        qDebug("below the level");
    }
    qInfo("outside any context");
    Log::flush();
    const LogLines read
        = readJsonLines(QDir(m_logDir->path()).filePath(QLatin1String(Log::kFileName)));
    QVERIFY2(read.error.isEmpty(), qPrintable(read.error));
    // Found by message: the running engine may log lines of its own meanwhile.
    auto find = [&](const char *message) -> const Json * {
        for (const Json &line : read.lines)
            if (text(line, "msg") == QLatin1String(message))
                return &line;
        return nullptr;
    };
    const Json *warning = find("something odd");
    QVERIFY2(warning, "the qWarning is not in the log");
    QCOMPARE(text(*warning, "level"), QStringLiteral("warn"));
    QCOMPARE(text(*warning, "logger"), QStringLiteral("ordinaut"));
    QCOMPARE(text(*warning, "request_id"), QStringLiteral("qt-req"));
    QCOMPARE(text(*warning, "run_id"), QStringLiteral("run-7"));
    QCOMPARE(text(*warning, "task_id"), QStringLiteral("task-9"));
    QVERIFY2(!find("below the level"), "a debug line was written at level info");
    const Json *info = find("outside any context");
    QVERIFY2(info, "the qInfo is not in the log");
    QVERIFY(!info->contains("request_id"));
}

void tst_Logging::textLinesCarryTheContextAsFields()
{
    LogOptions options;
    options.directory = m_logDir->path();
    options.console = false;
    QVERIFY(Log::setUp(options));
    {
        const LogContext context({QStringLiteral("text-req"), {}, {}});
        Log::write(LogLevel::Info, "test", QStringLiteral("hello"), Json{{"status", 201}});
    }
    Log::flush();
    QFile file(QDir(m_logDir->path()).filePath(QLatin1String(Log::kFileName)));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString line = QString::fromUtf8(file.readAll()).trimmed();
    QVERIFY2(QRegularExpression(
                 QStringLiteral("^\\S+Z info \\[test\\] hello request_id=text-req status=201$"))
                 .match(line)
                 .hasMatch(),
             qPrintable(line));
}

void tst_Logging::logFileRotatesBySize()
{
    LogOptions options;
    options.directory = m_logDir->path();
    options.console = false;
    options.maxFileBytes = 4096;
    options.maxFiles = 2;
    QVERIFY(Log::setUp(options));
    for (int i = 0; i < 400; ++i)
        Log::write(LogLevel::Info, "test", QStringLiteral("line %1 ").arg(i) + QString(80, u'x'));
    Log::flush();
    const QDir dir(m_logDir->path());
    QVERIFY(dir.exists(QStringLiteral("ordinaut.log")));
    QVERIFY(dir.exists(QStringLiteral("ordinaut.1.log")));
    QVERIFY(dir.exists(QStringLiteral("ordinaut.2.log")));
    QVERIFY(!dir.exists(QStringLiteral("ordinaut.3.log")));
    for (const QString &name : dir.entryList({QStringLiteral("ordinaut*.log")}))
        QVERIFY2(QFileInfo(dir.filePath(name)).size() <= 4096, qPrintable(name));
    // The newest lines are in the current file.
    QFile current(dir.filePath(QStringLiteral("ordinaut.log")));
    QVERIFY(current.open(QIODevice::ReadOnly));
    QVERIFY(current.readAll().contains("line 399 "));
}

void tst_Logging::serveRefusesAnUnknownLogFormatOrLevel()
{
    for (const QStringList &bad :
         {QStringList{QStringLiteral("--log-format"), QStringLiteral("yaml")},
          QStringList{QStringLiteral("--log-level"), QStringLiteral("loud")}}) {
        QProcess server;
        server.start(QStringLiteral(ORDINAUT_SERVER_PATH),
                     QStringList{QStringLiteral("serve"), QStringLiteral("--data-dir"),
                                 m_logDir->path(), QStringLiteral("--listen"),
                                 QStringLiteral("127.0.0.1:0")}
                         + bad);
        QVERIFY(server.waitForFinished(30000));
        QCOMPARE(server.exitCode(), 2);
        QVERIFY2(server.readAllStandardError().contains(bad[0].toUtf8()), qPrintable(bad[0]));
    }
}

void tst_Logging::serveWritesJsonLinesToTheDataFolder()
{
    QProcess server;
    server.setProcessChannelMode(QProcess::SeparateChannels);
    server.start(QStringLiteral(ORDINAUT_SERVER_PATH),
                 {QStringLiteral("serve"), QStringLiteral("--data-dir"), m_logDir->path(),
                  QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                  QStringLiteral("--log-format"), QStringLiteral("json")});
    QVERIFY(server.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(server.canReadLine(), 15000);
    const QString first = QString::fromUtf8(server.readLine()).trimmed();
    const QRegularExpressionMatch m
        = QRegularExpression(QStringLiteral("serving at (http://127\\.0\\.0\\.1:\\d+)$"))
              .match(first);
    QVERIFY2(m.hasMatch(), qPrintable(first));

    QNetworkAccessManager network;
    QNetworkRequest request(QUrl(m.captured(1) + QStringLiteral("/health")));
    request.setRawHeader("X-Request-Id", "served-req-42");
    QNetworkReply *reply = network.get(request);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    loop.exec();
    QVERIFY(reply->isFinished());
    QCOMPARE(reply->rawHeader("X-Request-Id"), QByteArray("served-req-42"));
    reply->deleteLater();

    server.terminate();
    QVERIFY(server.waitForFinished(15000));
    const LogLines read = readJsonLines(
        QDir(m_logDir->path()).filePath(QStringLiteral("logs/") + QLatin1String(Log::kFileName)));
    QVERIFY2(read.error.isEmpty(), qPrintable(read.error));
    bool found = false;
    for (const Json &line : read.lines)
        found = found
                || (text(line, "request_id") == QLatin1String("served-req-42")
                    && text(line, "route") == QLatin1String("/health"));
    QVERIFY2(found, "no access line for the request in <data dir>/logs/ordinaut.log");
    // The console got the same JSON lines.
    const QList<QByteArray> console = server.readAllStandardError().split('\n');
    QVERIFY(std::any_of(console.begin(), console.end(), [](const QByteArray &line) {
        return line.contains("\"request_id\":\"served-req-42\"");
    }));
}

QTEST_GUILESS_MAIN(tst_Logging)
#include "tst_Logging.moc"
