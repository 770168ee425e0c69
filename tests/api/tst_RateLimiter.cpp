// Request rate limits: each agent has a token bucket (api.rate_limit). It may burst, then goes
// at the rate; a request over it gets 429 problem+json with Retry-After and does nothing; other
// agents and public routes are not held up; a changed setting applies at once.
#include "support/ApiHarness.h"
#include "support/TestData.h"

#include "api/RateLimiter.h"
#include "core/Clock.h"
#include "core/Json.h"

#include <QStandardPaths>
#include <QTest>

#include <memory>

using namespace ordinaut;

class tst_RateLimiter final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init();
    void cleanup();
    void aBucketBurstsThenRefillsAtTheRate();
    void bucketsAreKeptPerKey();
    void aZeroRateLiftsTheLimit();
    void aLoweredBurstCutsFullBucketsBack();
    void overTheLimitAnAgentGets429WithRetryAfter();
    void theSettingAppliesAtOnceThroughTheApi();

private:
    HttpResponse call(const QByteArray &method, const QString &path, const QString &token)
    {
        return m_api->call(method, path,
                           token.isEmpty() ? QByteArray() : "Bearer " + token.toLatin1());
    }
    QString tokenFor(const QString &name, const QStringList &scopes)
    {
        return QString::fromLatin1(m_api->bearer(m_api->makeAgent(name, scopes)).mid(7));
    }

    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<test::ApiHarness> m_api;
};

void tst_RateLimiter::init()
{
    m_clock = std::make_unique<ManualClock>(test::utc("2026-03-10T09:00:00Z"));
    m_api = std::make_unique<test::ApiHarness>(1, m_clock.get());
}

void tst_RateLimiter::cleanup()
{
    m_api.reset();
    m_clock.reset();
}

void tst_RateLimiter::aBucketBurstsThenRefillsAtTheRate()
{
    RateLimiter limiter(*m_clock);
    limiter.setLimit({2.0, 5});
    for (int i = 0; i < 5; ++i)
        QCOMPARE(limiter.take(QStringLiteral("a")), 0);
    // Empty: the next token is half a second away, announced as a whole second.
    QCOMPARE(limiter.take(QStringLiteral("a")), 1);
    m_clock->advanceMs(499);
    QCOMPARE(limiter.take(QStringLiteral("a")), 1);
    m_clock->advanceMs(1);
    QCOMPARE(limiter.take(QStringLiteral("a")), 0);
    QCOMPARE(limiter.take(QStringLiteral("a")), 1);
    // Ten idle seconds earn 20 tokens, but the bucket holds 5.
    m_clock->advanceMs(10000);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(limiter.take(QStringLiteral("a")), 0);
    QVERIFY(limiter.take(QStringLiteral("a")) > 0);

    // A slow rate says how long to wait.
    limiter.setLimit({0.1, 1});
    m_clock->advanceMs(100000);
    QCOMPARE(limiter.take(QStringLiteral("slow")), 0);
    QCOMPARE(limiter.take(QStringLiteral("slow")), 10);
}

void tst_RateLimiter::bucketsAreKeptPerKey()
{
    RateLimiter limiter(*m_clock);
    limiter.setLimit({1.0, 2});
    QCOMPARE(limiter.take(QStringLiteral("a")), 0);
    QCOMPARE(limiter.take(QStringLiteral("a")), 0);
    QVERIFY(limiter.take(QStringLiteral("a")) > 0);
    QCOMPARE(limiter.take(QStringLiteral("b")), 0);
    QCOMPARE(limiter.take(QStringLiteral("b")), 0);
    QVERIFY(limiter.take(QStringLiteral("b")) > 0);
}

void tst_RateLimiter::aZeroRateLiftsTheLimit()
{
    RateLimiter limiter(*m_clock);
    limiter.setLimit({0, 1});
    for (int i = 0; i < 10000; ++i)
        QCOMPARE(limiter.take(QStringLiteral("a")), 0);
}

