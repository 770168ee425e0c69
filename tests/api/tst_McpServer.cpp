// The MCP server through HttpApi::handle (POST/GET/DELETE /mcp in process) and StdioEndpoint:
// JSON-RPC errors and the HTTP status each comes with; sessions (initialize, Mcp-Session-Id, an
// ended session or another agent's); protocol versions, and the stateless revision's headers and
// _meta; batches only in 2025-03-26; the size limits of both transports; media types; anonymous
// loopback access; tools derived from the REST routes (scopes, schemas, calls audited and
// published); resources and subscriptions; prompts; the stdio conversation and its listen stream.
#include "support/ApiHarness.h"
#include "support/SseClient.h"

#include "api/HttpApi.h"
#include "api/mcp/McpServer.h"
#include "api/mcp/Protocol.h"
#include "api/mcp/StdioEndpoint.h"
#include "core/Scopes.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "service/Services.h"
#include "store/AuditLog.h"
#include "store/EventLog.h"

#include <QMutex>
#include <QScopeGuard>
#include <QSet>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace ordinaut;
using namespace ordinaut::mcp;

namespace {

// Header name → value; a null value removes a header the helper would send.
using Headers = QList<QPair<QByteArray, QByteArray>>;

const QByteArray kAccept = "application/json, text/event-stream";
const QByteArray kStatelessHeader = "2026-07-28";

Json jsonOf(const HttpResponse &response)
{
    return parseJson(response.body).value_or(Json());
}

QString dump(const Json &value)
{
    return QString::fromUtf8(dumpJson(value));
}

QString describe(const HttpResponse &response)
{
    return QString::number(response.status) + QLatin1Char(' ') + QString::fromUtf8(response.body);
}

QByteArray headerOf(const HttpResponse &response, const QByteArray &name)
{
    for (const auto &[key, value] : response.headers)
        if (key.toLower() == name.toLower())
            return value;
    return QByteArray();
}

// A JSON-RPC answer's error code (0: none) and message.
int codeOf(const Json &answer)
{
    if (!answer.is_object() || !answer.contains("error") || !answer["error"].is_object())
        return 0;
    return answer["error"].value("code", 0);
}

QString messageOf(const Json &answer)
{
    if (!answer.is_object() || !answer.contains("error") || !answer["error"].is_object())
        return QString();
    return qs(answer["error"].value("message", std::string()));
}

Json rpcRequest(const Json &id, const QString &method, const Json &params = Json())
{
    Json message{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.is_null())
        message["params"] = params;
    return message;
}

Json rpcNotification(const QString &method)
{
    return Json{{"jsonrpc", "2.0"}, {"method", method}};
}

// `params` with the stateless revision's _meta (the version named, and capabilities).
Json withMeta(Json params = Json::object(), const QString &version = kStateless)
{
    params["_meta"][meta::kProtocolVersion] = version;
    params["_meta"][meta::kClientCapabilities] = Json::object();
    return params;
}

// A task as create_task and POST /api/v1/tasks take it: hourly in UTC, one echo step.
Json taskArguments(const QString &title)
{
    return Json{
        {"title", title},
        {"schedule_kind", "rrule"},
        {"schedule_expr", "FREQ=HOURLY"},
        {"timezone", "UTC"},
        {"payload",
         {{"pipeline",
           Json::array({Json{{"id", "a"}, {"uses", "debug.echo"}, {"with", {{"x", 1}}}}})}}}};
}

QSet<QString> toolNames(const Json &listResult)
{
    QSet<QString> names;
    const Json tools = listResult.value("tools", Json::array());
    for (const Json &tool : tools)
        names.insert(qs(tool.value("name", std::string())));
    return names;
}

const Json *toolNamed(const Json &tools, const char *name)
{
    for (const Json &tool : tools)
        if (tool.value("name", std::string()) == name)
            return &tool;
    return nullptr;
}

// The text of a tools/call result's first content item.
QString resultText(const Json &result)
{
    const Json content = result.value("content", Json::array());
    if (content.empty() || !content[0].is_object())
        return QString();
    return qs(content[0].value("text", std::string()));
}

// What a StdioEndpoint writes, one JSON text per call, from whichever thread.
class Transcript final
{
public:
    void write(const QByteArray &json)
    {
        QMutexLocker lock(&m_mutex);
        m_lines.append(parseJson(json).value_or(Json(QString::fromUtf8(json))));
    }
    QList<Json> lines() const
    {
        QMutexLocker lock(&m_mutex);
        return m_lines;
    }
    int size() const
    {
        QMutexLocker lock(&m_mutex);
        return int(m_lines.size());
    }
    Json last() const
    {
        QMutexLocker lock(&m_mutex);
        return m_lines.isEmpty() ? Json() : m_lines.last();
    }
    // The messages written with this method, in order.
    QList<Json> withMethod(const char *method) const
    {
        QList<Json> found;
        for (const Json &line : lines())
            if (line.is_object() && line.value("method", std::string()) == method)
                found.append(line);
        return found;
    }

private:
    mutable QMutex m_mutex;
    QList<Json> m_lines;
};

// The notifications a session's Outbox emits, as they are emitted.
class Heard final : public QObject
{
public:
    explicit Heard(const std::shared_ptr<Outbox> &outbox)
    {
        connect(
            outbox.get(), &Outbox::message, this,
            [this](const QByteArray &json) {
                QMutexLocker lock(&m_mutex);
                m_messages.append(parseJson(json).value_or(Json()));
            },
            Qt::DirectConnection);
    }
    // The resources/updated notifications for `uri`.
    int updatesOf(const QString &uri) const
    {
        QMutexLocker lock(&m_mutex);
        int count = 0;
        for (const Json &message : m_messages)
            if (message.value("method", std::string()) == "notifications/resources/updated"
                && message.value("params", Json::object()).value("uri", std::string())
                       == uri.toStdString())
                ++count;
        return count;
    }
    // The notifications with this method, in order.
    QList<Json> withMethod(const char *method) const
    {
        QMutexLocker lock(&m_mutex);
        QList<Json> found;
        for (const Json &message : m_messages)
            if (message.value("method", std::string()) == method)
                found.append(message);
        return found;
    }

private:
    mutable QMutex m_mutex;
    QList<Json> m_messages;
};

// A request to /mcp over loopback whose answer is a Server-Sent Events stream of MCP messages.
class StreamClient final : public test::SseClient
{
public:
    StreamClient(quint16 port, const QByteArray &method, const Headers &headers,
                 const QByteArray &body = QByteArray())
        : SseClient(port, method, "/mcp", headers, body)
    {}
    bool waitForMessages(int n) { return waitForFrames(size_t(n)); }
    QList<Json> messages() const
    {
        QList<Json> all;
        for (const test::SseFrame &frame : frames())
            all.append(frame.data);
        return all;
    }
    QList<qint64> eventIds() const
    {
        QList<qint64> ids;
        for (const test::SseFrame &frame : frames())
            ids.append(frame.id);
        return ids;
    }
};

} // namespace

class tst_McpServer final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void textThatIsNotJsonIsAParseError();
    void jsonThatIsNotJsonRpcIsAnInvalidRequest_data();
    void jsonThatIsNotJsonRpcIsAnInvalidRequest();
    void unknownMethodsInASessionAreMethodNotFound();
    void unknownMethodsUnderTasksAreMethodNotFound();
    void unknownAndRemovedMethodsAre404InTheStatelessRevision_data();
    void unknownAndRemovedMethodsAre404InTheStatelessRevision();
    void aSessionIsNeededAndBelongsToItsAgent();
    void anUnsupportedVersionIsRefusedWithTheSupportedOnes();
    void aSessionAnswersUnderItsNegotiatedVersion();
    void statelessHeaderAndMetaMustAgree();
    void statelessMethodAndNameHeadersMustMatchTheBody();
    void initializeNegotiatesTheVersion();
    void capabilitiesDependOnTheVersion();
    void everyAdvertisedCapabilityIsServed();
    void batchesOnlyIn20250326();
    void oversizedMessagesAreRefused();
    void notificationsAndResponsesAreAcceptedWithoutABody();
    void mediaTypesAndMethodsAreChecked();
    void anonymousAccessOnlyFromLoopbackAndOnlyToRead();
    void toolsFollowTheAgentsScopes();
    void toolDefinitionsAreCompleteForEachVersion();
    void toolCallsGoThroughTheRoutesAndAreAudited();
    void resourcesAreListedReadAndTemplated();
    void subscriptionsNotifyOnlyTheSessionThatAsked();
    void runLogsAndToolChangesReachOnlyTheAgentsSessions();
    void promptsAreListedAndFilledIn();
    void statelessResultsCarryResultTypeAndCacheHints();
    void sessionStartAndEndAreAuditedAndPublished();
    void completionsOfferTimeZonesAndIds();
    void streamsCarryNotificationsOverLoopback();
    void stdioConversation();
    void stdioAnswersStatelessMessagesWithoutInitialize();
    void stdioListenStreamTagsItsNotifications();
    void toolCallsAndSessionsAreMeasured();
    void noAgentCanCrowdOutAnothersSessions();
    void listenStreamsWatchOnlyWhatTheAgentMayRead();
    // Last: it starts the engine, so runs execute (and announce) from here on.
    void runTaskNowCanAnswerWithAnMcpTask();

private:
    // A POST/GET/DELETE to /mcp from 127.0.0.1 accepting JSON and SSE; `headers` added or
    // (null value) removed.
    static HttpRequest mcpRequest(const QByteArray &method, const QByteArray &authorization,
                                  const QByteArray &body, const Headers &headers = {});
    HttpResponse post(const Json &message, const Headers &headers = {});
    HttpResponse postAs(const QByteArray &authorization, const Json &message,
                        const Headers &headers = {});
    // initialize as `authorization` (the main agent when empty), asking for `version`; the
    // session id (empty, with a warning, when refused) and the initialize result.
    QByteArray open(const QString &version, const QByteArray &authorization = QByteArray(),
                    Json *result = nullptr);
    // A request in a session: the HTTP answer.
    HttpResponse inSession(const QByteArray &session, const QString &method,
                           const Json &params = Json::object(), const Headers &headers = {});
    // A request of the stateless revision with _meta and consistent headers (Mcp-Method, and
    // Mcp-Name where the method names something), `overrides` applied last.
    HttpResponse stateless(const QString &method, const Json &params = Json::object(),
                           const Headers &overrides = {});
    static Headers statelessHeaders(const QString &method, const Json &params);
    int auditRows(const QString &actor, const QString &action) const;
    // The events on `topic` about the test's agent.
    std::vector<Event> events(const QString &topic) const;
    int taskCount() const;
    // Sessions open now that were not when the test began.
    int sessionsOpened() const { return m_harness->api().mcp().sessionCount() - m_sessionsBefore; }
    // A task made through the service by the main agent; its id.
    QString makeTask(const QString &title);

    // One engine for the whole run (building one costs more than most tests): each test has an
    // agent of its own, and counts what it causes relative to what was there before it.
    std::unique_ptr<test::ApiHarness> m_harness;
    Agent m_agent; // tasks and runs, read and write; new for each test
    QByteArray m_auth;
    int m_nextId = 1;
    int m_sessionsBefore = 0;
};

void tst_McpServer::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_harness = std::make_unique<test::ApiHarness>(1);
}

void tst_McpServer::cleanupTestCase()
{
    m_harness.reset();
}

void tst_McpServer::init()
{
    m_agent = m_harness->makeAgent(
        QLatin1String(QTest::currentTestFunction()),
        {scopes::kTasksRead, scopes::kTasksWrite, scopes::kRunsRead, scopes::kRunsWrite});
    m_auth = m_harness->bearer(m_agent);
    m_sessionsBefore = m_harness->api().mcp().sessionCount();
    QVERIFY2(m_harness->api().mcp().catalog(),
             qPrintable(m_harness->api().mcp().catalog()
                            ? QString()
                            : m_harness->api().mcp().catalog().error().describe()));
}

void tst_McpServer::cleanup()
{
    m_harness->api().allowAnonymousMcp(false);
}

HttpRequest tst_McpServer::mcpRequest(const QByteArray &method, const QByteArray &authorization,
                                      const QByteArray &body, const Headers &headers)
{
    HttpRequest request = test::apiRequest(method, QStringLiteral("/mcp"), authorization, body);
    request.headers.insert("accept", kAccept);
    for (const auto &[name, value] : headers) {
        if (value.isNull())
            request.headers.remove(name);
        else
            request.headers.insert(name, value);
    }
    return request;
}

HttpResponse tst_McpServer::post(const Json &message, const Headers &headers)
{
    return postAs(m_auth, message, headers);
}

HttpResponse tst_McpServer::postAs(const QByteArray &authorization, const Json &message,
                                   const Headers &headers)
{
    return m_harness->send(mcpRequest("POST", authorization, dumpJson(message), headers));
}

QByteArray tst_McpServer::open(const QString &version, const QByteArray &authorization,
                               Json *result)
{
    const HttpResponse response = postAs(
        authorization.isEmpty() ? m_auth : authorization,
        rpcRequest(m_nextId++, QStringLiteral("initialize"),
                   Json{{"protocolVersion", version},
                        {"capabilities", Json::object()},
                        {"clientInfo", Json{{"name", "tst_McpServer"}, {"version", "1"}}}}));
    const QByteArray session = headerOf(response, "Mcp-Session-Id");
    if (response.status != 200 || session.isEmpty())
        qWarning("initialize: %s", qPrintable(describe(response)));
    if (result)
        *result = jsonOf(response).value("result", Json());
    return session;
}

HttpResponse tst_McpServer::inSession(const QByteArray &session, const QString &method,
                                      const Json &params, const Headers &headers)
{
    Headers all{{"mcp-session-id", session}};
    all += headers;
    return post(rpcRequest(m_nextId++, method, params), all);
}

Headers tst_McpServer::statelessHeaders(const QString &method, const Json &params)
{
    Headers headers{{"mcp-protocol-version", kStatelessHeader}, {"mcp-method", method.toUtf8()}};
    for (const char *key : {"name", "uri"})
        if (params.is_object() && params.value(key, Json()).is_string()
            && (method == QLatin1String("tools/call") || method == QLatin1String("prompts/get")
                || method.startsWith(QLatin1String("resources/"))))
            headers.append({"mcp-name", QByteArray::fromStdString(params[key].get<std::string>())});
    return headers;
}

