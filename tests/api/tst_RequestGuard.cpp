// RequestGuard: the Host header must name this machine and a browser's Origin a page served
// from it; the API answers anything else with 403 before routing or authentication.
#include "support/TempDataDir.h"

#include "api/HttpApi.h"
#include "api/RequestGuard.h"
#include "runtime/Engine.h"
#include "service/Services.h"

#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

class tst_RequestGuard final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void hostMustNameThisMachine_data();
    void hostMustNameThisMachine();
    void originMustBeAPageOfThisMachine_data();
    void originMustBeAPageOfThisMachine();
    void theApiRefusesForeignHostsAndOriginsBeforeAnythingElse();
};

void tst_RequestGuard::hostMustNameThisMachine_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("allowed");
    QTest::newRow("none (HTTP/1.0)") << QByteArray() << true;
    QTest::newRow("localhost") << QByteArray("localhost") << true;
    QTest::newRow("localhost with port") << QByteArray("localhost:8080") << true;
    QTest::newRow("LOCALHOST") << QByteArray("LOCALHOST:8080") << true;
    QTest::newRow("127.0.0.1") << QByteArray("127.0.0.1:8080") << true;
    QTest::newRow("[::1]") << QByteArray("[::1]:8080") << true;
    QTest::newRow("app.localhost") << QByteArray("app.localhost:8080") << true;
    QTest::newRow("configured") << QByteArray("ordinaut.lan:8080") << true;
    QTest::newRow("another name") << QByteArray("evil.example:8080") << false;
    QTest::newRow("rebinding lookalike") << QByteArray("127.0.0.1.evil.example") << false;
    QTest::newRow("localhost suffix lookalike") << QByteArray("evillocalhost:80") << false;
    QTest::newRow("another address") << QByteArray("10.0.0.7:8080") << false;
}

void tst_RequestGuard::hostMustNameThisMachine()
{
    QFETCH(QByteArray, host);
    QFETCH(bool, allowed);
    const RequestGuard guard({QStringLiteral("ordinaut.lan")});
    const Status checked = guard.check(host, QByteArray());
    QCOMPARE(bool(checked), allowed);
    if (!allowed) {
        QVERIFY(checked.error().code == ErrorCode::PermissionDenied);
        QVERIFY(checked.error().message.contains(QLatin1String("Host")));
    }
}

void tst_RequestGuard::originMustBeAPageOfThisMachine_data()
{
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<bool>("allowed");
    QTest::newRow("none (not a browser)") << QByteArray() << true;
    QTest::newRow("http://localhost:3000") << QByteArray("http://localhost:3000") << true;
    QTest::newRow("https://127.0.0.1") << QByteArray("https://127.0.0.1") << true;
    QTest::newRow("http://[::1]:5173") << QByteArray("http://[::1]:5173") << true;
    QTest::newRow("a site") << QByteArray("https://evil.example") << false;
    QTest::newRow("null (file:, sandboxed)") << QByteArray("null") << false;
    QTest::newRow("another scheme") << QByteArray("chrome-extension://abc") << false;
    QTest::newRow("lookalike") << QByteArray("http://localhost.evil.example") << false;
}

void tst_RequestGuard::originMustBeAPageOfThisMachine()
{
    QFETCH(QByteArray, origin);
    QFETCH(bool, allowed);
    const Status checked = RequestGuard().check(QByteArray("127.0.0.1:8080"), origin);
    QCOMPARE(bool(checked), allowed);
    if (!allowed)
        QVERIFY(checked.error().code == ErrorCode::PermissionDenied);
}

void tst_RequestGuard::theApiRefusesForeignHostsAndOriginsBeforeAnythingElse()
{
    test::TempDataDir dir;
    Result<std::unique_ptr<Engine>> engine = Engine::create(EngineOptions{dir.path(), 1, nullptr});
    QVERIFY(engine);
    Services services(**engine);
    HttpApi api(**engine, services, QByteArray(32, 'g'));
    auto get = [&](const QByteArray &host, const QByteArray &origin) {
        HttpRequest request;
        request.method = "GET";
        request.path = QStringLiteral("/health");
        request.peer = QStringLiteral("127.0.0.1");
        if (!host.isEmpty())
            request.headers.insert("host", host);
        if (!origin.isEmpty())
            request.headers.insert("origin", origin);
        return api.handle(request);
    };
    QCOMPARE(get("127.0.0.1:8080", QByteArray()).status, 200);
    const HttpResponse rebinding = get("evil.example:8080", QByteArray());
    QCOMPARE(rebinding.status, 403);
    QCOMPARE(rebinding.contentType, QByteArray("application/problem+json"));
    QCOMPARE(get("localhost:8080", "https://evil.example").status, 403);
    QCOMPARE(get("localhost:8080", "http://localhost:3000").status, 200);
    // A name the user configured (ordinaut-server serve --allow-host).
    QCOMPARE(get("ordinaut.lan:8080", QByteArray()).status, 403);
    api.allowHost(QStringLiteral("Ordinaut.LAN"));
    QCOMPARE(get("ordinaut.lan:8080", QByteArray()).status, 200);
    QCOMPARE(get("ordinaut.lan:8080", "http://ordinaut.lan:8080").status, 200);
}

QTEST_GUILESS_MAIN(tst_RequestGuard)
#include "tst_RequestGuard.moc"
