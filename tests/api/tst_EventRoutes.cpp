// /api/v1/events through HttpApi::handle on a running engine: a posted event starts the active
// tasks listening for its topic (exactly, or under a "prefix.*"), whose steps read
// ${event.payload…}; others get nothing; every post is audited; bad bodies change nothing; the
// log is read back a page at a time.
#include "support/ApiHarness.h"
#include "support/EngineHarness.h"

#include "api/HttpApi.h"
#include "store/Database.h"
#include "store/Sql.h"

#include <QStandardPaths>
#include <QTest>
#include <QUrlQuery>

#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kKey(32, 'e');

Json jsonOf(const HttpResponse &response)
{
    return parseJson(response.body).value_or(Json());
}

QString describe(const HttpResponse &response)
{
    return QString::number(response.status) + QLatin1Char(' ') + QString::fromUtf8(response.body);
}

} // namespace

class tst_EventRoutes final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init();
    void cleanup();
    void matchingTasksRunWithTheEventsPayload();
    void nonMatchingAndPausedTasksGetNoRun();
    void aRetriedEventRunKeepsItsEvent();
    void everyPostIsAudited();
    void badBodiesAreRefusedNamingTheFieldAndStoreNothing();
    void aDedupeKeyIsPostedOnce();
    void theLogIsReadInPagesFilteredByTopic();
    void scopesAreChecked();
    void topicPatterns_data();
    void topicPatterns();

private:
    HttpResponse call(const QByteArray &method, const QString &path, const QString &token,
                      const Json &body = Json());
    QString tokenFor(const QStringList &scopes);
    // An event-scheduled task listening for `pattern` whose step echoes the event's subject.
    QString listeningTask(const QString &pattern, const QString &title);
    int count(const char *table);

    std::unique_ptr<test::EngineHarness> m_h;
    std::unique_ptr<HttpApi> m_api;
    QString m_admin;
};

void tst_EventRoutes::init()
{
    m_h = std::make_unique<test::EngineHarness>(1);
    m_api = std::make_unique<HttpApi>(m_h->engine(), m_h->services(), kKey);
    m_admin = tokenFor({QStringLiteral("*")});
    QVERIFY(!m_admin.isEmpty());
}

void tst_EventRoutes::cleanup()
{
    m_api.reset();
    m_h.reset();
}

QString tst_EventRoutes::tokenFor(const QStringList &scopes)
{
    Result<Agent> agent
        = m_h->services().agents.create(QStringLiteral("agent"), scopes, QStringLiteral("test"));
    if (!agent)
        return QString();
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*agent);
    return tokens ? tokens->accessToken : QString();
}

HttpResponse tst_EventRoutes::call(const QByteArray &method, const QString &path,
                                   const QString &token, const Json &body)
{
    return m_api->handle(test::apiRequest(method, path, token, body));
}

QString tst_EventRoutes::listeningTask(const QString &pattern, const QString &title)
{
    const Json document{{"title", title},
                        {"schedule_kind", "event"},
                        {"schedule_expr", pattern},
                        {"payload",
                         {{"pipeline", Json::array({Json{{"id", "echo"},
                                                         {"uses", "debug.echo"},
                                                         {"with",
                                                          {{"subject", "${event.payload.subject}"},
                                                           {"topic", "${event.topic}"}}}}})}}}};
    Result<Task> task = m_h->services().tasks.create(document, QStringLiteral("test"));
    if (!task)
        qFatal("task: %s", qPrintable(task.error().describe()));
    return task->id;
}

int tst_EventRoutes::count(const char *table)
{
    Result<QSqlQuery> q = sql::exec(m_h->engine().database().connection(),
                                    QStringLiteral("SELECT COUNT(*) FROM ") + QLatin1String(table));
    return q && q->next() ? q->value(0).toInt() : -1;
}