HttpResponse tst_McpServer::stateless(const QString &method, const Json &params,
                                      const Headers &overrides)
{
    Headers headers = statelessHeaders(method, params);
    headers += overrides;
    return post(rpcRequest(m_nextId++, method, withMeta(params)), headers);
}

int tst_McpServer::auditRows(const QString &actor, const QString &action) const
{
    Result<std::vector<AuditEntry>> rows
        = AuditLog(m_harness->engine().database()).search(actor, action, 0, 10000);
    if (!rows) {
        qWarning("audit: %s", qPrintable(rows.error().describe()));
        return -1;
    }
    return int(rows->size());
}

std::vector<Event> tst_McpServer::events(const QString &topic) const
{
    Result<std::vector<Event>> found
        = EventLog(m_harness->engine().database()).since(0, 10000, topic);
    if (!found) {
        qWarning("events: %s", qPrintable(found.error().describe()));
        return {};
    }
    std::vector<Event> ours;
    for (const Event &event : *found)
        if (event.payload.value("agent_id", Json()) == Json(m_agent.id))
            ours.push_back(event);
    return ours;
}

int tst_McpServer::taskCount() const
{
    Result<TaskPage> page = m_harness->services().tasks.list(std::nullopt, 100, 0);
    return page ? page->total : -1;
}

QString tst_McpServer::makeTask(const QString &title)
{
    Result<Task> task = m_harness->services().tasks.create(taskArguments(title),
                                                           QStringLiteral("agent:") + m_agent.id);
    if (!task) {
        qWarning("task: %s", qPrintable(task.error().describe()));
        return QString();
    }
    return task->id;
}

// --- JSON-RPC errors --------------------------------------------------------------------------

void tst_McpServer::textThatIsNotJsonIsAParseError()
{
    for (const QByteArray &text : {QByteArray("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\""),
                                   QByteArray("ping"), QByteArray("")}) {
        const HttpResponse response = m_harness->send(mcpRequest("POST", m_auth, text));
        QVERIFY2(response.status == 400, qPrintable(describe(response)));
        const Json answer = jsonOf(response);
        QVERIFY2(codeOf(answer) == rpc::kParseError, qPrintable(describe(response)));
        QVERIFY2(answer.value("jsonrpc", Json()) == "2.0" && answer.contains("id")
                     && answer["id"].is_null(),
                 qPrintable(describe(response)));
    }
}

void tst_McpServer::jsonThatIsNotJsonRpcIsAnInvalidRequest_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("named"); // what the message must name
    QTest::addColumn<int>("echoedId");  // 0: the answer's id is null

    QTest::newRow("no jsonrpc") << QByteArray(R"({"id": 7, "method": "ping"})")
                                << QStringLiteral("jsonrpc") << 7;
    QTest::newRow("jsonrpc 1.0") << QByteArray(R"({"jsonrpc": "1.0", "id": 8, "method": "ping"})")
                                 << QStringLiteral("jsonrpc") << 8;
    QTest::newRow("null id") << QByteArray(R"({"jsonrpc": "2.0", "id": null, "method": "ping"})")
                             << QStringLiteral("id") << 0;
    QTest::newRow("object id") << QByteArray(R"({"jsonrpc": "2.0", "id": {}, "method": "ping"})")
                               << QStringLiteral("id") << 0;
    QTest::newRow("method not a string")
        << QByteArray(R"({"jsonrpc": "2.0", "id": 9, "method": 5})") << QStringLiteral("method")
        << 9;
    QTest::newRow("params a string")
        << QByteArray(R"({"jsonrpc": "2.0", "id": 10, "method": "ping", "params": "x"})")
        << QStringLiteral("params") << 10;
    QTest::newRow("not an object") << QByteArray(R"("ping")") << QStringLiteral("object") << 0;
}

void tst_McpServer::jsonThatIsNotJsonRpcIsAnInvalidRequest()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, named);
    QFETCH(int, echoedId);
    const QByteArray session = open(kV20251125);
    for (const Headers &headers : {Headers{}, Headers{{"mcp-session-id", session}}}) {
        const HttpResponse response = m_harness->send(mcpRequest("POST", m_auth, text, headers));
        QVERIFY2(response.status == 400, qPrintable(describe(response)));
        const Json answer = jsonOf(response);
        QVERIFY2(codeOf(answer) == rpc::kInvalidRequest, qPrintable(describe(response)));
        QVERIFY2(messageOf(answer).contains(named), qPrintable(describe(response)));
        const Json expectedId = echoedId == 0 ? Json() : Json(echoedId);
        QVERIFY2(answer.value("id", Json(-1)) == expectedId, qPrintable(describe(response)));
    }
}

void tst_McpServer::unknownMethodsInASessionAreMethodNotFound()
{
    for (const QString &version : sessionVersions()) {
        const QByteArray session = open(version);
        QVERIFY(!session.isEmpty());
        // Unknown anywhere, and the stateless revision's own methods in a session.
        for (const QString &method :
             {QStringLiteral("gadgets/explode"), QStringLiteral("server/discover"),
              QStringLiteral("subscriptions/listen")}) {
            const int id = m_nextId;
            const HttpResponse response = inSession(session, method);
            QVERIFY2(response.status == 200,
                     qPrintable(version + QLatin1Char(' ') + describe(response)));
            const Json answer = jsonOf(response);
            QVERIFY2(codeOf(answer) == rpc::kMethodNotFound, qPrintable(describe(response)));
            QVERIFY2(answer.value("id", Json()) == Json(id), qPrintable(describe(response)));
            QVERIFY2(messageOf(answer).contains(method), qPrintable(describe(response)));
        }
        // The session goes on.
        const HttpResponse ping = inSession(session, QStringLiteral("ping"));
        QVERIFY2(ping.status == 200 && jsonOf(ping).value("result", Json()) == Json::object(),
                 qPrintable(describe(ping)));
    }
}

void tst_McpServer::unknownMethodsUnderTasksAreMethodNotFound()
{
    // The tasks/ methods exist (2025-11-25, and 2026's tasks extension), but not every name under
    // that prefix does: a name the server does not serve is "method not found", whatever the
    // params or capabilities.
    const QByteArray session = open(kV20251125);
    for (const Json &params : {Json::object(), Json{{"taskId", "no-such-task"}}}) {
        const HttpResponse response = inSession(session, QStringLiteral("tasks/explode"), params);
        QVERIFY2(response.status == 200 && codeOf(jsonOf(response)) == rpc::kMethodNotFound,
                 qPrintable(dump(params) + QStringLiteral(" → ") + describe(response)));
    }
    Json withExtension = withMeta();
    withExtension["_meta"][meta::kClientCapabilities]["extensions"]["io.modelcontextprotocol/tasks"]
        = Json::object();
    for (const Json &params : {withMeta(), withExtension}) {
        const HttpResponse response
            = post(rpcRequest(m_nextId++, QStringLiteral("tasks/explode"), params),
                   statelessHeaders(QStringLiteral("tasks/explode"), params));
        QVERIFY2(response.status == 404 && codeOf(jsonOf(response)) == rpc::kMethodNotFound,
                 qPrintable(dump(params) + QStringLiteral(" → ") + describe(response)));
    }
}

void tst_McpServer::unknownAndRemovedMethodsAre404InTheStatelessRevision_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QByteArray>("params");
    QTest::newRow("unknown") << QStringLiteral("gadgets/explode") << QByteArray("{}");
    QTest::newRow("initialize") << QStringLiteral(
        "initialize") << QByteArray(R"({"protocolVersion": "2026-07-28", "capabilities": {},
                          "clientInfo": {"name": "x", "version": "1"}})");
    QTest::newRow("ping") << QStringLiteral("ping") << QByteArray("{}");
    QTest::newRow("logging/setLevel")
        << QStringLiteral("logging/setLevel") << QByteArray(R"({"level": "info"})");
    QTest::newRow("resources/subscribe")
        << QStringLiteral("resources/subscribe") << QByteArray(R"({"uri": "ordinaut://tools"})");
    QTest::newRow("resources/unsubscribe")
        << QStringLiteral("resources/unsubscribe") << QByteArray(R"({"uri": "ordinaut://tools"})");
}

void tst_McpServer::unknownAndRemovedMethodsAre404InTheStatelessRevision()
{
    QFETCH(QString, method);
    QFETCH(QByteArray, params);
    const int sessionsBefore = m_harness->api().mcp().sessionCount();
    const int id = m_nextId;
    const HttpResponse response = stateless(method, *parseJson(params));
    QVERIFY2(response.status == 404, qPrintable(describe(response)));
    const Json answer = jsonOf(response);
    QVERIFY2(codeOf(answer) == rpc::kMethodNotFound, qPrintable(describe(response)));
    QVERIFY2(answer.value("id", Json()) == Json(id), qPrintable(describe(response)));
    QVERIFY2(messageOf(answer).contains(method), qPrintable(describe(response)));
    QVERIFY2(headerOf(response, "Mcp-Session-Id").isEmpty(), qPrintable(describe(response)));
    QCOMPARE(m_harness->api().mcp().sessionCount(), sessionsBefore);
}

// --- sessions ---------------------------------------------------------------------------------

void tst_McpServer::aSessionIsNeededAndBelongsToItsAgent()
{
    const int sessions = m_harness->api().mcp().sessionCount();
    const QByteArray session = open(kV20250618);
    QVERIFY(!session.isEmpty());
    QCOMPARE(m_harness->api().mcp().sessionCount(), sessions + 1);

    // No session id after initialize.
    HttpResponse response = post(rpcRequest(41, QStringLiteral("tools/list")));
    QVERIFY2(response.status == 400, qPrintable(describe(response)));
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidRequest, qPrintable(describe(response)));
    QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String("Mcp-Session-Id")),
             qPrintable(describe(response)));
    QVERIFY2(jsonOf(response).value("id", Json()) == 41, qPrintable(describe(response)));

    // An id the server never issued.
    response = inSession("5b0c1e8e-0000-4000-8000-000000000000", QStringLiteral("tools/list"));
    QVERIFY2(response.status == 404, qPrintable(describe(response)));

    // Another agent with the same rights cannot use, read or end it.
    const Agent other = m_harness->makeAgent(QStringLiteral("other"), m_agent.scopes);
    const QByteArray otherAuth = m_harness->bearer(other);
    response = postAs(otherAuth, rpcRequest(42, QStringLiteral("tools/list")),
                      {{"mcp-session-id", session}});
    QVERIFY2(response.status == 404, qPrintable(describe(response)));
    response = m_harness->send(
        mcpRequest("GET", otherAuth, QByteArray(),
                   {{"mcp-session-id", session}, {"accept", "text/event-stream"}}));
    QVERIFY2(response.status == 404, qPrintable(describe(response)));
    response = m_harness->send(
        mcpRequest("DELETE", otherAuth, QByteArray(), {{"mcp-session-id", session}}));
    QVERIFY2(response.status == 404, qPrintable(describe(response)));
    response = inSession(session, QStringLiteral("tools/list"));
    QVERIFY2(response.status == 200 && jsonOf(response).contains("result"),
             qPrintable(describe(response)));

    // DELETE without naming a session, then the owner's DELETE, then the session is gone.
    response = m_harness->send(mcpRequest("DELETE", m_auth, QByteArray()));
    QVERIFY2(response.status == 400, qPrintable(describe(response)));
    response = m_harness->send(
        mcpRequest("DELETE", m_auth, QByteArray(), {{"mcp-session-id", session}}));
    QVERIFY2(response.status == 204 && response.body.isEmpty(), qPrintable(describe(response)));
    QCOMPARE(sessionsOpened(), 0);
    response = inSession(session, QStringLiteral("tools/list"));
    QVERIFY2(response.status == 404, qPrintable(describe(response)));
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidRequest, qPrintable(describe(response)));
    response = m_harness->send(
        mcpRequest("DELETE", m_auth, QByteArray(), {{"mcp-session-id", session}}));
    QVERIFY2(response.status == 404, qPrintable(describe(response)));
    response = m_harness->send(
        mcpRequest("GET", m_auth, QByteArray(),
                   {{"mcp-session-id", session}, {"accept", "text/event-stream"}}));
    QVERIFY2(response.status == 404, qPrintable(describe(response)));
}

// --- protocol versions ------------------------------------------------------------------------

void tst_McpServer::anUnsupportedVersionIsRefusedWithTheSupportedOnes()
{
    const QByteArray session = open(kV20251125);
    for (const Headers &extra : {Headers{}, Headers{{"mcp-session-id", session}}}) {
        Headers headers{{"mcp-protocol-version", "1999-01-01"}};
        headers += extra;
        const HttpResponse response = post(rpcRequest(77, QStringLiteral("tools/list")), headers);
        QVERIFY2(response.status == 400, qPrintable(describe(response)));
        const Json answer = jsonOf(response);
        QVERIFY2(codeOf(answer) == code::kUnsupportedVersion, qPrintable(describe(response)));
        QVERIFY2(answer.value("id", Json()) == 77, qPrintable(describe(response)));
        const Json data = answer["error"].value("data", Json());
        QVERIFY2(data.value("requested", Json()) == "1999-01-01", qPrintable(describe(response)));
        QVERIFY2(data.value("supported", Json()) == Json(supportedVersions()),
                 qPrintable(describe(response)));
    }
    // The stream refuses it too.
    const HttpResponse stream
        = m_harness->send(mcpRequest("GET", m_auth, QByteArray(),
                                     {{"mcp-session-id", session},
                                      {"accept", "text/event-stream"},
                                      {"mcp-protocol-version", "1999-01-01"}}));
    QVERIFY2(stream.status == 400 && codeOf(jsonOf(stream)) == code::kUnsupportedVersion,
             qPrintable(describe(stream)));
}

