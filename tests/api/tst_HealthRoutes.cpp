// GET /health and /health/detailed through HttpApi::handle: the detailed view's disk space of
// the data folder (free, total, low) and the scheduler's next due time besides the queue and
// workers, only for a runs:read token.
#include "support/ApiHarness.h"
#include "support/EngineHarness.h"

#include "api/Authenticator.h"
#include "api/HttpApi.h"
#include "service/Services.h"

#include <QStorageInfo>
#include <QTest>

#include <memory>

using namespace ordinaut;

class tst_HealthRoutes final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void healthNeedsNoToken();
    void detailedNeedsRunsRead();
    void detailedShowsTheDataFoldersDisk();
    void detailedShowsWhenTheSchedulerIsNextDue();

private:
    HttpResponse get(const QString &path, const QString &token = QString()) const;
    Json detailed() const;

    std::unique_ptr<test::EngineHarness> m_h;
    std::unique_ptr<HttpApi> m_api;
    QString m_reader;
};

void tst_HealthRoutes::init()
{
    m_h = std::make_unique<test::EngineHarness>(1);
    m_api = std::make_unique<HttpApi>(m_h->engine(), m_h->services(), QByteArray(32, 'k'));
    Result<Agent> agent = m_h->services().agents.create(
        QStringLiteral("monitor"), {QStringLiteral("runs:read")}, QStringLiteral("test"));
    QVERIFY(agent);
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*agent);
    QVERIFY(tokens);
    m_reader = tokens->accessToken;
}

void tst_HealthRoutes::cleanup()
{
    m_api.reset();
    m_h.reset();
}

HttpResponse tst_HealthRoutes::get(const QString &path, const QString &token) const
{
    return m_api->handle(test::apiRequest(
        "GET", path, token.isEmpty() ? QByteArray() : "Bearer " + token.toLatin1()));
}

Json tst_HealthRoutes::detailed() const
{
    const HttpResponse response = get(QStringLiteral("/health/detailed"), m_reader);
    if (response.status != 200)
        qWarning("GET /health/detailed: %d %s", response.status, response.body.constData());
    return parseJson(response.body).value_or(Json());
}

void tst_HealthRoutes::healthNeedsNoToken()
{
    const HttpResponse response = get(QStringLiteral("/health"));
    QCOMPARE(response.status, 200);
    const Json body = parseJson(response.body).value_or(Json());
    QVERIFY2(body.value("status", std::string()) == "healthy", response.body.constData());
    QVERIFY2(body.value("workers", 0) == 1, response.body.constData());
}

void tst_HealthRoutes::detailedNeedsRunsRead()
{
    QCOMPARE(get(QStringLiteral("/health/detailed")).status, 401);
    QCOMPARE(get(QStringLiteral("/health/detailed"), m_reader).status, 200);
}

void tst_HealthRoutes::detailedShowsTheDataFoldersDisk()
{
    const Json body = detailed();
    QVERIFY2(body.contains("queue") && body.contains("workers") && body.contains("disk"),
             body.dump().c_str());
    const Json &disk = body["disk"];
    QCOMPARE(qs(disk.value("path", std::string())), m_h->engine().dataDir());
    QVERIFY2(disk.value("available", false), disk.dump().c_str());
    const qint64 free = disk.value("bytes_free", qint64(-1));
    const qint64 total = disk.value("bytes_total", qint64(-1));
    QVERIFY2(free >= 0 && total > 0 && free <= total, disk.dump().c_str());
    // The same disk as the system reports (other writers may change free space a little).
    const QStorageInfo storage(m_h->engine().dataDir());
    QCOMPARE(total, storage.bytesTotal());
    QVERIFY(qAbs(free - storage.bytesAvailable()) < 64 * 1024 * 1024);
    const bool low = free < (qint64(1) << 30) || double(free) < 0.05 * double(total);
    QVERIFY2(disk.value("low", !low) == low, disk.dump().c_str());
    QVERIFY2(disk.value("low_below_bytes", qint64(0)) == (qint64(1) << 30), disk.dump().c_str());
}

void tst_HealthRoutes::detailedShowsWhenTheSchedulerIsNextDue()
{
    Json body = detailed();
    QVERIFY2(body.contains("scheduler"), body.dump().c_str());
    QVERIFY2(body["scheduler"]["next_due"].is_null(), body.dump().c_str());
    QVERIFY2(body["scheduler"].value("work_ready_now", true) == false, body.dump().c_str());

    // A task due in an hour: that is when the scheduler fires next.
    const QDateTime at = m_h->clock().now().addSecs(3600);
    Result<Task> task = m_h->services().tasks.create(
        Json{{"title", "later"},
             {"schedule_kind", "once"},
             {"schedule_expr", at.toString(Qt::ISODateWithMs).toStdString()},
             {"payload",
              {{"pipeline", Json::parse(R"([{"id":"e","uses":"debug.echo","with":{}}])")}}}},
        QStringLiteral("test"));
    QVERIFY2(task, qPrintable(task ? QString() : task.error().describe()));
    body = detailed();
    QCOMPARE(qs(body["scheduler"].value("next_due", std::string())), formatInstant(at));
    QCOMPARE(qs(body["scheduler"].value("next_task_occurrence", std::string())), formatInstant(at));
    QVERIFY2(body["scheduler"]["next_queued_start"].is_null(), body.dump().c_str());
}

QTEST_GUILESS_MAIN(tst_HealthRoutes)
#include "tst_HealthRoutes.moc"