void tst_EventRoutes::matchingTasksRunWithTheEventsPayload()
{
    const QString exact = listeningTask(QStringLiteral("mail.received"), QStringLiteral("exact"));
    const QString prefix = listeningTask(QStringLiteral("mail.*"), QStringLiteral("prefix"));
    const HttpResponse answer
        = call("POST", QStringLiteral("/api/v1/events"), m_admin,
               Json{{"topic", "mail.received"}, {"payload", {{"subject", "Quarterly numbers"}}}});
    QVERIFY2(answer.status == 202, qPrintable(describe(answer)));
    const Json body = jsonOf(answer);
    QVERIFY2(body["event"]["topic"] == "mail.received" && body["event"]["id"].is_number()
                 && body["event"]["payload"]["subject"] == "Quarterly numbers"
                 && body["deduplicated"] == false,
             body.dump().c_str());
    QCOMPARE(body["runs"].size(), size_t(2));
    QStringList tasks;
    for (const Json &run : body["runs"]) {
        tasks << run["task_id"].get<QString>();
        const Run done = m_h->waitFinished(run["id"].get<QString>());
        QVERIFY2(done.status == RunStatus::Succeeded, qPrintable(done.error));
        QVERIFY(done.trigger == RunTrigger::Event);
        QVERIFY2(done.context["event"]["id"] == body["event"]["id"]
                     && done.context["event"]["source"].get<QString>().startsWith(
                         QLatin1String("agent:")),
                 done.context.dump().c_str());
        // The step saw the event through ${event.payload.subject} and ${event.topic}.
        QCOMPARE(done.steps.size(), size_t(1));
        QVERIFY2(done.steps[0].output["subject"] == "Quarterly numbers"
                     && done.steps[0].output["topic"] == "mail.received",
                 done.steps[0].output.dump().c_str());
    }
    tasks.sort();
    QStringList expected{exact, prefix};
    expected.sort();
    QCOMPARE(tasks, expected);
    // The run list shows them as event-triggered.
    const Json listed = jsonOf(call("GET", QStringLiteral("/api/v1/runs?trigger=event"), m_admin));
    QCOMPARE(listed["total"].get<int>(), 2);
}

void tst_EventRoutes::nonMatchingAndPausedTasksGetNoRun()
{
    listeningTask(QStringLiteral("chat.message"), QStringLiteral("other topic"));
    listeningTask(QStringLiteral("mail.received.spam"), QStringLiteral("longer topic"));
    const QString paused = listeningTask(QStringLiteral("mail.received"), QStringLiteral("paused"));
    QVERIFY(m_h->services().tasks.pause(paused, QStringLiteral("test")));
    const QString prefix = listeningTask(QStringLiteral("mail.*"), QStringLiteral("prefix"));
    m_h->createTask(Json::array()); // a manual task listens to nothing
    const int runsBefore = count("runs");

    HttpResponse answer
        = call("POST", QStringLiteral("/api/v1/events"), m_admin, Json{{"topic", "mail.received"}});
    QVERIFY2(answer.status == 202, qPrintable(describe(answer)));
    Json runs = jsonOf(answer)["runs"];
    QVERIFY2(runs.size() == 1 && runs[0]["task_id"] == prefix.toStdString(), runs.dump().c_str());
    // "mail.*" is every topic under "mail.", not "mail" itself.
    answer = call("POST", QStringLiteral("/api/v1/events"), m_admin, Json{{"topic", "mail"}});
    QVERIFY2(answer.status == 202 && jsonOf(answer)["runs"].empty(), qPrintable(describe(answer)));
    answer = call("POST", QStringLiteral("/api/v1/events"), m_admin, Json{{"topic", "mailbox.x"}});
    QVERIFY2(answer.status == 202 && jsonOf(answer)["runs"].empty(), qPrintable(describe(answer)));
    QCOMPARE(count("runs"), runsBefore + 1);
    // Resumed, the paused task listens again.
    QVERIFY(m_h->services().tasks.resume(paused, QStringLiteral("test")));
    answer
        = call("POST", QStringLiteral("/api/v1/events"), m_admin, Json{{"topic", "mail.received"}});
    QCOMPARE(jsonOf(answer)["runs"].size(), size_t(2));
}

void tst_EventRoutes::aRetriedEventRunKeepsItsEvent()
{
    listeningTask(QStringLiteral("build.done"), QStringLiteral("retried"));
    const Json posted
        = jsonOf(call("POST", QStringLiteral("/api/v1/events"), m_admin,
                      Json{{"topic", "build.done"}, {"payload", {{"subject", "v2"}}}}));
    const QString first = posted["runs"][0]["id"].get<QString>();
    QVERIFY(m_h->waitFinished(first).status == RunStatus::Succeeded);
    const HttpResponse retried
        = call("POST", QStringLiteral("/api/v1/runs/%1/retry").arg(first), m_admin);
    QVERIFY2(retried.status == 201, qPrintable(describe(retried)));
    const Run again = m_h->waitFinished(jsonOf(retried)["id"].get<QString>());
    QVERIFY2(again.status == RunStatus::Succeeded, qPrintable(again.error));
    QVERIFY2(again.steps[0].output["subject"] == "v2", again.steps[0].output.dump().c_str());
}