void tst_McpServer::aSessionAnswersUnderItsNegotiatedVersion()
{
    const QByteArray session = open(kV20250618);
    // Another supported session version in the header: still the session's version (here:
    // structured output, which 2025-03-26 lacks, and no tasks, which 2025-11-25 has).
    for (const QByteArray &header : {QByteArray("2025-11-25"), QByteArray("2025-03-26")}) {
        HttpResponse response = inSession(session, QStringLiteral("tools/list"), Json::object(),
                                          {{"mcp-protocol-version", header}});
        QVERIFY2(response.status == 200, qPrintable(describe(response)));
        const Json tools = jsonOf(response)["result"].value("tools", Json::array());
        QVERIFY2(!tools.empty() && tools[0].contains("title") && !tools[0].contains("execution"),
                 qPrintable(describe(response)));
        response = inSession(session, QStringLiteral("tasks/list"), Json::object(),
                             {{"mcp-protocol-version", header}});
        QVERIFY2(codeOf(jsonOf(response)) == rpc::kMethodNotFound, qPrintable(describe(response)));
    }
    // A stateless header on a session request is read as the stateless revision: without its
    // _meta it is refused.
    HttpResponse response
        = inSession(session, QStringLiteral("tools/list"), Json::object(),
                    {{"mcp-protocol-version", kStatelessHeader}, {"mcp-method", "tools/list"}});
    QVERIFY2(response.status >= 400, qPrintable(describe(response)));
    // The negotiated version, or none, is fine.
    response = inSession(session, QStringLiteral("tools/list"), Json::object(),
                         {{"mcp-protocol-version", "2025-06-18"}});
    QVERIFY2(response.status == 200 && jsonOf(response).contains("result"),
             qPrintable(describe(response)));
    response = inSession(session, QStringLiteral("tools/list"));
    QVERIFY2(response.status == 200 && jsonOf(response).contains("result"),
             qPrintable(describe(response)));
}

void tst_McpServer::statelessHeaderAndMetaMustAgree()
{
    // The header says 2026, the message another version.
    HttpResponse response
        = post(rpcRequest(5, QStringLiteral("tools/list"), withMeta(Json::object(), kV20250618)),
               statelessHeaders(QStringLiteral("tools/list"), Json::object()));
    QVERIFY2(response.status == 400, qPrintable(describe(response)));
    QVERIFY2(codeOf(jsonOf(response)) == code::kHeaderMismatch, qPrintable(describe(response)));
    QVERIFY2(jsonOf(response).value("id", Json()) == 5, qPrintable(describe(response)));

    // The message says 2026, the header another version.
    response = post(rpcRequest(6, QStringLiteral("tools/list"), withMeta()),
                    {{"mcp-protocol-version", "2025-06-18"}, {"mcp-method", "tools/list"}});
    QVERIFY2(response.status == 400, qPrintable(describe(response)));
    QVERIFY2(codeOf(jsonOf(response)) == code::kHeaderMismatch, qPrintable(describe(response)));

    // The message says 2026 and there is no header.
    response = post(rpcRequest(7, QStringLiteral("tools/list"), withMeta()),
                    {{"mcp-method", "tools/list"}});
    QVERIFY2(response.status == 400, qPrintable(describe(response)));
    QVERIFY2(codeOf(jsonOf(response)) == code::kHeaderMismatch, qPrintable(describe(response)));
    QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String("MCP-Protocol-Version")),
             qPrintable(describe(response)));

    // The header says 2026 and the message carries no _meta, or only part of it.
    const Headers headers = statelessHeaders(QStringLiteral("tools/list"), Json::object());
    response = post(rpcRequest(8, QStringLiteral("tools/list")), headers);
    QVERIFY2(response.status == 400, qPrintable(describe(response)));
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidParams, qPrintable(describe(response)));
    QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String(meta::kProtocolVersion))
                 && messageOf(jsonOf(response)).contains(QLatin1String(meta::kClientCapabilities)),
             qPrintable(describe(response)));
    QVERIFY2(jsonOf(response).value("id", Json()) == 8, qPrintable(describe(response)));
    Json partial = withMeta();
    partial["_meta"].erase(meta::kClientCapabilities);
    response = post(rpcRequest(9, QStringLiteral("tools/list"), partial), headers);
    QVERIFY2(response.status == 400, qPrintable(describe(response)));
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidParams, qPrintable(describe(response)));
    QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String(meta::kClientCapabilities))
                 && !messageOf(jsonOf(response)).contains(QLatin1String(meta::kProtocolVersion)),
             qPrintable(describe(response)));

    // All present and agreeing: answered, with no session.
    response = stateless(QStringLiteral("tools/list"));
    QVERIFY2(response.status == 200 && jsonOf(response).contains("result"),
             qPrintable(describe(response)));
    QCOMPARE(sessionsOpened(), 0);
}

void tst_McpServer::statelessMethodAndNameHeadersMustMatchTheBody()
{
    const Json call{{"name", "list_tasks"}, {"arguments", Json::object()}};
    const auto expectMismatch = [](const HttpResponse &response) {
        return response.status == 400 && codeOf(jsonOf(response)) == code::kHeaderMismatch;
    };
    const auto expectAnswer = [](const HttpResponse &response) {
        const Json answer = jsonOf(response);
        return response.status == 200 && answer.contains("result")
               && answer["result"].value("isError", true) == false;
    };

    HttpResponse response
        = stateless(QStringLiteral("tools/call"), call, {{"mcp-method", QByteArray()}});
    QVERIFY2(expectMismatch(response), qPrintable(describe(response)));
    QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String("Mcp-Method")),
             qPrintable(describe(response)));
    response = stateless(QStringLiteral("tools/call"), call, {{"mcp-method", "tools/list"}});
    QVERIFY2(expectMismatch(response), qPrintable(describe(response)));

    response = stateless(QStringLiteral("tools/call"), call, {{"mcp-name", QByteArray()}});
    QVERIFY2(expectMismatch(response), qPrintable(describe(response)));
    QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String("Mcp-Name")),
             qPrintable(describe(response)));
    response = stateless(QStringLiteral("tools/call"), call, {{"mcp-name", "get_task"}});
    QVERIFY2(expectMismatch(response), qPrintable(describe(response)));

    // Whitespace around a field value is not part of it.
    response = stateless(QStringLiteral("tools/call"), call, {{"mcp-name", "  list_tasks \t"}});
    QVERIFY2(expectAnswer(response), qPrintable(describe(response)));
    // The encoded form, when it decodes to the name.
    response = stateless(QStringLiteral("tools/call"), call,
                         {{"mcp-name", "=?base64?" + QByteArray("list_tasks").toBase64() + "?="}});
    QVERIFY2(expectAnswer(response), qPrintable(describe(response)));
    response = stateless(QStringLiteral("tools/call"), call,
                         {{"mcp-name", "=?base64?" + QByteArray("get_task").toBase64() + "?="}});
    QVERIFY2(expectMismatch(response), qPrintable(describe(response)));
    response = stateless(QStringLiteral("tools/call"), call, {{"mcp-name", "=?base64?%%%!?="}});
    QVERIFY2(expectMismatch(response), qPrintable(describe(response)));
    QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String("base64")),
             qPrintable(describe(response)));

    // resources/read names its URI.
    const Json read{{"uri", "ordinaut://tools"}};
    response = stateless(QStringLiteral("resources/read"), read);
    QVERIFY2(response.status == 200 && jsonOf(response).contains("result"),
             qPrintable(describe(response)));
    response
        = stateless(QStringLiteral("resources/read"), read, {{"mcp-name", "ordinaut://tasks/x"}});
    QVERIFY2(expectMismatch(response), qPrintable(describe(response)));
    // A method without a name needs no Mcp-Name.
    response = stateless(QStringLiteral("tools/list"));
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
}

void tst_McpServer::initializeNegotiatesTheVersion()
{
    struct Case
    {
        QString asked;
        QString given;
    };
    QSet<QByteArray> ids;
    for (const Case &c :
         {Case{kV20250618, kV20250618}, Case{kV20250326, kV20250326}, Case{kV20251125, kV20251125},
          Case{QStringLiteral("2099-01-01"), kV20251125},
          Case{QStringLiteral("2026-07-28"), kV20251125}}) {
        Json result;
        const QByteArray session = open(c.asked, QByteArray(), &result);
        QVERIFY2(result.value("protocolVersion", Json()) == Json(c.given),
                 qPrintable(c.asked + QStringLiteral(" → ") + dump(result)));
        QVERIFY2(result.value("serverInfo", Json()).value("name", Json()) == "ordinaut",
                 qPrintable(dump(result)));
        QVERIFY2(result.value("capabilities", Json()).is_object(), qPrintable(dump(result)));
        // The session id: visible ASCII (0x21…0x7E) only, and new each time.
        QVERIFY(!session.isEmpty());
        for (const char ch : session)
            QVERIFY2(ch >= 0x21 && ch <= 0x7e, session.constData());
        QVERIFY2(!ids.contains(session), session.constData());
        ids.insert(session);
        // It works at the version agreed.
        const HttpResponse ping = inSession(session, QStringLiteral("ping"), Json::object(),
                                            {{"mcp-protocol-version", c.given.toUtf8()}});
        QVERIFY2(ping.status == 200, qPrintable(describe(ping)));
    }
    QCOMPARE(sessionsOpened(), 5);

    // initialize must be a request.
    const HttpResponse note = post(Json{{"jsonrpc", "2.0"},
                                        {"method", "initialize"},
                                        {"params", {{"protocolVersion", "2025-06-18"}}}});
    QVERIFY2(note.status == 400 && codeOf(jsonOf(note)) == rpc::kInvalidRequest,
             qPrintable(describe(note)));
    QCOMPARE(sessionsOpened(), 5);
}

void tst_McpServer::capabilitiesDependOnTheVersion()
{
    for (const QString &version : sessionVersions()) {
        Json result;
        open(version, QByteArray(), &result);
        const Json caps = result.value("capabilities", Json::object());
        QVERIFY2(caps.value("tools", Json()).value("listChanged", Json()) == true,
                 qPrintable(version + QLatin1Char(' ') + dump(caps)));
        QVERIFY2(caps.value("resources", Json()).value("subscribe", Json()) == true,
                 qPrintable(version + QLatin1Char(' ') + dump(caps)));
        QVERIFY2(caps.contains("prompts") && caps.contains("logging"),
                 qPrintable(version + QLatin1Char(' ') + dump(caps)));
        // MCP tasks arrived with 2025-11-25: no earlier session may be offered them.
        if (version == kV20251125)
            QVERIFY2(caps.value("tasks", Json())
                         .value("requests", Json())
                         .value("tools", Json())
                         .contains("call"),
                     qPrintable(version + QLatin1Char(' ') + dump(caps)));
        else
            QVERIFY2(!caps.contains("tasks"), qPrintable(version + QLatin1Char(' ') + dump(caps)));
    }
    // server/discover names every version, the stateless one first.
    const HttpResponse discover = stateless(QStringLiteral("server/discover"));
    const Json result = jsonOf(discover).value("result", Json());
    QVERIFY2(result.value("supportedVersions", Json()) == Json(supportedVersions()),
             qPrintable(describe(discover)));
    QVERIFY2(result.value("capabilities", Json()).contains("tools"),
             qPrintable(describe(discover)));
}

void tst_McpServer::everyAdvertisedCapabilityIsServed()
{
    // Each capability a session is offered, and a request that uses it: none may be answered
    // "method not found".
    struct Probe
    {
        const char *capability;
        const char *member; // within the capability; null: the capability itself
        const char *method;
        const char *params;
    };
    const Probe probes[] = {
        {"tools", nullptr, "tools/list", "{}"},
        {"resources", nullptr, "resources/list", "{}"},
        {"resources", "subscribe", "resources/subscribe", R"({"uri": "ordinaut://tools"})"},
        {"prompts", nullptr, "prompts/list", "{}"},
        {"logging", nullptr, "logging/setLevel", R"({"level": "warning"})"},
        {"completions", nullptr, "completion/complete",
         R"({"ref": {"type": "ref/prompt", "name": "schedule-a-briefing"},
             "argument": {"name": "timezone", "value": "Europe/"}})"},
        {"tasks", "list", "tasks/list", "{}"},
        {"tasks", "cancel", "tasks/cancel", R"({"taskId": "no-such-task"})"},
    };
    for (const QString &version : sessionVersions()) {
        Json result;
        const QByteArray session = open(version, QByteArray(), &result);
        const Json caps = result.value("capabilities", Json::object());
        for (const Probe &probe : probes) {
            if (!caps.contains(probe.capability))
                continue;
            if (probe.member && !caps[probe.capability].contains(probe.member))
                continue;
            const HttpResponse response
                = inSession(session, QLatin1String(probe.method), *parseJson(probe.params));
            QVERIFY2(response.status == 200 && codeOf(jsonOf(response)) != rpc::kMethodNotFound,
                     qPrintable(QStringLiteral("%1 advertises %2 but %3 answers %4")
                                    .arg(version, dump(caps[probe.capability]),
                                         QLatin1String(probe.method), describe(response))));
        }
    }
}

// --- transport --------------------------------------------------------------------------------

