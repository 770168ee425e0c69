// GET /api/v1/events/stream over real loopback HTTP: task and run changes arrive live as
// Server-Sent Events; a client reconnecting with Last-Event-ID (or ?after_id=) gets exactly
// what it missed, then live ones, with neither gap nor duplicate; the topic filter; 401
// without a token; the bound on open streams; stopping the server with streams open.
#include "support/EngineHarness.h"
#include "support/SseClient.h"

#include "api/HttpApi.h"
#include "runtime/EventBus.h"
#include "store/EventLog.h"

#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kKey(32, 's');

using Frame = test::SseFrame;

// A GET of the stream with a token and a Last-Event-ID (each left out when empty).
class StreamClient final : public test::SseClient
{
public:
    StreamClient(quint16 port, const QByteArray &target, const QString &token,
                 const QByteArray &lastEventId = QByteArray())
        : SseClient(port, "GET", target, headersFor(token, lastEventId))
    {}

private:
    static Headers headersFor(const QString &token, const QByteArray &lastEventId)
    {
        Headers headers{{"Accept", "text/event-stream"}};
        if (!token.isEmpty())
            headers.append({"Authorization", "Bearer " + token.toLatin1()});
        if (!lastEventId.isEmpty())
            headers.append({"Last-Event-ID", lastEventId});
        return headers;
    }
};

QString topicsOf(const std::vector<Frame> &frames)
{
    QStringList list;
    for (const Frame &frame : frames)
        list << frame.event;
    return list.join(QLatin1Char(' '));
}

} // namespace

class tst_EventStream final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init();
    void cleanup();
    void taskAndRunChangesArriveLive();
    void reconnectingWithLastEventIdGetsExactlyWhatWasMissed();
    void afterIdReplaysTheLogThenGoesLive();
    void theTopicFilterPassesOnlyMatchingEvents();
    void aStreamNeedsATokenWithRunsRead();
    void streamsAreBounded();
    void stoppingTheServerEndsOpenStreams();

private:
    void post(const char *topic);
    std::vector<Event> logAfter(qint64 id);

    std::unique_ptr<test::EngineHarness> m_h;
    std::unique_ptr<HttpApi> m_api;
    quint16 m_port = 0;
    QString m_token;
};

void tst_EventStream::init()
{
    m_h = std::make_unique<test::EngineHarness>(1);
    m_api = std::make_unique<HttpApi>(m_h->engine(), m_h->services(), kKey);
    Result<quint16> port = m_api->start(QHostAddress::LocalHost, 0);
    QVERIFY2(port, port ? "" : qPrintable(port.error().describe()));
    m_port = *port;
    Result<Agent> agent = m_h->services().agents.create(
        QStringLiteral("watcher"), {QStringLiteral("runs:read")}, QStringLiteral("test"));
    QVERIFY(agent);
    m_token = m_api->authenticator().issue(*agent)->accessToken;
}

void tst_EventStream::cleanup()
{
    m_api.reset();
    m_h.reset();
}

void tst_EventStream::post(const char *topic)
{
    Result<PostedEvent> posted
        = m_h->services().events.post(Json{{"topic", topic}}, QStringLiteral("test"));
    QVERIFY2(posted, posted ? "" : qPrintable(posted.error().describe()));
}

std::vector<Event> tst_EventStream::logAfter(qint64 id)
{
    return *EventLog(m_h->engine().database()).since(id, 1000);
}

