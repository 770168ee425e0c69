// tst_HttpRequestTool: http.request against a real HTTP server on loopback — JSON replies,
// the redirect limit, the response size limit, the deadline, and URLs it refuses.
#include "core/JsonSchema.h"
#include "tools/HttpRequestTool.h"

#include <QElapsedTimer>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonObject>
#include <QTcpServer>
#include <QTest>
#include <QThread>

#include <thread>

using namespace ordinaut;

class tst_HttpRequestTool final : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void jsonReplyIsParsed();
    void redirectsAreFollowedUpToTheLimit();
    void largeRepliesAreRefused();
    void silentPeerTimesOut();
    void cancellationAbortsTheRequest();
    void refusesWhatIsNotHttp();

private:
    Result<Json> call(const Json &with, int stepTimeoutMs = 10000,
                      const Cancellation *cancellation = nullptr);
    QString url(const QString &path) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(path);
    }

    // The tool waits in a nested event loop on this thread, which also serves these requests.
    QHttpServer m_server;
    quint16 m_port = 0;
};

Result<Json> tst_HttpRequestTool::call(const Json &with, int stepTimeoutMs,
                                       const Cancellation *cancellation)
{
    HttpRequestTool tool;
    const auto violations = JsonSchema::compile(tool.inputSchema())->validate(with);
    if (!violations.empty())
        return Error::invalid(violations.front().path, violations.front().message);
    ToolContext context;
    context.timeoutMs = stepTimeoutMs;
    context.cancellation = cancellation;
    Result<Json> out = tool.invoke(with, context);
    if (out && !JsonSchema::compile(tool.outputSchema())->validate(*out).empty())
        return Error::internal(QStringLiteral("output breaks the schema"));
    return out;
}

void tst_HttpRequestTool::initTestCase()
{
    m_server.route(QStringLiteral("/json"), [] {
        return QHttpServerResponse(QJsonObject{{QStringLiteral("temp"), -2.5}});
    });
    m_server.route(QStringLiteral("/hop/<arg>"), [this](int left) {
        if (left == 0)
            return QHttpServerResponse(QByteArrayLiteral("text/plain"),
                                       QByteArrayLiteral("arrived"));
        QHttpServerResponse response(QHttpServerResponse::StatusCode::Found);
        response.setHeader(QByteArrayLiteral("Location"),
                           url(QStringLiteral("/hop/%1").arg(left - 1)).toUtf8());
        return response;
    });
    m_server.route(QStringLiteral("/big"), [] {
        return QHttpServerResponse(QByteArrayLiteral("text/plain"), QByteArray(100000, 'x'));
    });
    m_port = m_server.listen(QHostAddress::LocalHost, 0);
    QVERIFY(m_port != 0);
}

void tst_HttpRequestTool::jsonReplyIsParsed()
{
    Result<Json> out = call(Json{{"url", url(QStringLiteral("/json")).toStdString()}});
    QVERIFY2(out, qPrintable(out ? QString() : out.error().describe()));
    QCOMPARE((*out)["status"].get<int>(), 200);
    QVERIFY((*out)["body"] == (Json{{"temp", -2.5}}));
}

void tst_HttpRequestTool::redirectsAreFollowedUpToTheLimit()
{
    Result<Json> followed
        = call(Json{{"url", url(QStringLiteral("/hop/3")).toStdString()}, {"max_redirects", 3}});
    QVERIFY2(followed, qPrintable(followed ? QString() : followed.error().describe()));
    QVERIFY((*followed)["body"] == "arrived");
    QCOMPARE(QString::fromStdString((*followed)["url"].get<std::string>()),
             url(QStringLiteral("/hop/0")));

    Result<Json> tooMany
        = call(Json{{"url", url(QStringLiteral("/hop/4")).toStdString()}, {"max_redirects", 3}});
    QVERIFY(!tooMany);
    QVERIFY(tooMany.error().message.contains(QLatin1String("redirected more than 3 times")));
}

void tst_HttpRequestTool::largeRepliesAreRefused()
{
    Result<Json> whole = call(Json{{"url", url(QStringLiteral("/big")).toStdString()}});
    QVERIFY(whole);
    QCOMPARE((*whole)["body"].get<std::string>().size(), size_t(100000));
    Result<Json> capped = call(
        Json{{"url", url(QStringLiteral("/big")).toStdString()}, {"max_response_bytes", 1000}});
    QVERIFY(!capped);
    QVERIFY(capped.error().code == ErrorCode::PayloadTooLarge);
    QVERIFY(capped.error().message.contains(QLatin1String("larger than 1000 bytes")));
}

void tst_HttpRequestTool::silentPeerTimesOut()
{
    // Accepts the connection and never answers.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    QElapsedTimer timer;
    timer.start();
    Result<Json> out = call(
        Json{{"url", QStringLiteral("http://127.0.0.1:%1/").arg(silent.serverPort()).toStdString()},
             {"timeout_seconds", 0.3}});
    QVERIFY(!out);
    QVERIFY(out.error().code == ErrorCode::Timeout);
    QVERIFY2(timer.elapsed() < 5000, "the deadline ended the wait");
    // The step's deadline bounds it as well.
    out = call(
        Json{
            {"url", QStringLiteral("http://127.0.0.1:%1/").arg(silent.serverPort()).toStdString()}},
        300);
    QVERIFY(!out);
    QVERIFY(out.error().code == ErrorCode::Timeout);
}

void tst_HttpRequestTool::refusesWhatIsNotHttp()
{
    Result<Json> file = call(Json{{"url", "file:///etc/passwd"}});
    QVERIFY(!file);
    QCOMPARE(file.error().describe(),
             QStringLiteral("with.url: 'file:///etc/passwd' is not an http(s) URL"));
    Result<Json> redirects = call(Json{{"url", "http://h"}, {"max_redirects", 50}});
    QVERIFY(!redirects);
    QCOMPARE(redirects.error().describe(), QStringLiteral("max_redirects: must be at most 20"));
}

void tst_HttpRequestTool::cancellationAbortsTheRequest()
{
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    Cancellation cancellation;
    std::thread canceler([&cancellation] {
        QThread::msleep(100);
        cancellation.cancel(Cancellation::Reason::Canceled, QStringLiteral("canceled by ada"));
    });
    QElapsedTimer timer;
    timer.start();
    Result<Json> out = call(
        Json{
            {"url", QStringLiteral("http://127.0.0.1:%1/").arg(silent.serverPort()).toStdString()}},
        60000, &cancellation);
    canceler.join();
    QVERIFY(!out);
    QVERIFY(out.error().code == ErrorCode::Canceled);
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
}

QTEST_GUILESS_MAIN(tst_HttpRequestTool)
#include "tst_HttpRequestTool.moc"