void tst_McpServer::batchesOnlyIn20250326()
{
    const Json batch = Json::array({rpcRequest(1, QStringLiteral("ping")),
                                    rpcNotification(QStringLiteral("notifications/initialized")),
                                    rpcRequest(2, QStringLiteral("tools/list"))});
    // Later sessions: refused whether the version header is sent or not.
    for (const QString &version : {QString(kV20250618), QString(kV20251125)}) {
        const QByteArray session = open(version);
        for (const Headers &headers :
             {Headers{{"mcp-session-id", session}},
              Headers{{"mcp-session-id", session}, {"mcp-protocol-version", version.toUtf8()}}}) {
            const HttpResponse response = post(batch, headers);
            QVERIFY2(response.status == 400,
                     qPrintable(version + QLatin1Char(' ') + describe(response)));
            QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidRequest,
                     qPrintable(describe(response)));
            QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String("batch")),
                     qPrintable(describe(response)));
        }
    }
    // The stateless revision: one message per request.
    HttpResponse response
        = post(Json::array({rpcRequest(3, QStringLiteral("tools/list"), withMeta())}),
               statelessHeaders(QStringLiteral("tools/list"), Json::object()));
    QVERIFY2(response.status == 400 && codeOf(jsonOf(response)) == rpc::kInvalidRequest,
             qPrintable(describe(response)));

    // 2025-03-26: an array of the answers, in order, none for the notification.
    const QByteArray session = open(kV20250326);
    for (const Headers &headers :
         {Headers{{"mcp-session-id", session}},
          Headers{{"mcp-session-id", session}, {"mcp-protocol-version", "2025-03-26"}}}) {
        response = post(batch, headers);
        QVERIFY2(response.status == 200, qPrintable(describe(response)));
        const Json answers = jsonOf(response);
        QVERIFY2(answers.is_array() && answers.size() == 2, qPrintable(describe(response)));
        QVERIFY2(answers[0].value("id", Json()) == 1 && answers[0].contains("result"),
                 qPrintable(describe(response)));
        QVERIFY2(answers[1].value("id", Json()) == 2
                     && answers[1].value("result", Json()).contains("tools"),
                 qPrintable(describe(response)));
    }
    // A batch of notifications only: accepted, nothing to answer.
    response = post(Json::array({rpcNotification(QStringLiteral("notifications/initialized")),
                                 rpcNotification(QStringLiteral("notifications/cancelled"))}),
                    {{"mcp-session-id", session}});
    QVERIFY2(response.status == 202 && response.body.isEmpty(), qPrintable(describe(response)));
    // A member that is no message is answered with its error; the others are served.
    response = post(Json::array({rpcRequest(41, QStringLiteral("ping")), 5,
                                 Json{{"jsonrpc", "1.0"}, {"id", 42}, {"method", "ping"}}}),
                    {{"mcp-session-id", session}});
    const Json mixed = jsonOf(response);
    QVERIFY2(response.status == 200 && mixed.is_array() && mixed.size() == 3,
             qPrintable(describe(response)));
    int errors = 0;
    bool pinged = false;
    for (const Json &answer : mixed) {
        errors += codeOf(answer) == rpc::kInvalidRequest;
        pinged = pinged || (answer.value("id", Json()) == 41 && answer.contains("result"));
    }
    QVERIFY2(errors == 2 && pinged, qPrintable(describe(response)));
    // Empty.
    response = post(Json::array(), {{"mcp-session-id", session}});
    QVERIFY2(response.status == 400 && codeOf(jsonOf(response)) == rpc::kInvalidRequest,
             qPrintable(describe(response)));
    // initialize never travels in a batch.
    const int sessions = m_harness->api().mcp().sessionCount();
    response = post(Json::array(
        {rpcRequest(4, QStringLiteral("initialize"),
                    Json{{"protocolVersion", "2025-03-26"}, {"capabilities", Json::object()}}),
         rpcRequest(5, QStringLiteral("ping"))}));
    QVERIFY2(response.status == 400 && codeOf(jsonOf(response)) == rpc::kInvalidRequest,
             qPrintable(describe(response)));
    QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String("initialize")),
             qPrintable(describe(response)));
    QVERIFY2(headerOf(response, "Mcp-Session-Id").isEmpty(), qPrintable(describe(response)));
    QCOMPARE(m_harness->api().mcp().sessionCount(), sessions);
}

void tst_McpServer::oversizedMessagesAreRefused()
{
    const QByteArray session = open(kV20251125);
    // HTTP: the API's body limit comes first (problem details, not JSON-RPC).
    const auto padded = [this](qsizetype bytes) {
        Json message = rpcRequest(m_nextId++, QStringLiteral("ping"),
                                  Json{{"pad", std::string(size_t(bytes), 'x')}});
        return message;
    };
    HttpResponse response = post(padded(HttpApi::kMaxBodyBytes), {{"mcp-session-id", session}});
    QVERIFY2(response.status == 413, qPrintable(describe(response).left(300)));
    QCOMPARE(response.contentType, QByteArray("application/problem+json"));
    // Just under it: answered.
    response = post(padded(HttpApi::kMaxBodyBytes - 200), {{"mcp-session-id", session}});
    QVERIFY2(response.status == 200 && jsonOf(response).contains("result"),
             qPrintable(describe(response).left(300)));

    // stdio: JsonRpc's own limit; one error is written and nothing happens.
    Transcript transcript;
    StdioEndpoint stdio(m_harness->api().mcp(), m_agent,
                        [&transcript](const QByteArray &json) { transcript.write(json); });
    const int sessions = m_harness->api().mcp().sessionCount();
    const Json client{{"name", std::string(size_t(JsonRpc::kMaxMessageBytes), 'n')},
                      {"version", "1"}};
    const Json huge = rpcRequest(1, QStringLiteral("initialize"),
                                 Json{{"protocolVersion", "2025-06-18"},
                                      {"capabilities", Json::object()},
                                      {"clientInfo", client}});
    stdio.receive(dumpJson(huge));
    QCOMPARE(transcript.size(), 1);
    const Json refusal = transcript.last();
    QVERIFY2(codeOf(refusal) == rpc::kInvalidRequest || codeOf(refusal) == rpc::kParseError,
             qPrintable(dump(refusal).left(300)));
    QVERIFY2(messageOf(refusal).contains(QString::number(JsonRpc::kMaxMessageBytes)),
             qPrintable(dump(refusal).left(300)));
    QCOMPARE(m_harness->api().mcp().sessionCount(), sessions);
    // It opened nothing: the conversation is still uninitialized.
    stdio.receive(dumpJson(rpcRequest(2, QStringLiteral("ping"))));
    QCOMPARE(transcript.size(), 2);
    QVERIFY2(codeOf(transcript.last()) == rpc::kInvalidRequest,
             qPrintable(dump(transcript.last())));
    // Larger than HTTP allows but within stdio's limit: answered.
    stdio.receive(dumpJson(
        rpcRequest(3, QStringLiteral("initialize"),
                   Json{{"protocolVersion", "2025-06-18"}, {"capabilities", Json::object()}})));
    QCOMPARE(transcript.size(), 3);
    QVERIFY2(transcript.last().contains("result"), qPrintable(dump(transcript.last())));
    stdio.receive(dumpJson(
        rpcRequest(4, QStringLiteral("ping"), Json{{"pad", std::string(2 * 1024 * 1024, 'x')}})));
    QCOMPARE(transcript.size(), 4);
    QVERIFY2(transcript.last().value("id", Json()) == 4 && transcript.last().contains("result"),
             qPrintable(dump(transcript.last()).left(300)));
}

void tst_McpServer::notificationsAndResponsesAreAcceptedWithoutABody()
{
    const QByteArray session = open(kV20251125);
    const Headers inIt{{"mcp-session-id", session}};
    for (const Json &message :
         {rpcNotification(QStringLiteral("notifications/initialized")),
          Json{{"jsonrpc", "2.0"},
               {"method", "notifications/cancelled"},
               {"params", {{"requestId", 3}}}},
          Json{{"jsonrpc", "2.0"}, {"id", 99}, {"result", Json::object()}},
          Json{{"jsonrpc", "2.0"},
               {"id", "s-1"},
               {"error", {{"code", -32601}, {"message", "no roots here"}}}}}) {
        const HttpResponse response = post(message, inIt);
        QVERIFY2(response.status == 202 && response.body.isEmpty(),
                 qPrintable(dump(message) + QStringLiteral(" → ") + describe(response)));
    }
    // The stateless revision's notifications too.
    Json note = rpcNotification(QStringLiteral("notifications/cancelled"));
    note["params"] = withMeta(Json{{"requestId", 3}});
    const HttpResponse response
        = post(note, statelessHeaders(QStringLiteral("notifications/cancelled"), Json::object()));
    QVERIFY2(response.status == 202 && response.body.isEmpty(), qPrintable(describe(response)));
}

void tst_McpServer::mediaTypesAndMethodsAreChecked()
{
    const QByteArray session = open(kV20251125);
    const QByteArray ping = dumpJson(rpcRequest(1, QStringLiteral("ping")));
    HttpRequest request = mcpRequest("POST", m_auth, ping, {{"mcp-session-id", session}});
    request.headers.insert("content-type", "text/plain");
    HttpResponse response = m_harness->send(request);
    QVERIFY2(response.status == 415, qPrintable(describe(response)));
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidRequest, qPrintable(describe(response)));

    response = m_harness->send(
        mcpRequest("POST", m_auth, ping, {{"mcp-session-id", session}, {"accept", "text/html"}}));
    QVERIFY2(response.status == 406, qPrintable(describe(response)));
    for (const QByteArray &accept :
         {QByteArray("*/*"), QByteArray("application/json"), QByteArray("text/event-stream")}) {
        response = m_harness->send(
            mcpRequest("POST", m_auth, ping, {{"mcp-session-id", session}, {"accept", accept}}));
        QVERIFY2(response.status == 200,
                 qPrintable(QString::fromLatin1(accept) + QLatin1Char(' ') + describe(response)));
    }
    request = mcpRequest("POST", m_auth, ping, {{"mcp-session-id", session}});
    request.headers.insert("content-type", "application/json; charset=utf-8");
    response = m_harness->send(request);
    QVERIFY2(response.status == 200, qPrintable(describe(response)));

    // GET is a stream: it must accept one, belong to a session, and not be 2026's.
    response = m_harness->send(
        mcpRequest("GET", m_auth, QByteArray(),
                   {{"mcp-session-id", session}, {"accept", "application/json"}}));
    QVERIFY2(response.status == 406, qPrintable(describe(response)));
    response = m_harness->send(
        mcpRequest("GET", m_auth, QByteArray(), {{"accept", "text/event-stream"}}));
    QVERIFY2(response.status == 400, qPrintable(describe(response)));
    response = m_harness->send(
        mcpRequest("GET", m_auth, QByteArray(),
                   {{"accept", "text/event-stream"}, {"mcp-protocol-version", kStatelessHeader}}));
    QVERIFY2(response.status == 405, qPrintable(describe(response)));
    QCOMPARE(headerOf(response, "Allow"), QByteArray("POST"));
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidRequest, qPrintable(describe(response)));
    // Other HTTP methods are not routes.
    response = m_harness->send(mcpRequest("PUT", m_auth, ping));
    QVERIFY2(response.status == 405, qPrintable(describe(response)));
}

// --- auth -------------------------------------------------------------------------------------

void tst_McpServer::anonymousAccessOnlyFromLoopbackAndOnlyToRead()
{
    const Json initialize
        = rpcRequest(1, QStringLiteral("initialize"),
                     Json{{"protocolVersion", "2025-06-18"}, {"capabilities", Json::object()}});
    // Off by default: a credential is needed.
    HttpResponse response = m_harness->send(mcpRequest("POST", QByteArray(), dumpJson(initialize)));
    QVERIFY2(response.status == 401, qPrintable(describe(response)));
    QVERIFY2(!headerOf(response, "WWW-Authenticate").isEmpty(), qPrintable(describe(response)));
    QCOMPARE(response.contentType, QByteArray("application/problem+json"));
    response = m_harness->send(mcpRequest("POST", "Bearer not-a-token", dumpJson(initialize)));
    QVERIFY2(response.status == 401, qPrintable(describe(response)));
    QCOMPARE(sessionsOpened(), 0);

    m_harness->api().allowAnonymousMcp(true);
    // Not from another machine.
    HttpRequest remote = mcpRequest("POST", QByteArray(), dumpJson(initialize));
    remote.peer = QStringLiteral("192.0.2.7");
    response = m_harness->send(remote);
    QVERIFY2(response.status == 401, qPrintable(describe(response)));
    // Nor on the REST routes.
    response = m_harness->call("GET", QStringLiteral("/api/v1/tasks"), QByteArray());
    QVERIFY2(response.status == 401, qPrintable(describe(response)));

    // From loopback: a session, read tools only.
    const int tasksBefore = taskCount();
    const int anonymousCalls
        = auditRows(QStringLiteral("anonymous"), QStringLiteral("mcp.tool.call"));
    response = m_harness->send(mcpRequest("POST", QByteArray(), dumpJson(initialize)));
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    const QByteArray session = headerOf(response, "Mcp-Session-Id");
    QVERIFY(!session.isEmpty());
    response = m_harness->send(mcpRequest("POST", QByteArray(),
                                          dumpJson(rpcRequest(2, QStringLiteral("tools/list"))),
                                          {{"mcp-session-id", session}}));
    const QSet<QString> names = toolNames(jsonOf(response).value("result", Json()));
    QVERIFY2(names.contains(QStringLiteral("list_tasks"))
                 && names.contains(QStringLiteral("get_run")),
             qPrintable(describe(response)));
    for (const char *writer : {"create_task", "update_task", "delete_task", "run_task_now",
                               "publish_event", "approve_run"})
        QVERIFY2(!names.contains(QLatin1String(writer)), writer);
    response = m_harness->send(mcpRequest(
        "POST", QByteArray(),
        dumpJson(rpcRequest(
            3, QStringLiteral("tools/call"),
            Json{{"name", "create_task"}, {"arguments", taskArguments(QStringLiteral("sneaky"))}})),
        {{"mcp-session-id", session}}));
    const Json result = jsonOf(response).value("result", Json());
    QVERIFY2(response.status == 200 && result.value("isError", false) == true,
             qPrintable(describe(response)));
    QVERIFY2(resultText(result).contains(QLatin1String("tasks:write")),
             qPrintable(describe(response)));
    QCOMPARE(taskCount(), tasksBefore);
    // The refused call is on record, as the anonymous caller's.
    QCOMPARE(auditRows(QStringLiteral("anonymous"), QStringLiteral("mcp.tool.call")),
             anonymousCalls + 1);

    // The stateless revision too, and still read-only.
    HttpRequest discover = mcpRequest(
        "POST", QByteArray(), dumpJson(rpcRequest(4, QStringLiteral("tools/list"), withMeta())),
        statelessHeaders(QStringLiteral("tools/list"), Json::object()));
    response = m_harness->send(discover);
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    QVERIFY2(!toolNames(jsonOf(response).value("result", Json()))
                  .contains(QStringLiteral("create_task")),
             qPrintable(describe(response)));
    discover.peer = QStringLiteral("10.1.2.3");
    response = m_harness->send(discover);
    QVERIFY2(response.status == 401, qPrintable(describe(response)));

    // A credential still counts when given: the agent, not the anonymous one.
    response = post(rpcRequest(5, QStringLiteral("tools/list")), {{"mcp-session-id", session}});
    QVERIFY2(response.status == 404, qPrintable(describe(response)));
}