void tst_EventRoutes::everyPostIsAudited()
{
    const QString task = listeningTask(QStringLiteral("audit.me"), QStringLiteral("audited"));
    const int before = count("audit_log");
    const Json posted = jsonOf(
        call("POST", QStringLiteral("/api/v1/events"), m_admin, Json{{"topic", "audit.me"}}));
    QCOMPARE(count("audit_log"), before + 1);
    Result<QSqlQuery> q = sql::exec(
        m_h->engine().database().connection(),
        QStringLiteral("SELECT action, subject, details FROM audit_log ORDER BY id DESC LIMIT 1"));
    QVERIFY(q && q->next());
    QCOMPARE(q->value(0).toString(), QStringLiteral("event.post"));
    QCOMPARE(q->value(1).toString(), QString::number(posted["event"]["id"].get<qint64>()));
    const Json details = *parseJson(q->value(2).toByteArray());
    QVERIFY2(details["topic"] == "audit.me" && details["runs"].size() == 1
                 && details["runs"][0]["task_id"] == task.toStdString(),
             details.dump().c_str());
    q->finish();
    call("POST", QStringLiteral("/api/v1/events"), m_admin, Json{{"topic", "nobody.listens"}});
    QCOMPARE(count("audit_log"), before + 2);
}

void tst_EventRoutes::badBodiesAreRefusedNamingTheFieldAndStoreNothing()
{
    listeningTask(QStringLiteral("mail.*"), QStringLiteral("listener"));
    const int events = count("events");
    const int runs = count("runs");
    const int audits = count("audit_log");
    struct Case
    {
        Json body;
        const char *field;
    };
    const std::vector<Case> cases{
        {Json{{"payload", {{"a", 1}}}}, "topic"},
        {Json{{"topic", ""}}, "topic"},
        {Json{{"topic", std::string(201, 'a')}}, "topic"},
        {Json{{"topic", "mail received"}}, "topic"},
        {Json{{"topic", "mail/received"}}, "topic"},
        {Json{{"topic", "mail.é"}}, "topic"},
        {Json{{"topic", 7}}, "topic"},
        {Json{{"topic", "mail.x"}, {"colour", "red"}}, "colour"},
        {Json{{"topic", "mail.x"}, {"dedupe_key", 5}}, "dedupe_key"},
        {Json{{"topic", "mail.x"}, {"dedupe_key", ""}}, "dedupe_key"},
    };
    for (const Case &c : cases) {
        const HttpResponse answer = call("POST", QStringLiteral("/api/v1/events"), m_admin, c.body);
        QVERIFY2(answer.status == 422, qPrintable(describe(answer)));
        QCOMPARE(answer.contentType, QByteArray("application/problem+json"));
        QVERIFY2(jsonOf(answer)["errors"][0]["field"] == c.field, qPrintable(describe(answer)));
    }
    // Not an object; not JSON at all.
    QCOMPARE(call("POST", QStringLiteral("/api/v1/events"), m_admin, Json::array({1})).status, 422);
    HttpRequest raw;
    raw.method = "POST";
    raw.path = QStringLiteral("/api/v1/events");
    raw.headers.insert("authorization", "Bearer " + m_admin.toLatin1());
    raw.headers.insert("content-type", "application/json");
    raw.body = "{\"topic\": ";
    QCOMPARE(m_api->handle(raw).status, 400);
    // Nothing was stored, queued or audited.
    QCOMPARE(count("events"), events);
    QCOMPARE(count("runs"), runs);
    QCOMPARE(count("audit_log"), audits);
    // The longest topic is fine.
    QCOMPARE(call("POST", QStringLiteral("/api/v1/events"), m_admin,
                  Json{{"topic", std::string(200, 'a')}})
                 .status,
             202);
    QCOMPARE(count("events"), events + 1);
}

void tst_EventRoutes::aDedupeKeyIsPostedOnce()
{
    listeningTask(QStringLiteral("order.paid"), QStringLiteral("once"));
    const Json body{{"topic", "order.paid"},
                    {"payload", {{"subject", "order 42"}}},
                    {"dedupe_key", "order-42"}};
    const HttpResponse first = call("POST", QStringLiteral("/api/v1/events"), m_admin, body);
    QVERIFY2(first.status == 202 && jsonOf(first)["runs"].size() == 1, qPrintable(describe(first)));
    // Its run's own events (started, finished) are not the point here: let it finish first.
    QVERIFY(m_h->waitFinished(jsonOf(first)["runs"][0]["id"].get<QString>()).status
            == RunStatus::Succeeded);
    const int runs = count("runs");
    const int events = count("events");
    const HttpResponse second = call("POST", QStringLiteral("/api/v1/events"), m_admin, body);
    QVERIFY2(second.status == 200, qPrintable(describe(second)));
    QVERIFY2(jsonOf(second)["deduplicated"] == true && jsonOf(second)["runs"].empty()
                 && jsonOf(second)["event"]["id"] == jsonOf(first)["event"]["id"],
             qPrintable(describe(second)));
    QCOMPARE(count("runs"), runs);
    QCOMPARE(count("events"), events);
}