void tst_EventStream::taskAndRunChangesArriveLive()
{
    StreamClient client(m_port, "/api/v1/events/stream", m_token);
    QCOMPARE(client.waitForStatus(), 200);
    QVERIFY2(client.head().toLower().contains("content-type: text/event-stream"), client.head());
    // Live only: nothing from before (the agent's creation) is replayed.
    QTest::qWait(100);
    QVERIFY2(client.frames().empty(), qPrintable(topicsOf(client.frames())));

    const QString task = m_h->createTask(
        Json::array({Json{{"id", "echo"}, {"uses", "debug.echo"}, {"with", Json::object()}}}));
    const Run run = m_h->runAndSettle(task);
    QVERIFY(run.status == RunStatus::Succeeded);
    QVERIFY(QTest::qWaitFor(
        [&] {
            return !client.frames().empty()
                   && client.frames().back().event == QLatin1String("run.finished");
        },
        5000));
    const QString topics = topicsOf(client.frames());
    QVERIFY2(topics.startsWith(QLatin1String("task.created run.queued")), qPrintable(topics));
    QVERIFY2(topics.contains(QLatin1String("run.finished")), qPrintable(topics));
    // Every frame is the stored event: its id, topic and JSON; ids grow one by one.
    const std::vector<Event> stored = logAfter(client.frames().front().id - 1);
    QCOMPARE(client.frames().size(), stored.size());
    for (size_t i = 0; i < stored.size(); ++i) {
        const Frame &frame = client.frames()[i];
        QCOMPARE(frame.id, stored[i].id);
        QCOMPARE(frame.event, stored[i].topic);
        QVERIFY2(frame.data == stored[i].toJson(), frame.data.dump().c_str());
    }
    QVERIFY(client.frames().back().data["payload"]["run_id"] == run.id.toStdString());
}

void tst_EventStream::reconnectingWithLastEventIdGetsExactlyWhatWasMissed()
{
    qint64 last = 0;
    {
        StreamClient first(m_port, "/api/v1/events/stream", m_token);
        QCOMPARE(first.waitForStatus(), 200);
        post("sync.one");
        QVERIFY(first.waitForFrames(1));
        QCOMPARE(first.frames()[0].event, QStringLiteral("sync.one"));
        last = first.frames()[0].id;
        first.close();
    }
    // Missed while away.
    post("sync.two");
    post("sync.three");
    m_h->createTask(Json::array()); // task.created
    const std::vector<Event> missed = logAfter(last);
    QCOMPARE(missed.size(), size_t(3));

    StreamClient again(m_port, "/api/v1/events/stream", m_token, QByteArray::number(last));
    QCOMPARE(again.waitForStatus(), 200);
    QVERIFY(again.waitForFrames(3));
    QCOMPARE(topicsOf(again.frames()), QStringLiteral("sync.two sync.three task.created"));
    QCOMPARE(again.frames()[0].id, missed[0].id);
    // Then live, right after the replay: no gap, no repeat.
    post("sync.four");
    QVERIFY(again.waitForFrames(4));
    QTest::qWait(100);
    QCOMPARE(topicsOf(again.frames()),
             QStringLiteral("sync.two sync.three task.created sync.four"));
    for (size_t i = 1; i < again.frames().size(); ++i)
        QCOMPARE(again.frames()[i].id, again.frames()[i - 1].id + 1);
}

void tst_EventStream::afterIdReplaysTheLogThenGoesLive()
{
    for (int i = 0; i < 1200; ++i) // more than two pages of replay
        (void)m_h->engine().eventBus().publish(QStringLiteral("bulk.item"), Json{{"i", i}},
                                               QStringLiteral("test"));
    const std::vector<Event> all = *EventLog(m_h->engine().database()).since(0, 5000);
    StreamClient client(m_port, "/api/v1/events/stream?after_id=0", m_token);
    QCOMPARE(client.waitForStatus(), 200);
    QVERIFY(client.waitForFrames(all.size()));
    post("bulk.done");
    QVERIFY(client.waitForFrames(all.size() + 1));
    QTest::qWait(100);
    QCOMPARE(client.frames().size(), all.size() + 1);
    for (size_t i = 0; i < all.size(); ++i)
        QCOMPARE(client.frames()[i].id, all[i].id);
    QCOMPARE(client.frames().back().event, QStringLiteral("bulk.done"));
    // Last-Event-ID wins over ?after_id=.
    StreamClient resumed(m_port, "/api/v1/events/stream?after_id=0", m_token,
                         QByteArray::number(all.back().id));
    QCOMPARE(resumed.waitForStatus(), 200);
    QVERIFY(resumed.waitForFrames(1));
    QTest::qWait(100);
    QCOMPARE(topicsOf(resumed.frames()), QStringLiteral("bulk.done"));
}