// --- tools ------------------------------------------------------------------------------------

void tst_McpServer::toolsFollowTheAgentsScopes()
{
    const auto toolsOf = [this](const QStringList &scopes) {
        const Agent agent = m_harness->makeAgent(scopes.join(QLatin1Char('+')), scopes);
        const QByteArray auth = m_harness->bearer(agent);
        const QByteArray session = open(kV20250618, auth);
        const HttpResponse response = postAs(auth, rpcRequest(1, QStringLiteral("tools/list")),
                                             {{"mcp-session-id", session}});
        if (response.status != 200)
            qWarning("tools/list: %s", qPrintable(describe(response)));
        return toolNames(jsonOf(response).value("result", Json()));
    };
    const QSet<QString> readTasks{QStringLiteral("list_tasks"), QStringLiteral("get_task"),
                                  QStringLiteral("preview_schedule"), QStringLiteral("list_tools"),
                                  QStringLiteral("validate_pipeline")};
    QSet<QString> names = toolsOf({scopes::kTasksRead});
    QVERIFY2(names == readTasks, qPrintable(QStringList(names.values()).join(QLatin1Char(' '))));

    names = toolsOf({scopes::kTasksRead, scopes::kRunsRead});
    QVERIFY2(
        names
            == (readTasks | QSet<QString>{QStringLiteral("list_runs"), QStringLiteral("get_run")}),
        qPrintable(QStringList(names.values()).join(QLatin1Char(' '))));
    QVERIFY(!names.contains(QStringLiteral("approve_run")));
    QVERIFY(!names.contains(QStringLiteral("reject_run")));

    names = toolsOf({scopes::kApprovalsWrite});
    QVERIFY2(names == (QSet<QString>{QStringLiteral("approve_run"), QStringLiteral("reject_run")}),
             qPrintable(QStringList(names.values()).join(QLatin1Char(' '))));

    names = toolsOf({scopes::kAll});
    QCOMPARE(int(names.size()), int(toolSpecs().size()));
}

void tst_McpServer::toolDefinitionsAreCompleteForEachVersion()
{
    const Agent admin = m_harness->makeAgent(QStringLiteral("admin"), {scopes::kAll});
    const QByteArray auth = m_harness->bearer(admin);
    for (const QString &version : {QString(kV20250618), QString(kV20251125), QString(kV20250326)}) {
        const QByteArray session = open(version, auth);
        const HttpResponse response = postAs(auth, rpcRequest(1, QStringLiteral("tools/list")),
                                             {{"mcp-session-id", session}});
        const Json tools = jsonOf(response).value("result", Json()).value("tools", Json());
        QVERIFY2(tools.is_array() && tools.size() == toolSpecs().size(),
                 qPrintable(describe(response).left(400)));
        for (const Json &tool : tools) {
            const QString where = version + QLatin1Char(' ') + dump(tool).left(300);
            QVERIFY2(tool.value("name", Json()).is_string(), qPrintable(where));
            QVERIFY2(!tool.value("description", std::string()).empty(), qPrintable(where));
            const Json input = tool.value("inputSchema", Json());
            QVERIFY2(input.value("type", Json()) == "object", qPrintable(where));
            QVERIFY2(input.value("properties", Json()).is_object(), qPrintable(where));
            QVERIFY2(input.value("additionalProperties", Json()) == false, qPrintable(where));
            for (const Json &required : input.value("required", Json::array()))
                QVERIFY2(input["properties"].contains(required.get<std::string>()),
                         qPrintable(where));
            const Json annotations = tool.value("annotations", Json());
            QVERIFY2(annotations.value("readOnlyHint", Json()).is_boolean(), qPrintable(where));
            QVERIFY2(annotations.value("destructiveHint", Json()).is_boolean(), qPrintable(where));
            if (version == kV20250326) {
                QVERIFY2(!tool.contains("outputSchema") && !tool.contains("title"),
                         qPrintable(where));
            } else {
                QVERIFY2(tool.value("title", Json()).is_string(), qPrintable(where));
                if (tool.contains("outputSchema"))
                    QVERIFY2(tool["outputSchema"].value("type", Json()) == "object",
                             qPrintable(where));
            }
        }
        const Json *create = toolNamed(tools, "create_task");
        const Json *get = toolNamed(tools, "get_task");
        const Json *remove = toolNamed(tools, "delete_task");
        const Json *preview = toolNamed(tools, "preview_schedule");
        QVERIFY(create && get && remove && preview);
        QVERIFY2((*create)["inputSchema"]["properties"].contains("title")
                     && (*create)["inputSchema"]["properties"].contains("payload"),
                 qPrintable(dump(*create).left(400)));
        QVERIFY2((*get)["inputSchema"].value("required", Json::array()) == Json::array({"id"}),
                 qPrintable(dump(*get).left(400)));
        QVERIFY((*get)["annotations"]["readOnlyHint"] == true);
        QVERIFY((*preview)["annotations"]["readOnlyHint"] == true);
        QVERIFY((*create)["annotations"]["readOnlyHint"] == false);
        QVERIFY((*remove)["annotations"]["readOnlyHint"] == false);
        QVERIFY((*remove)["annotations"]["destructiveHint"] == true);
        if (version != kV20250326) {
            QVERIFY2(create->contains("outputSchema") && get->contains("outputSchema"),
                     qPrintable(version));
        }
    }
}

void tst_McpServer::toolCallsGoThroughTheRoutesAndAreAudited()
{
    const QString actor = QStringLiteral("agent:") + m_agent.id;
    const QByteArray session = open(kV20250618);
    const auto callTool = [&](const char *name, const Json &arguments, const QByteArray &in) {
        const HttpResponse response = inSession(in, QStringLiteral("tools/call"),
                                                Json{{"name", name}, {"arguments", arguments}});
        if (response.status != 200)
            qWarning("tools/call: %s", qPrintable(describe(response)));
        return jsonOf(response);
    };

    // A good call: the task exists, and the answer is the REST answer.
    Json answer = callTool("create_task", taskArguments(QStringLiteral("From MCP")), session);
    Json result = answer.value("result", Json());
    QVERIFY2(result.value("isError", true) == false, qPrintable(dump(answer)));
    const QString id = qs(result.value("structuredContent", Json()).value("id", std::string()));
    QVERIFY2(!id.isEmpty(), qPrintable(dump(answer)));
    const Result<Task> task = m_harness->services().tasks.get(id);
    QVERIFY2(task, qPrintable(dump(answer)));
    QCOMPARE(task->title, QStringLiteral("From MCP"));
    QCOMPARE(task->createdBy, actor);
    QVERIFY2(parseJson(resultText(result).toUtf8()).value_or(Json()).value("id", std::string())
                 == id.toStdString(),
             qPrintable(dump(answer)));
    QCOMPARE(auditRows(actor, QStringLiteral("mcp.tool.call")), 1);
    QCOMPARE(auditRows(actor, QStringLiteral("task.create")), 1);
    std::vector<Event> called = events(QStringLiteral("mcp.tool.called"));
    QCOMPARE(int(called.size()), 1);
    QVERIFY2(called[0].payload.value("tool", Json()) == "create_task"
                 && called[0].payload.value("agent_id", Json()) == Json(m_agent.id)
                 && called[0].payload.value("subject", Json()) == Json(id)
                 && called[0].payload.value("ok", Json()) == true,
             qPrintable(dump(called[0].payload)));

    // A bad field: isError naming it, nothing made, and still audited.
    const int tasks = taskCount();
    Json badTitle = taskArguments(QStringLiteral("x"));
    badTitle["title"] = 5;
    answer = callTool("create_task", badTitle, session);
    result = answer.value("result", Json());
    QVERIFY2(!answer.contains("error") && result.value("isError", false) == true,
             qPrintable(dump(answer)));
    QVERIFY2(resultText(result).contains(QLatin1String("title")), qPrintable(dump(answer)));
    QCOMPARE(taskCount(), tasks);
    QCOMPARE(auditRows(actor, QStringLiteral("mcp.tool.call")), 2);
    called = events(QStringLiteral("mcp.tool.called"));
    QCOMPARE(int(called.size()), 2);
    QVERIFY2(called[1].payload.value("ok", Json()) == false, qPrintable(dump(called[1].payload)));

    // An argument the tool does not take.
    Json extra = taskArguments(QStringLiteral("y"));
    extra["colour"] = "teal";
    answer = callTool("create_task", extra, session);
    result = answer.value("result", Json());
    QVERIFY2(result.value("isError", false) == true, qPrintable(dump(answer)));
    QVERIFY2(resultText(result).contains(QLatin1String("colour")), qPrintable(dump(answer)));
    QCOMPARE(taskCount(), tasks);
    QCOMPARE(auditRows(actor, QStringLiteral("mcp.tool.call")), 3);

    // A missing path argument, and an id that names nothing.
    answer = callTool("get_task", Json::object(), session);
    QVERIFY2(answer["result"].value("isError", false) == true
                 && resultText(answer["result"]).contains(QLatin1String("id")),
             qPrintable(dump(answer)));
    answer = callTool("get_task", Json{{"id", "no-such-task"}}, session);
    QVERIFY2(answer["result"].value("isError", false) == true, qPrintable(dump(answer)));
    answer = callTool("get_task", Json{{"id", id}}, session);
    QVERIFY2(answer["result"].value("isError", true) == false
                 && answer["result"]["structuredContent"].value("id", std::string())
                        == id.toStdString(),
             qPrintable(dump(answer)));

    // An unknown tool is a protocol error, not a tool result.
    answer = callTool("make_coffee", Json::object(), session);
    QVERIFY2(codeOf(answer) == rpc::kInvalidParams, qPrintable(dump(answer)));
    QVERIFY2(messageOf(answer).contains(QLatin1String("make_coffee")), qPrintable(dump(answer)));

    // 2025-03-26 has no structured content.
    const QByteArray old = open(kV20250326);
    answer = callTool("get_task", Json{{"id", id}}, old);
    QVERIFY2(answer["result"].value("isError", true) == false
                 && !answer["result"].contains("structuredContent")
                 && resultText(answer["result"]).contains(id),
             qPrintable(dump(answer)));

    // Every call is one audit row and one event, by this agent.
    QCOMPARE(auditRows(actor, QStringLiteral("mcp.tool.call")), 7);
    QCOMPARE(int(events(QStringLiteral("mcp.tool.called")).size()), 7);
}

// --- resources --------------------------------------------------------------------------------

void tst_McpServer::resourcesAreListedReadAndTemplated()
{
    const QString id = makeTask(QStringLiteral("Readable"));
    QVERIFY(!id.isEmpty());
    const QString uri = QStringLiteral("ordinaut://tasks/") + id;
    const QByteArray session = open(kV20251125);

    HttpResponse response = inSession(session, QStringLiteral("resources/list"));
    const Json resources = jsonOf(response).value("result", Json()).value("resources", Json());
    QVERIFY2(resources.is_array(), qPrintable(describe(response)));
    QSet<QString> uris;
    for (const Json &resource : resources)
        uris.insert(qs(resource.value("uri", std::string())));
    QVERIFY2(uris.contains(QStringLiteral("ordinaut://tools")) && uris.contains(uri),
             qPrintable(describe(response)));

    response = inSession(session, QStringLiteral("resources/read"), Json{{"uri", uri}});
    Json contents = jsonOf(response).value("result", Json()).value("contents", Json());
    QVERIFY2(contents.is_array() && contents.size() == 1, qPrintable(describe(response)));
    QVERIFY2(contents[0].value("uri", Json()) == Json(uri)
                 && contents[0].value("mimeType", Json()) == "application/json",
             qPrintable(describe(response)));
    const Json read
        = parseJson(qs(contents[0].value("text", std::string())).toUtf8()).value_or(Json());
    QVERIFY2(read.value("id", Json()) == Json(id) && read.value("title", Json()) == "Readable",
             qPrintable(describe(response)));

    response
        = inSession(session, QStringLiteral("resources/read"), Json{{"uri", "ordinaut://tools"}});
    contents = jsonOf(response).value("result", Json()).value("contents", Json());
    QVERIFY2(contents.is_array() && contents.size() == 1
                 && parseJson(qs(contents[0].value("text", std::string())).toUtf8()).has_value(),
             qPrintable(describe(response).left(300)));

    // Unknown: the session revisions' own code, naming the URI.
    for (const char *unknown : {"ordinaut://tasks/no-such-task", "ordinaut://tasks/a/b",
                                "https://example.com/x", "ordinaut://gadgets/1"}) {
        response = inSession(session, QStringLiteral("resources/read"), Json{{"uri", unknown}});
        const Json answer = jsonOf(response);
        QVERIFY2(response.status == 200 && codeOf(answer) == code::kResourceNotFound,
                 qPrintable(describe(response)));
        QVERIFY2(answer["error"].value("data", Json()).value("uri", Json()) == unknown,
                 qPrintable(describe(response)));
    }
    // …and the stateless revision's: invalid params, 400.
    response = stateless(QStringLiteral("resources/read"),
                         Json{{"uri", "ordinaut://tasks/no-such-task"}});
    QVERIFY2(response.status == 400 && codeOf(jsonOf(response)) == rpc::kInvalidParams,
             qPrintable(describe(response)));
    QVERIFY2(jsonOf(response)["error"].value("data", Json()).value("uri", Json())
                 == "ordinaut://tasks/no-such-task",
             qPrintable(describe(response)));
    response = stateless(QStringLiteral("resources/read"), Json{{"uri", uri}});
    QVERIFY2(response.status == 200 && jsonOf(response).contains("result"),
             qPrintable(describe(response)));

    // A reader without tasks:read sees no tasks.
    const Agent runsOnly = m_harness->makeAgent(QStringLiteral("runs only"), {scopes::kRunsRead});
    const QByteArray runsAuth = m_harness->bearer(runsOnly);
    const QByteArray runsSession = open(kV20251125, runsAuth);
    response = postAs(runsAuth, rpcRequest(1, QStringLiteral("resources/read"), Json{{"uri", uri}}),
                      {{"mcp-session-id", runsSession}});
    QVERIFY2(codeOf(jsonOf(response)) != 0, qPrintable(describe(response)));
    QVERIFY2(!response.body.contains("Readable"), qPrintable(describe(response)));

    // Templates: one for tasks, one for runs.
    response = inSession(session, QStringLiteral("resources/templates/list"));
    const Json templates
        = jsonOf(response).value("result", Json()).value("resourceTemplates", Json());
    QSet<QString> patterns;
    for (const Json &t : templates)
        patterns.insert(qs(t.value("uriTemplate", std::string())));
    QVERIFY2(patterns
                 == (QSet<QString>{QStringLiteral("ordinaut://tasks/{id}"),
                                   QStringLiteral("ordinaut://runs/{id}")}),
             qPrintable(describe(response)));
}