void tst_EventRoutes::theLogIsReadInPagesFilteredByTopic()
{
    const Json start = jsonOf(call("GET", QStringLiteral("/api/v1/events?limit=500"), m_admin));
    const qint64 after = start["next_after_id"].get<qint64>();
    for (const char *topic : {"alpha.one", "beta.two", "alpha.three", "alpha", "alphabet.x"})
        QCOMPARE(
            call("POST", QStringLiteral("/api/v1/events"), m_admin, Json{{"topic", topic}}).status,
            202);
    auto topics = [&](const QString &query, qint64 *next = nullptr) {
        const Json page = jsonOf(call("GET", QStringLiteral("/api/v1/events?") + query, m_admin));
        QStringList list;
        for (const Json &event : page["items"])
            list << event["topic"].get<QString>();
        if (next)
            *next = page["next_after_id"].get<qint64>();
        return list.join(QLatin1Char(' '));
    };
    const QString from = QStringLiteral("after_id=%1").arg(after);
    QCOMPARE(topics(from), QStringLiteral("alpha.one beta.two alpha.three alpha alphabet.x"));
    QCOMPARE(topics(from + QStringLiteral("&topic=alpha.*")),
             QStringLiteral("alpha.one alpha.three"));
    QCOMPARE(topics(from + QStringLiteral("&topic=alpha")), QStringLiteral("alpha"));
    // Oldest first, a page at a time: next_after_id carries on where a page ended.
    qint64 next = 0;
    QCOMPARE(topics(from + QStringLiteral("&limit=2"), &next),
             QStringLiteral("alpha.one beta.two"));
    QCOMPARE(topics(QStringLiteral("limit=2&after_id=%1").arg(next), &next),
             QStringLiteral("alpha.three alpha"));
    QCOMPARE(topics(QStringLiteral("limit=2&after_id=%1").arg(next), &next),
             QStringLiteral("alphabet.x"));
    QCOMPARE(topics(QStringLiteral("limit=2&after_id=%1").arg(next)), QString());
    for (const auto &[query, field] :
         std::vector<std::pair<const char *, const char *>>{{"after_id=x", "after_id"},
                                                            {"after_id=-1", "after_id"},
                                                            {"limit=0", "limit"},
                                                            {"limit=501", "limit"},
                                                            {"topic=*", "topic"},
                                                            {"topic=a%20b", "topic"},
                                                            {"topic=.*", "topic"}}) {
        const HttpResponse answer
            = call("GET", QStringLiteral("/api/v1/events?") + QLatin1String(query), m_admin);
        QVERIFY2(answer.status == 422 && jsonOf(answer)["errors"][0]["field"] == field,
                 qPrintable(describe(answer)));
    }
}

void tst_EventRoutes::scopesAreChecked()
{
    const QString reader = tokenFor({QStringLiteral("runs:read")});
    const QString poster = tokenFor({QStringLiteral("events:write")});
    const Json body{{"topic", "x.y"}};
    QCOMPARE(call("POST", QStringLiteral("/api/v1/events"), QString(), body).status, 401);
    QCOMPARE(
        call("POST", QStringLiteral("/api/v1/events"), QStringLiteral("not.a.jwt"), body).status,
        401);
    QCOMPARE(call("POST", QStringLiteral("/api/v1/events"), reader, body).status, 403);
    QCOMPARE(call("POST", QStringLiteral("/api/v1/events"), poster, body).status, 202);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/events"), poster).status, 403);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/events/stream"), poster).status, 403);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/events/stream"), QString()).status, 401);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/events"), reader).status, 200);
}

void tst_EventRoutes::topicPatterns_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("topic");
    QTest::addColumn<bool>("matches");
    QTest::newRow("exact") << "mail.received"
                           << "mail.received" << true;
    QTest::newRow("exact, other") << "mail.received"
                                  << "mail.sent" << false;
    QTest::newRow("exact is not a prefix") << "mail"
                                           << "mail.received" << false;
    QTest::newRow("prefix") << "mail.*"
                            << "mail.received" << true;
    QTest::newRow("prefix, deeper") << "mail.*"
                                    << "mail.received.spam" << true;
    QTest::newRow("prefix, not itself") << "mail.*"
                                        << "mail" << false;
    QTest::newRow("prefix, not a longer word") << "mail.*"
                                               << "mailbox.x" << false;
    QTest::newRow("star alone is no pattern") << "*"
                                              << "mail" << false;
}

void tst_EventRoutes::topicPatterns()
{
    QFETCH(QString, pattern);
    QFETCH(QString, topic);
    QFETCH(bool, matches);
    QCOMPARE(EventService::topicMatches(pattern, topic), matches);
}

QTEST_GUILESS_MAIN(tst_EventRoutes)
#include "tst_EventRoutes.moc"