void tst_EventStream::theTopicFilterPassesOnlyMatchingEvents()
{
    StreamClient client(m_port, "/api/v1/events/stream?topic=alpha.*", m_token);
    QCOMPARE(client.waitForStatus(), 200);
    post("alpha.one");
    post("beta.two");
    post("alpha");
    post("alpha.three");
    m_h->createTask(Json::array());
    post("alpha.end");
    QVERIFY(client.waitForFrames(3));
    QTest::qWait(100);
    QCOMPARE(topicsOf(client.frames()), QStringLiteral("alpha.one alpha.three alpha.end"));
    StreamClient exact(m_port, "/api/v1/events/stream?topic=beta.two&after_id=0", m_token);
    QCOMPARE(exact.waitForStatus(), 200);
    QVERIFY(exact.waitForFrames(1));
    QTest::qWait(100);
    QCOMPARE(topicsOf(exact.frames()), QStringLiteral("beta.two"));
}

void tst_EventStream::aStreamNeedsATokenWithRunsRead()
{
    StreamClient anonymous(m_port, "/api/v1/events/stream", QString());
    QCOMPARE(anonymous.waitForStatus(), 401);
    Result<Agent> poster = m_h->services().agents.create(
        QStringLiteral("poster"), {QStringLiteral("events:write")}, QStringLiteral("test"));
    StreamClient unscoped(m_port, "/api/v1/events/stream",
                          m_api->authenticator().issue(*poster)->accessToken);
    QCOMPARE(unscoped.waitForStatus(), 403);
    StreamClient badTopic(m_port, "/api/v1/events/stream?topic=a%20b", m_token);
    QCOMPARE(badTopic.waitForStatus(), 422);
    StreamClient badCursor(m_port, "/api/v1/events/stream", m_token, "yesterday");
    QCOMPARE(badCursor.waitForStatus(), 422);
}

void tst_EventStream::streamsAreBounded()
{
    std::vector<std::unique_ptr<StreamClient>> open;
    for (int i = 0; i < 64; ++i) {
        open.push_back(std::make_unique<StreamClient>(m_port, "/api/v1/events/stream", m_token));
        QCOMPARE(open.back()->waitForStatus(), 200);
    }
    StreamClient refused(m_port, "/api/v1/events/stream", m_token);
    QCOMPARE(refused.waitForStatus(), 503);
    QVERIFY2(refused.head().toLower().contains("retry-after:"), refused.head());
    // A closed stream frees its place.
    open.front()->close();
    open.erase(open.begin());
    QVERIFY(QTest::qWaitFor(
        [&] {
            StreamClient next(m_port, "/api/v1/events/stream", m_token);
            return next.waitForStatus() == 200;
        },
        5000));
}

void tst_EventStream::stoppingTheServerEndsOpenStreams()
{
    StreamClient one(m_port, "/api/v1/events/stream", m_token);
    StreamClient two(m_port, "/api/v1/events/stream?after_id=0", m_token);
    QCOMPARE(one.waitForStatus(), 200);
    QCOMPARE(two.waitForStatus(), 200);
    QElapsedTimer timer;
    timer.start();
    m_api->stop();
    QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY(QTest::qWaitFor([&] { return one.disconnected() && two.disconnected(); }, 5000));
    // Events after the stop reach no one and harm nothing.
    post("after.stop");
}

QTEST_GUILESS_MAIN(tst_EventStream)
#include "tst_EventStream.moc"