void tst_McpServer::subscriptionsNotifyOnlyTheSessionThatAsked()
{
    const QString id = makeTask(QStringLiteral("Watched"));
    QVERIFY(!id.isEmpty());
    const QString uri = QStringLiteral("ordinaut://tasks/") + id;
    const QByteArray watcher = open(kV20251125);
    const QByteArray bystander = open(kV20251125);
    const auto outboxOf = [this](const QByteArray &session) {
        const std::shared_ptr<Session> found
            = m_harness->api().mcp().session(QString::fromLatin1(session), m_agent.id);
        return found ? found->outbox : nullptr;
    };
    QVERIFY(outboxOf(watcher) && outboxOf(bystander));
    Heard heard(outboxOf(watcher));
    Heard overheard(outboxOf(bystander));

    // Something that does not exist cannot be watched.
    HttpResponse response = inSession(watcher, QStringLiteral("resources/subscribe"),
                                      Json{{"uri", "ordinaut://tasks/no-such-task"}});
    QVERIFY2(codeOf(jsonOf(response)) == code::kResourceNotFound, qPrintable(describe(response)));

    response = inSession(watcher, QStringLiteral("resources/subscribe"), Json{{"uri", uri}});
    QVERIFY2(response.status == 200 && jsonOf(response).value("result", Json()) == Json::object(),
             qPrintable(describe(response)));
    QCOMPARE(heard.updatesOf(uri), 0);

    const QString user = QStringLiteral("user");
    QVERIFY(m_harness->services().tasks.pause(id, user));
    QTRY_COMPARE_WITH_TIMEOUT(heard.updatesOf(uri), 1, 2000);
    QCOMPARE(overheard.updatesOf(uri), 0);
    // Another task's change is not this subscription's.
    const QString otherId = makeTask(QStringLiteral("Unwatched"));
    QVERIFY(m_harness->services().tasks.pause(otherId, user));
    QCOMPARE(heard.updatesOf(QStringLiteral("ordinaut://tasks/") + otherId), 0);

    response = inSession(watcher, QStringLiteral("resources/unsubscribe"), Json{{"uri", uri}});
    QVERIFY2(response.status == 200 && jsonOf(response).contains("result"),
             qPrintable(describe(response)));
    QVERIFY(m_harness->services().tasks.resume(id, user));
    QTest::qWait(50);
    QCOMPARE(heard.updatesOf(uri), 1);
    QCOMPARE(overheard.updatesOf(uri), 0);
}

void tst_McpServer::runLogsAndToolChangesReachOnlyTheAgentsSessions()
{
    const QString taskId = makeTask(QStringLiteral("Logged"));
    const Agent other = m_harness->makeAgent(QStringLiteral("other"), m_agent.scopes);
    const QByteArray otherAuth = m_harness->bearer(other);
    const QByteArray mine = open(kV20251125);
    const QByteArray theirs = open(kV20251125, otherAuth);
    const std::shared_ptr<Session> mySession
        = m_harness->api().mcp().session(QString::fromLatin1(mine), m_agent.id);
    const std::shared_ptr<Session> theirSession
        = m_harness->api().mcp().session(QString::fromLatin1(theirs), other.id);
    QVERIFY(mySession && theirSession);
    Heard heard(mySession->outbox);
    Heard overheard(theirSession->outbox);
    // A run of the agent's task ends (as a worker announces it).
    const auto finished = [&](const char *status) {
        Result<Event> event
            = m_harness->engine().eventBus().publish(QStringLiteral("run.finished"),
                                                     Json{{"run_id", "run-" + std::string(status)},
                                                          {"task_id", taskId},
                                                          {"status", status},
                                                          {"will_retry", true}},
                                                     QStringLiteral("test"));
        QVERIFY2(event, qPrintable(event ? QString() : event.error().describe()));
    };

    finished("succeeded");
    QTRY_COMPARE_WITH_TIMEOUT(int(heard.withMethod("notifications/message").size()), 1, 2000);
    const Json log = heard.withMethod("notifications/message").first();
    QVERIFY2(log["params"].value("level", Json()) == "info"
                 && log["params"].value("logger", Json()) == "ordinaut.runs"
                 && log["params"]["data"].value("task_id", Json()) == Json(taskId)
                 && log["params"]["data"].value("status", Json()) == "succeeded",
             qPrintable(dump(log)));
    QVERIFY(overheard.withMethod("notifications/message").isEmpty());

    // Below the level the session asked for: not sent.
    HttpResponse response
        = inSession(mine, QStringLiteral("logging/setLevel"), Json{{"level", "error"}});
    QVERIFY2(response.status == 200 && jsonOf(response).value("result", Json()) == Json::object(),
             qPrintable(describe(response)));
    response = inSession(mine, QStringLiteral("logging/setLevel"), Json{{"level", "verbose"}});
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidParams
                 && messageOf(jsonOf(response)).contains(QLatin1String("level")),
             qPrintable(describe(response)));
    finished("succeeded");
    finished("failed");
    QTRY_COMPARE_WITH_TIMEOUT(int(heard.withMethod("notifications/message").size()), 2, 2000);
    QVERIFY2(heard.withMethod("notifications/message").last()["params"].value("level", Json())
                 == "error",
             qPrintable(dump(heard.withMethod("notifications/message").last())));
    QVERIFY(overheard.withMethod("notifications/message").isEmpty());

    // The agent's scopes change: its sessions' tool lists change, no one else's.
    AgentService::Patch patch;
    patch.scopes = QStringList{scopes::kTasksRead};
    QVERIFY(m_harness->services().agents.update(m_agent.id, patch, QStringLiteral("user")));
    QTRY_COMPARE_WITH_TIMEOUT(int(heard.withMethod("notifications/tools/list_changed").size()), 1,
                              2000);
    QVERIFY(overheard.withMethod("notifications/tools/list_changed").isEmpty());
    response = inSession(mine, QStringLiteral("tools/list"));
    const QSet<QString> names = toolNames(jsonOf(response).value("result", Json()));
    QVERIFY2(names.contains(QStringLiteral("list_tasks"))
                 && !names.contains(QStringLiteral("create_task")),
             qPrintable(describe(response).left(300)));
}

// --- prompts ----------------------------------------------------------------------------------

void tst_McpServer::promptsAreListedAndFilledIn()
{
    const QByteArray session = open(kV20251125);
    HttpResponse response = inSession(session, QStringLiteral("prompts/list"));
    const Json prompts = jsonOf(response).value("result", Json()).value("prompts", Json());
    const Json *briefing = toolNamed(prompts, "schedule-a-briefing");
    QVERIFY2(briefing && toolNamed(prompts, "debug-a-failed-run")
                 && toolNamed(prompts, "review-my-schedule"),
             qPrintable(describe(response)));
    QHash<QString, bool> required;
    for (const Json &argument : (*briefing)["arguments"])
        required.insert(qs(argument.value("name", std::string())),
                        argument.value("required", false));
    QVERIFY2(required.value(QStringLiteral("topic")) && required.value(QStringLiteral("when"))
                 && required.contains(QStringLiteral("timezone"))
                 && !required.value(QStringLiteral("timezone")),
             qPrintable(dump(*briefing)));

    const Json briefingArguments{{"topic", "the harbour tides"},
                                 {"when", "weekdays at 6:15"},
                                 {"timezone", "Europe/Lisbon"}};
    response = inSession(session, QStringLiteral("prompts/get"),
                         Json{{"name", "schedule-a-briefing"}, {"arguments", briefingArguments}});
    Json messages = jsonOf(response).value("result", Json()).value("messages", Json());
    QVERIFY2(messages.is_array() && !messages.empty(), qPrintable(describe(response)));
    const QString text = qs(messages[0]["content"].value("text", std::string()));
    QVERIFY2(text.contains(QLatin1String("the harbour tides"))
                 && text.contains(QLatin1String("weekdays at 6:15"))
                 && text.contains(QLatin1String("Europe/Lisbon")),
             qPrintable(describe(response)));

    response = inSession(
        session, QStringLiteral("prompts/get"),
        Json{{"name", "schedule-a-briefing"}, {"arguments", {{"topic", "the harbour tides"}}}});
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidParams, qPrintable(describe(response)));
    QVERIFY2(messageOf(jsonOf(response)).contains(QLatin1String("when")),
             qPrintable(describe(response)));
    response = inSession(session, QStringLiteral("prompts/get"), Json{{"name", "write-a-poem"}});
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidParams
                 && messageOf(jsonOf(response)).contains(QLatin1String("write-a-poem")),
             qPrintable(describe(response)));

    // debug-a-failed-run reads the run: an unknown one is an error, a real one is attached.
    response = inSession(
        session, QStringLiteral("prompts/get"),
        Json{{"name", "debug-a-failed-run"}, {"arguments", {{"run_id", "no-such-run"}}}});
    QVERIFY2(codeOf(jsonOf(response)) != 0 && !jsonOf(response).contains("result"),
             qPrintable(describe(response)));
    const QString taskId = makeTask(QStringLiteral("Debuggable"));
    response = m_harness->call("POST", QStringLiteral("/api/v1/tasks/%1/run-now").arg(taskId),
                               m_auth, Json::object());
    QVERIFY2(response.status == 201 || response.status == 200 || response.status == 202,
             qPrintable(describe(response)));
    const QString runId = qs(jsonOf(response).value("id", std::string()));
    QVERIFY2(!runId.isEmpty(), qPrintable(describe(response)));
    response = inSession(session, QStringLiteral("prompts/get"),
                         Json{{"name", "debug-a-failed-run"}, {"arguments", {{"run_id", runId}}}});
    messages = jsonOf(response).value("result", Json()).value("messages", Json());
    QVERIFY2(messages.is_array() && messages.size() == 2, qPrintable(describe(response)));
    QVERIFY2(messages[1]["content"]["resource"].value("uri", std::string())
                 == QString(QStringLiteral("ordinaut://runs/") + runId).toStdString(),
             qPrintable(describe(response)));
}

// --- the stateless revision's results ---------------------------------------------------------

void tst_McpServer::statelessResultsCarryResultTypeAndCacheHints()
{
    const QString id = makeTask(QStringLiteral("Cached"));
    struct Case
    {
        QString method;
        Json params;
    };
    const std::vector<Case> cached{
        {QStringLiteral("server/discover"), Json::object()},
        {QStringLiteral("tools/list"), Json::object()},
        {QStringLiteral("prompts/list"), Json::object()},
        {QStringLiteral("resources/list"), Json::object()},
        {QStringLiteral("resources/templates/list"), Json::object()},
        {QStringLiteral("resources/read"),
         Json{{"uri", QString(QStringLiteral("ordinaut://tasks/") + id)}}},
    };
    for (const Case &c : cached) {
        const HttpResponse response = stateless(c.method, c.params);
        const Json result = jsonOf(response).value("result", Json());
        const QString where = c.method + QLatin1Char(' ') + describe(response).left(300);
        QVERIFY2(response.status == 200 && result.is_object(), qPrintable(where));
        QVERIFY2(result.value("resultType", Json()) == "complete", qPrintable(where));
        QVERIFY2(result.value("_meta", Json())
                         .value("io.modelcontextprotocol/serverInfo", Json())
                         .value("name", Json())
                     == "ordinaut",
                 qPrintable(where));
        QVERIFY2(result.value("ttlMs", Json()).is_number_integer()
                     && result["ttlMs"].get<int>() >= 0,
                 qPrintable(where));
        QVERIFY2(result.value("cacheScope", Json()).is_string(), qPrintable(where));
    }
    // A tool call is complete but not cacheable.
    const HttpResponse call = stateless(QStringLiteral("tools/call"),
                                        Json{{"name", "get_task"}, {"arguments", {{"id", id}}}});
    const Json result = jsonOf(call).value("result", Json());
    QVERIFY2(result.value("resultType", Json()) == "complete" && !result.contains("ttlMs"),
             qPrintable(describe(call)));
    // The session revisions' results carry none of it.
    const QByteArray session = open(kV20251125);
    const HttpResponse listed = inSession(session, QStringLiteral("tools/list"));
    const Json plain = jsonOf(listed).value("result", Json());
    QVERIFY2(plain.is_object() && !plain.contains("resultType") && !plain.contains("ttlMs"),
             qPrintable(describe(listed).left(300)));
}

void tst_McpServer::sessionStartAndEndAreAuditedAndPublished()
{
    const QString actor = QStringLiteral("agent:") + m_agent.id;
    const QByteArray session = open(kV20250618);
    QCOMPARE(auditRows(actor, QStringLiteral("mcp.session.start")), 1);
    std::vector<Event> started = events(QStringLiteral("mcp.session.started"));
    QCOMPARE(int(started.size()), 1);
    QVERIFY2(started[0].payload.value("subject", Json()) == Json(QString::fromLatin1(session))
                 && started[0].payload.value("protocol_version", Json()) == "2025-06-18"
                 && started[0].payload.value("client", Json()) == "tst_McpServer",
             qPrintable(dump(started[0].payload)));

    const HttpResponse ended = m_harness->send(
        mcpRequest("DELETE", m_auth, QByteArray(), {{"mcp-session-id", session}}));
    QCOMPARE(ended.status, 204);
    QCOMPARE(auditRows(actor, QStringLiteral("mcp.session.end")), 1);
    // Events state what happened: the session started, the session ended.
    QCOMPARE(int(events(QStringLiteral("mcp.session.ended")).size()), 1);
}