void tst_RateLimiter::aLoweredBurstCutsFullBucketsBack()
{
    RateLimiter limiter(*m_clock);
    limiter.setLimit({1.0, 100});
    QCOMPARE(limiter.take(QStringLiteral("a")), 0); // 99 left
    limiter.setLimit({1.0, 3});
    int allowed = 0;
    while (limiter.take(QStringLiteral("a")) == 0 && allowed < 200)
        ++allowed;
    QCOMPARE(allowed, 3);
}

void tst_RateLimiter::overTheLimitAnAgentGets429WithRetryAfter()
{
    m_api->api().rateLimiter().setLimit({1.0, 3});
    const QString chatty = tokenFor(QStringLiteral("chatty"), {QStringLiteral("tasks:read")});
    const QString quiet = tokenFor(QStringLiteral("quiet"), {QStringLiteral("tasks:read")});
    QVERIFY(!chatty.isEmpty() && !quiet.isEmpty());
    for (int i = 0; i < 3; ++i)
        QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), chatty).status, 200);
    const HttpResponse refused = call("GET", QStringLiteral("/api/v1/tasks"), chatty);
    QCOMPARE(refused.status, 429);
    QCOMPARE(refused.contentType, QByteArray("application/problem+json"));
    QByteArray retryAfter;
    for (const auto &[name, value] : refused.headers)
        if (name.toLower() == "retry-after")
            retryAfter = value;
    QCOMPARE(retryAfter, QByteArray("1"));
    const Json problem = parseJson(refused.body).value_or(Json());
    QVERIFY2(qs(problem.value("detail", "")).contains(QLatin1String("1 per second")),
             refused.body.constData());
    // Others go on; public routes are not counted.
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), quiet).status, 200);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(call("GET", QStringLiteral("/health"), QString()).status, 200);
    // A second later the agent has one request again.
    m_clock->advanceMs(1000);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), chatty).status, 200);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), chatty).status, 429);
}

void tst_RateLimiter::theSettingAppliesAtOnceThroughTheApi()
{
    // The default lets an agent burst well past what tests and scripts send in a moment.
    QCOMPARE(m_api->api().rateLimiter().limit().burst, 500);
    QCOMPARE(m_api->api().rateLimiter().limit().perSecond, 50.0);
    const QString agent = tokenFor(QStringLiteral("script"), {QStringLiteral("tasks:read")});
    Result<Json> changed = m_api->services().settings.update(
        Json{{"api.rate_limit", {{"requests_per_second", 0.5}, {"burst", 2}}}},
        QStringLiteral("user"));
    QVERIFY2(changed, changed ? "" : qPrintable(changed.error().describe()));
    QCOMPARE(m_api->api().rateLimiter().limit().burst, 2);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), agent).status, 200);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), agent).status, 200);
    const HttpResponse refused = call("GET", QStringLiteral("/api/v1/tasks"), agent);
    QCOMPARE(refused.status, 429);
    // Half a token a second: two seconds for the next.
    for (const auto &[name, value] : refused.headers)
        if (name.toLower() == "retry-after")
            QCOMPARE(value, QByteArray("2"));
    // Out-of-range values are refused naming the setting, and nothing changes.
    Result<Json> bad = m_api->services().settings.update(
        Json{{"api.rate_limit", {{"requests_per_second", -1}, {"burst", 2}}}},
        QStringLiteral("user"));
    QVERIFY(!bad);
    QVERIFY2(bad.error().describe().contains(QLatin1String("api.rate_limit")),
             qPrintable(bad.error().describe()));
    QCOMPARE(m_api->api().rateLimiter().limit().perSecond, 0.5);
    // Lifting it: any number of requests.
    QVERIFY(m_api->services().settings.update(
        Json{{"api.rate_limit", {{"requests_per_second", 0}, {"burst", 1}}}},
        QStringLiteral("user")));
    for (int i = 0; i < 50; ++i)
        QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks"), agent).status, 200);
}

QTEST_GUILESS_MAIN(tst_RateLimiter)
#include "tst_RateLimiter.moc"