void tst_McpServer::completionsOfferTimeZonesAndIds()
{
    const QByteArray session = open(kV20251125);
    HttpResponse response
        = inSession(session, QStringLiteral("completion/complete"),
                    Json{{"ref", {{"type", "ref/prompt"}, {"name", "schedule-a-briefing"}}},
                         {"argument", {{"name", "timezone"}, {"value", "Europe/Lis"}}}});
    Json completion = jsonOf(response).value("result", Json()).value("completion", Json());
    QVERIFY2(completion.value("values", Json()) == Json::array({"Europe/Lisbon"}),
             qPrintable(describe(response)));

    // A resource template's {id}: the ids the agent may read, by prefix.
    const QString id = makeTask(QStringLiteral("Completed"));
    response = inSession(session, QStringLiteral("completion/complete"),
                         Json{{"ref", {{"type", "ref/resource"}, {"uri", "ordinaut://tasks/{id}"}}},
                              {"argument", {{"name", "id"}, {"value", id.left(6)}}}});
    completion = jsonOf(response).value("result", Json()).value("completion", Json());
    const Json values = completion.value("values", Json::array());
    QVERIFY2(std::find(values.begin(), values.end(), Json(id)) != values.end(),
             qPrintable(describe(response)));
    for (const Json &value : values)
        QVERIFY2(qs(value.get<std::string>()).startsWith(id.left(6), Qt::CaseInsensitive),
                 qPrintable(describe(response)));

    response = inSession(
        session, QStringLiteral("completion/complete"),
        Json{{"ref", {{"type", "ref/gadget"}}}, {"argument", {{"name", "x"}, {"value", ""}}}});
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidParams
                 && messageOf(jsonOf(response)).contains(QLatin1String("ref.type")),
             qPrintable(describe(response)));
}

void tst_McpServer::streamsCarryNotificationsOverLoopback()
{
    const QString id = makeTask(QStringLiteral("Streamed"));
    const QString uri = QStringLiteral("ordinaut://tasks/") + id;
    Result<quint16> port = m_harness->api().start(QHostAddress::LocalHost, 0);
    QVERIFY2(port, qPrintable(port ? QString() : port.error().describe()));
    const auto stopServing = qScopeGuard([this] { m_harness->api().stop(); });

    // A session's GET stream: what the session subscribed to, until the session is deleted.
    const QByteArray session = open(kV20251125);
    StreamClient stream(
        *port, "GET",
        {{"Accept", "text/event-stream"}, {"Authorization", m_auth}, {"Mcp-Session-Id", session}});
    QCOMPARE(stream.waitForStatus(), 200);
    QVERIFY2(stream.head().toLower().contains("content-type: text/event-stream"),
             stream.head().constData());
    HttpResponse response
        = inSession(session, QStringLiteral("resources/subscribe"), Json{{"uri", uri}});
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    QVERIFY(m_harness->services().tasks.pause(id, QStringLiteral("user")));
    QVERIFY(stream.waitForMessages(1));
    QVERIFY2(stream.messages()[0].value("method", Json()) == "notifications/resources/updated"
                 && stream.messages()[0]["params"].value("uri", Json()) == Json(uri),
             qPrintable(dump(stream.messages()[0])));

    // A stateless listen: the acknowledgement, then notifications naming the subscription.
    const Json listen = rpcRequest(
        "watch-1", QStringLiteral("subscriptions/listen"),
        withMeta(Json{{"notifications", {{"resourceSubscriptions", Json::array({uri})}}}}));
    StreamClient listener(*port, "POST",
                          {{"Accept", kAccept},
                           {"Authorization", m_auth},
                           {"MCP-Protocol-Version", kStatelessHeader},
                           {"Mcp-Method", "subscriptions/listen"}},
                          dumpJson(listen));
    QCOMPARE(listener.waitForStatus(), 200);
    QVERIFY(listener.waitForMessages(1));
    QVERIFY2(listener.messages()[0].value("method", Json())
                 == "notifications/subscriptions/acknowledged",
             qPrintable(dump(listener.messages()[0])));
    QVERIFY(m_harness->services().tasks.resume(id, QStringLiteral("user")));
    QVERIFY(listener.waitForMessages(2));
    const Json updated = listener.messages()[1];
    QVERIFY2(
        updated.value("method", Json()) == "notifications/resources/updated"
            && updated["params"]["_meta"].value("io.modelcontextprotocol/subscriptionId", Json())
                   == "watch-1",
        qPrintable(dump(updated)));
    QVERIFY(stream.waitForMessages(2)); // the session heard the resume too

    // A second GET stream of the session replaces the first (a message goes to one stream
    // only), and its event ids go on from the session's.
    StreamClient second(
        *port, "GET",
        {{"Accept", "text/event-stream"}, {"Authorization", m_auth}, {"Mcp-Session-Id", session}});
    QCOMPARE(second.waitForStatus(), 200);
    QVERIFY(stream.waitForClose());
    QVERIFY(m_harness->services().tasks.pause(id, QStringLiteral("user")));
    QVERIFY(second.waitForMessages(1));
    QVERIFY2(second.messages()[0]["params"].value("uri", Json()) == Json(uri),
             qPrintable(dump(second.messages()[0])));
    QCOMPARE(stream.eventIds(), QList<qint64>({1, 2}));
    QCOMPARE(second.eventIds(), QList<qint64>({3}));

    // Deleting the session ends its stream.
    response = m_harness->send(
        mcpRequest("DELETE", m_auth, QByteArray(), {{"mcp-session-id", session}}));
    QCOMPARE(response.status, 204);
    QVERIFY(second.waitForClose());
    listener.close();
}

// --- stdio ------------------------------------------------------------------------------------

void tst_McpServer::stdioConversation()
{
    Transcript transcript;
    auto stdio = std::make_unique<StdioEndpoint>(
        m_harness->api().mcp(), m_agent,
        [&transcript](const QByteArray &json) { transcript.write(json); });
    const auto say = [&stdio](const Json &message) { stdio->receive(dumpJson(message)); };

    // Before initialize: refused, naming the way in.
    say(rpcRequest(1, QStringLiteral("tools/list")));
    QCOMPARE(transcript.size(), 1);
    QVERIFY2(codeOf(transcript.last()) == rpc::kInvalidRequest
                 && transcript.last().value("id", Json()) == 1
                 && messageOf(transcript.last()).contains(QLatin1String("initialize")),
             qPrintable(dump(transcript.last())));
    // A notification before initialize is not answered.
    say(rpcNotification(QStringLiteral("notifications/initialized")));
    QCOMPARE(transcript.size(), 1);

    say(rpcRequest(2, QStringLiteral("initialize"),
                   Json{{"protocolVersion", "2025-06-18"},
                        {"capabilities", Json::object()},
                        {"clientInfo", {{"name", "stdio-client"}, {"version", "1"}}}}));
    QCOMPARE(transcript.size(), 2);
    QVERIFY2(transcript.last().value("id", Json()) == 2
                 && transcript.last()["result"].value("protocolVersion", Json()) == "2025-06-18",
             qPrintable(dump(transcript.last())));
    QCOMPARE(sessionsOpened(), 1);

    say(rpcRequest(3, QStringLiteral("initialize"),
                   Json{{"protocolVersion", "2025-06-18"}, {"capabilities", Json::object()}}));
    QCOMPARE(transcript.size(), 3);
    QVERIFY2(codeOf(transcript.last()) == rpc::kInvalidRequest
                 && transcript.last().value("id", Json()) == 3,
             qPrintable(dump(transcript.last())));
    QCOMPARE(sessionsOpened(), 1);

    // Notifications and blank lines: nothing written.
    say(rpcNotification(QStringLiteral("notifications/initialized")));
    stdio->receive(QByteArray());
    stdio->receive("   \t\r");
    QCOMPARE(transcript.size(), 3);

    say(rpcRequest("p", QStringLiteral("ping")));
    QCOMPARE(transcript.size(), 4);
    QVERIFY2(transcript.last().value("id", Json()) == "p"
                 && transcript.last().value("result", Json()) == Json::object(),
             qPrintable(dump(transcript.last())));

    say(rpcRequest(5, QStringLiteral("tools/list")));
    QCOMPARE(transcript.size(), 5);
    const QSet<QString> names = toolNames(transcript.last().value("result", Json()));
    QVERIFY2(names.contains(QStringLiteral("create_task"))
                 && !names.contains(QStringLiteral("approve_run")),
             qPrintable(dump(transcript.last()).left(300)));

    // A tool call over stdio is audited like one over HTTP. The task it makes changes the
    // resource list, which the session hears about as well (before the answer).
    say(rpcRequest(
        6, QStringLiteral("tools/call"),
        Json{{"name", "create_task"}, {"arguments", taskArguments(QStringLiteral("Over stdio"))}}));
    QCOMPARE(transcript.size(), 7);
    QVERIFY2(transcript.last().value("id", Json()) == 6
                 && transcript.last()["result"].value("isError", true) == false,
             qPrintable(dump(transcript.last())));
    QCOMPARE(int(transcript.withMethod("notifications/resources/list_changed").size()), 1);
    QCOMPARE(auditRows(QStringLiteral("agent:") + m_agent.id, QStringLiteral("mcp.tool.call")), 1);

    // Not JSON: a parse error, and the conversation goes on.
    stdio->receive("{oops");
    QCOMPARE(transcript.size(), 8);
    QCOMPARE(codeOf(transcript.last()), rpc::kParseError);
    // Batches are not part of 2025-06-18.
    say(Json::array({rpcRequest(8, QStringLiteral("ping"))}));
    QCOMPARE(transcript.size(), 9);
    QCOMPARE(codeOf(transcript.last()), rpc::kInvalidRequest);

    // Closing ends the session.
    stdio->close();
    QCOMPARE(sessionsOpened(), 0);
    stdio.reset();
}

void tst_McpServer::stdioAnswersStatelessMessagesWithoutInitialize()
{
    Transcript transcript;
    StdioEndpoint stdio(m_harness->api().mcp(), m_agent,
                        [&transcript](const QByteArray &json) { transcript.write(json); });
    stdio.receive(dumpJson(rpcRequest(1, QStringLiteral("server/discover"), withMeta())));
    QCOMPARE(transcript.size(), 1);
    Json result = transcript.last().value("result", Json());
    QVERIFY2(result.value("supportedVersions", Json()).is_array()
                 && result["supportedVersions"][0] == "2026-07-28"
                 && result.value("resultType", Json()) == "complete",
             qPrintable(dump(transcript.last())));

    stdio.receive(dumpJson(rpcRequest(2, QStringLiteral("tools/list"), withMeta())));
    QCOMPARE(transcript.size(), 2);
    QVERIFY2(toolNames(transcript.last().value("result", Json()))
                 .contains(QStringLiteral("create_task")),
             qPrintable(dump(transcript.last()).left(300)));

    // What 2026 removed is not found there, over stdio too; missing _meta keys are refused.
    stdio.receive(dumpJson(rpcRequest(3, QStringLiteral("ping"), withMeta())));
    QCOMPARE(transcript.size(), 3);
    QCOMPARE(codeOf(transcript.last()), rpc::kMethodNotFound);
    stdio.receive(dumpJson(rpcRequest(
        4, QStringLiteral("initialize"),
        withMeta(Json{{"protocolVersion", "2026-07-28"}, {"capabilities", Json::object()}}))));
    QCOMPARE(transcript.size(), 4);
    QCOMPARE(codeOf(transcript.last()), rpc::kMethodNotFound);
    Json partial = withMeta();
    partial["_meta"].erase(meta::kClientCapabilities);
    stdio.receive(dumpJson(rpcRequest(5, QStringLiteral("tools/list"), partial)));
    QCOMPARE(transcript.size(), 5);
    QCOMPARE(codeOf(transcript.last()), rpc::kInvalidParams);
    QCOMPARE(sessionsOpened(), 0);
    // A session message is still refused: this conversation never initialized.
    stdio.receive(dumpJson(rpcRequest(6, QStringLiteral("tools/list"))));
    QCOMPARE(transcript.size(), 6);
    QCOMPARE(codeOf(transcript.last()), rpc::kInvalidRequest);
}

void tst_McpServer::stdioListenStreamTagsItsNotifications()
{
    const QString id = makeTask(QStringLiteral("Listened to"));
    const QString uri = QStringLiteral("ordinaut://tasks/") + id;
    Transcript transcript;
    StdioEndpoint stdio(m_harness->api().mcp(), m_agent,
                        [&transcript](const QByteArray &json) { transcript.write(json); });

    // Bad filters are refused naming the field, and open nothing.
    stdio.receive(dumpJson(rpcRequest(1, QStringLiteral("subscriptions/listen"), withMeta())));
    QCOMPARE(transcript.size(), 1);
    QVERIFY2(codeOf(transcript.last()) == rpc::kInvalidParams
                 && messageOf(transcript.last()).contains(QLatin1String("notifications")),
             qPrintable(dump(transcript.last())));
    stdio.receive(
        dumpJson(rpcRequest(2, QStringLiteral("subscriptions/listen"),
                            withMeta(Json{{"notifications", {{"resourcesListChanged", "yes"}}}}))));
    QCOMPARE(transcript.size(), 2);
    QVERIFY2(codeOf(transcript.last()) == rpc::kInvalidParams
                 && messageOf(transcript.last())
                        .contains(QLatin1String("notifications.resourcesListChanged")),
             qPrintable(dump(transcript.last())));

    const Json subscriptionId = "listen-7";
    stdio.receive(
        dumpJson(rpcRequest(subscriptionId, QStringLiteral("subscriptions/listen"),
                            withMeta(Json{{"notifications",
                                           {{"resourcesListChanged", true},
                                            {"resourceSubscriptions", Json::array({uri})}}}}))));
    QCOMPARE(transcript.size(), 3);
    const Json ack = transcript.last();
    QVERIFY2(ack.value("method", Json()) == "notifications/subscriptions/acknowledged"
                 && !ack.contains("id"),
             qPrintable(dump(ack)));
    QVERIFY2(ack["params"]["_meta"].value("io.modelcontextprotocol/subscriptionId", Json())
                 == subscriptionId,
             qPrintable(dump(ack)));
    QVERIFY2(ack["params"]["notifications"].value("resourceSubscriptions", Json())
                 == Json::array({uri}),
             qPrintable(dump(ack)));

    // The watched task changes: an update, tagged with the subscription.
    QVERIFY(m_harness->services().tasks.pause(id, QStringLiteral("user")));
    QTRY_COMPARE_WITH_TIMEOUT(int(transcript.withMethod("notifications/resources/updated").size()),
                              1, 2000);
    const Json updated = transcript.withMethod("notifications/resources/updated").first();
    QVERIFY2(
        updated["params"].value("uri", Json()) == Json(uri)
            && updated["params"]["_meta"].value("io.modelcontextprotocol/subscriptionId", Json())
                   == subscriptionId,
        qPrintable(dump(updated)));
    // A new task changes the list: also tagged.
    const QString added = makeTask(QStringLiteral("New"));
    QVERIFY(!added.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(
        !transcript.withMethod("notifications/resources/list_changed").isEmpty(), 2000);
    const Json changed = transcript.withMethod("notifications/resources/list_changed").first();
    QVERIFY2(changed["params"]["_meta"].value("io.modelcontextprotocol/subscriptionId", Json())
                 == subscriptionId,
             qPrintable(dump(changed)));
    // Unwatched tasks send no updates.
    QVERIFY(m_harness->services().tasks.pause(added, QStringLiteral("user")));
    QCOMPARE(int(transcript.withMethod("notifications/resources/updated").size()), 1);

    // Once closed, nothing more.
    stdio.close();
    const int written = transcript.size();
    QVERIFY(m_harness->services().tasks.resume(id, QStringLiteral("user")));
    QVERIFY(!makeTask(QStringLiteral("After")).isEmpty());
    QTest::qWait(50);
    QCOMPARE(transcript.size(), written);
}

QTEST_GUILESS_MAIN(tst_McpServer)
void tst_McpServer::toolCallsAndSessionsAreMeasured()
{
    // One sample of /metrics (the agent holds runs:read): the value of a series, -1 if absent.
    const auto sample = [this](const QString &series) {
        const HttpResponse scraped = m_harness->call("GET", QStringLiteral("/metrics"), m_auth);
        for (const QByteArray &line : scraped.body.split('\n'))
            if (line.startsWith(QByteArray(series.toUtf8() + ' ')))
                return line.mid(series.size() + 1).trimmed().toDouble();
        return -1.0;
    };
    const QString ok
        = QStringLiteral("ordinaut_mcp_tool_calls_total{tool=\"list_tasks\",outcome=\"ok\"}");
    const QString refused
        = QStringLiteral("ordinaut_mcp_tool_calls_total{tool=\"create_task\",outcome=\"error\"}");
    const QString sessions = QStringLiteral("ordinaut_mcp_sessions");
    const double okBefore = std::max(0.0, sample(ok));
    const double refusedBefore = std::max(0.0, sample(refused));
    const double openBefore = sample(sessions);
    QVERIFY(openBefore >= 0);

    const QByteArray session = open(kV20250618);
    QCOMPARE(sample(sessions), openBefore + 1);
    HttpResponse response = inSession(session, QStringLiteral("tools/call"),
                                      Json{{"name", "list_tasks"}, {"arguments", Json::object()}});
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    response = inSession(session, QStringLiteral("tools/call"),
                         Json{{"name", "create_task"}, {"arguments", {{"title", 5}}}});
    QVERIFY2(jsonOf(response)["result"].value("isError", false), qPrintable(describe(response)));
    QCOMPARE(sample(ok), okBefore + 1);
    QCOMPARE(sample(refused), refusedBefore + 1);
    QVERIFY(
        sample(QStringLiteral("ordinaut_mcp_tool_call_duration_seconds_count{tool=\"list_tasks\"}"))
        >= 1);

    response = m_harness->send(
        mcpRequest("DELETE", m_auth, QByteArray(), {{"mcp-session-id", session}}));
    QCOMPARE(response.status, 204);
    QCOMPARE(sample(sessions), openBefore);
}

void tst_McpServer::noAgentCanCrowdOutAnothersSessions()
{
    const QByteArray mine = open(kV20250618);
    const Agent other = m_harness->makeAgent(QStringLiteral("crowd"), {scopes::kTasksRead});
    const QByteArray otherAuth = m_harness->bearer(other);
    // More sessions than an agent may hold: its own oldest go, no one else's.
    QList<QByteArray> theirs;
    for (int i = 0; i < McpServer::kMaxSessionsPerAgent + 3; ++i)
        theirs << open(kV20250618, otherAuth);
    HttpResponse response = inSession(mine, QStringLiteral("ping"));
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    response = postAs(otherAuth, rpcRequest(m_nextId++, QStringLiteral("ping")),
                      {{"mcp-session-id", theirs.first()}});
    QCOMPARE(response.status, 404);
    response = postAs(otherAuth, rpcRequest(m_nextId++, QStringLiteral("ping")),
                      {{"mcp-session-id", theirs.last()}});
    QCOMPARE(response.status, 200);
    // The sessions that made room are ended in the audit trail too.
    QVERIFY(auditRows(QStringLiteral("agent:") + other.id, QStringLiteral("mcp.session.end")) >= 3);
}

void tst_McpServer::listenStreamsWatchOnlyWhatTheAgentMayRead()
{
    const QString id = makeTask(QStringLiteral("Watched"));
    const Agent reader = m_harness->makeAgent(QStringLiteral("tasks only"), {scopes::kTasksRead});
    Transcript transcript;
    StdioEndpoint stdio(m_harness->api().mcp(), reader,
                        [&transcript](const QByteArray &json) { transcript.write(json); });
    const auto listen = [&](const Json &uris) {
        stdio.receive(dumpJson(
            rpcRequest(m_nextId++, QStringLiteral("subscriptions/listen"),
                       withMeta(Json{{"notifications", {{"resourceSubscriptions", uris}}}}))));
        return transcript.last();
    };
    // A run needs runs:read, which this agent lacks; an unknown task does not exist.
    Json answer = listen(Json::array({"ordinaut://runs/any"}));
    QVERIFY2(codeOf(answer) == rpc::kInvalidParams
                 && messageOf(answer).contains(QLatin1String("runs:read")),
             qPrintable(dump(answer)));
    answer = listen(Json::array({"ordinaut://tasks/no-such-task"}));
    QVERIFY2(codeOf(answer) == rpc::kInvalidParams, qPrintable(dump(answer)));
    // Its own readable task is fine: the acknowledgement lists it.
    answer = listen(Json::array({QString(QStringLiteral("ordinaut://tasks/") + id)}));
    QVERIFY2(answer.value("method", Json()) == "notifications/subscriptions/acknowledged",
             qPrintable(dump(answer)));
}

void tst_McpServer::runTaskNowCanAnswerWithAnMcpTask()
{
    m_harness->engine().start();
    const QString taskId = makeTask(QStringLiteral("Followed"));
    QVERIFY(!taskId.isEmpty());
    const auto result = [](const HttpResponse &response) {
        const Json answer = jsonOf(response);
        const Json found = answer.is_object() ? answer.value("result", Json()) : Json();
        return found.is_object() ? found : Json::object();
    };

    // 2025-11-25: the client asks for a task with params.task.
    const QByteArray session = open(kV20251125);
    HttpResponse response = inSession(session, QStringLiteral("tools/call"),
                                      Json{{"name", "run_task_now"},
                                           {"arguments", {{"id", taskId}}},
                                           {"task", {{"ttl", 60000}}}});
    const Json created = result(response).value("task", Json());
    // Working, or already completed: the run may well be over by the time the answer is made.
    const auto begun = [](const Json &task) {
        const std::string status = task.value("status", "");
        return status == "working" || status == "completed";
    };
    QVERIFY2(created.is_object() && begun(created) && created.contains("createdAt")
                 && created.contains("lastUpdatedAt") && created.contains("ttl")
                 && created.value("pollInterval", 0) > 0,
             qPrintable(describe(response)));
    const QString runId = qs(created.value("taskId", std::string()));
    QVERIFY(m_harness->services().runs.get(runId, false)); // the task is the run
    // Polled until the run ends.
    Json polled;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     polled = result(
                         inSession(session, QStringLiteral("tasks/get"), Json{{"taskId", runId}}));
                     return polled.value("status", "") == "completed";
                 },
                 10000),
             qPrintable(dump(polled)));
    QCOMPARE(qs(polled.value("taskId", std::string())), runId);
    // tasks/result may wait: it is answered off the HTTP threads, as a stream or (a client
    // taking JSON only) as a plain answer when ready…
    for (const QByteArray &accept : {kAccept, QByteArray("application/json")}) {
        response = inSession(session, QStringLiteral("tasks/result"), Json{{"taskId", runId}},
                             {{"accept", accept}});
        QVERIFY2(response.takeOver && response.body.isEmpty(), qPrintable(describe(response)));
    }
    // …and what it answers, from the dispatcher.
    CallContext context;
    context.agent = m_agent;
    context.session = m_harness->api().mcp().session(QString::fromLatin1(session), m_agent.id);
    QVERIFY(context.session);
    context.version = context.session->version;
    Message message;
    message.id = 4242;
    message.method = QStringLiteral("tasks/result");
    message.params = Json{{"taskId", runId}};
    const std::optional<Json> answered = m_harness->api().mcp().dispatch(message, context);
    QVERIFY(answered);
    response = HttpResponse::json(200, *answered);
    const Json payload = result(response);
    QVERIFY2(payload.value("isError", true) == false
                 && payload["_meta"]["io.modelcontextprotocol/related-task"].value("taskId", "")
                        == runId.toStdString()
                 && resultText(payload).contains(QLatin1String("succeeded"))
                 // run_task_now's output: the run, and whether run-now deduplicated it
                 && payload["structuredContent"].value("id", "") == runId.toStdString()
                 && payload["structuredContent"].value("deduplicated", true) == false,
             qPrintable(describe(response)));
    response = inSession(session, QStringLiteral("tasks/list"), Json::object());
    const Json listed = result(response).value("tasks", Json::array());
    QVERIFY2(listed.size() == 1 && listed[0].value("taskId", "") == runId.toStdString(),
             qPrintable(describe(response)));
    // A task that is over cannot be cancelled; an unknown one is invalid params.
    response = inSession(session, QStringLiteral("tasks/cancel"), Json{{"taskId", runId}});
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidParams
                 && messageOf(jsonOf(response)).contains(QLatin1String("completed")),
             qPrintable(describe(response)));
    response = inSession(session, QStringLiteral("tasks/get"), Json{{"taskId", "nope"}});
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kInvalidParams, qPrintable(describe(response)));
    // Without params.task the call answers at once with the queued run.
    response = inSession(session, QStringLiteral("tools/call"),
                         Json{{"name", "run_task_now"}, {"arguments", {{"id", taskId}}}});
    QVERIFY2(!result(response).contains("task") && result(response).contains("structuredContent"),
             qPrintable(describe(response)));
    // A 2025-06-18 session has no tasks.
    const QByteArray older = open(kV20250618);
    response = inSession(older, QStringLiteral("tasks/get"), Json{{"taskId", runId}});
    QVERIFY2(codeOf(jsonOf(response)) == rpc::kMethodNotFound, qPrintable(describe(response)));

    // 2026-07-28: a client declaring the tasks extension gets one without asking.
    const Json extension{{"extensions", {{"io.modelcontextprotocol/tasks", Json::object()}}}};
    Json call = withMeta(Json{{"name", "run_task_now"}, {"arguments", {{"id", taskId}}}});
    call["_meta"][meta::kClientCapabilities] = extension;
    response = post(rpcRequest(m_nextId++, QStringLiteral("tools/call"), call),
                    statelessHeaders(QStringLiteral("tools/call"), call));
    Json task = result(response);
    QVERIFY2(task.value("resultType", "") == "task" && begun(task) && task.contains("ttlMs")
                 && task.value("pollIntervalMs", 0) > 0 && !task.contains("task"),
             qPrintable(describe(response)));
    const QString statelessRun = qs(task.value("taskId", std::string()));
    Json get = withMeta(Json{{"taskId", statelessRun}});
    get["_meta"][meta::kClientCapabilities] = extension;
    Headers getHeaders{{"mcp-protocol-version", kStatelessHeader},
                       {"mcp-method", "tasks/get"},
                       {"mcp-name", statelessRun.toUtf8()}};
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     response = post(rpcRequest(m_nextId++, QStringLiteral("tasks/get"), get),
                                     getHeaders);
                     task = result(response);
                     return task.value("status", "") == "completed";
                 },
                 10000),
             qPrintable(describe(response)));
    // The result comes inline once the run is over.
    QVERIFY2(task.value("resultType", "") == "complete"
                 && task["result"].value("isError", true) == false
                 && resultText(task["result"]).contains(statelessRun),
             qPrintable(describe(response)));
    // Without the extension: a plain result, and tasks/get is refused for the capability.
    response = stateless(QStringLiteral("tools/call"),
                         Json{{"name", "run_task_now"}, {"arguments", {{"id", taskId}}}});
    QVERIFY2(result(response).value("resultType", "") == "complete"
                 && !result(response).contains("taskId"),
             qPrintable(describe(response)));
    response = stateless(QStringLiteral("tasks/get"), Json{{"taskId", statelessRun}},
                         {{"mcp-name", statelessRun.toUtf8()}});
    QVERIFY2(
        response.status == 400 && codeOf(jsonOf(response)) == code::kMissingCapability
            && jsonOf(response)["error"]["data"]["requiredCapabilities"]["extensions"].contains(
                "io.modelcontextprotocol/tasks"),
        qPrintable(describe(response)));
    // The extension has no tasks/result: the result is inline.
    Json removed = withMeta(Json{{"taskId", statelessRun}});
    removed["_meta"][meta::kClientCapabilities] = extension;
    response = post(rpcRequest(m_nextId++, QStringLiteral("tasks/result"), removed),
                    {{"mcp-protocol-version", kStatelessHeader}, {"mcp-method", "tasks/result"}});
    QVERIFY2(response.status == 404 && codeOf(jsonOf(response)) == rpc::kMethodNotFound,
             qPrintable(describe(response)));
}

#include "tst_McpServer.moc"
