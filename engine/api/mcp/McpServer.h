// McpServer: the transport-agnostic Model Context Protocol dispatcher. Answers the JSON-RPC
// messages a client sends (over Streamable HTTP or stdio) in either era of the protocol: the
// session revisions (initialize, Mcp-Session-Id) and the stateless one (server/discover, the
// version in every request's _meta). Tools and resources are the REST API's operations, called
// through its router as the authenticated agent; every tool call is audited and published.
// Thread-safe: HTTP threads dispatch concurrently.
#pragma once

#include "JsonRpc.h"
#include "ToolCatalog.h"

#include "core/Agent.h"
#include "core/Event.h"

#include <QDateTime>
#include <QHash>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QThreadPool>

#include <atomic>
#include <functional>

#include <memory>

namespace ordinaut {
class Engine;
class Router;
struct Services;
} // namespace ordinaut

namespace ordinaut::mcp {

enum class Transport { Http, Stdio };

// Where a client's notifications go: a session (its GET stream, or stdio), or one stateless
// subscriptions/listen stream. Emits `message` on whichever thread publishes; receivers connect
// queued to their own thread.
class Outbox final : public QObject
{
    Q_OBJECT
public:
    Outbox(QString agentId, QStringList scopes)
        : m_agentId(std::move(agentId))
        , m_scopes(std::move(scopes))
    {
        // It only emits, from any thread, and is released on whichever thread drops it last:
        // it belongs to no thread, so no event is ever queued for it.
        moveToThread(nullptr);
    }
    const QString &agentId() const { return m_agentId; }
    const QStringList &scopes() const { return m_scopes; }
    // Event ids, unique within the outbox (so within a session across its streams).
    std::atomic<qint64> nextEventId{1};
    // Which of the session's GET streams is current: a new one replaces the one before, as a
    // message goes to one stream only.
    std::atomic<int> stream{0};
    // A stateless listen stream: the id of the subscriptions/listen request that opened it,
    // which every notification on it carries in _meta. Null for a session's outbox.
    Json subscriptionId = nullptr;

    // What the client asked to hear about (under the server's lock).
    QSet<QString> subscriptions;  // resource URIs
    int logLevel = 1;             // index in the levels (debug … emergency): info and above
    bool toolsListChanged = true; // notifications/tools/list_changed
    bool resourcesListChanged = true;
    bool logs = true; // notifications/message

signals:
    void message(const QByteArray &json);
    void ended();
    // A GET stream of the session opened as `stream`: the streams before it close.
    void streamOpened(int stream);

private:
    QString m_agentId;
    QStringList m_scopes;
};

struct Session
{
    QString id;
    QString version;
    Json clientInfo = Json::object();
    Json clientCapabilities = Json::object();
    QString agentId;
    Transport transport = Transport::Http;
    QDateTime lastSeen;
    std::shared_ptr<Outbox> outbox;
};

// The caller of one message and the revision it is read under.
struct CallContext
{
    Agent agent;
    Transport transport = Transport::Http;
    QString version;                          // negotiated (sessions) or from _meta / the header
    std::shared_ptr<Session> session;         // session revisions, after initialize
    Json clientCapabilities = Json::object(); // the session's, or (stateless) the request's
    QString requestId;                        // the HTTP request's id, for the log and the audit
};

class McpServer final : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMaxSessionsPerAgent = 32;
    static constexpr int kMaxListenersPerAgent = 16;
    static constexpr int kMaxListenUris = 100;
    static constexpr int kMaxWaitingPerAgent = 8; // tasks/result calls waiting at once
    static constexpr int kSessionIdleSeconds = 24 * 3600;
    static constexpr int kPageSize = 50;
    static constexpr int kTaskPollMs = 1000;   // how often a client should poll a task
    static constexpr int kTaskWaitMs = 120000; // tasks/result waits this long at most
    static constexpr int kTasksKept = 500;     // per agent, for tasks/list

    McpServer(Engine &engine, Services &services, const Router &router);
    ~McpServer() override;
    Q_DISABLE_COPY_MOVE(McpServer)

    // The tools, or why they could not be described (a tool whose route is gone).
    const Result<ToolCatalog> &catalog() const { return m_catalog; }

    // Answers a request (the JSON-RPC response), or takes a notification or a response from the
    // client (nullopt). `initialize` opens a session and puts it in `context`.
    std::optional<Json> dispatch(const Message &message, CallContext &context);

    // The session with this id when `agentId` owns it; null otherwise (unknown, ended, or
    // another agent's).
    std::shared_ptr<Session> session(const QString &id, const QString &agentId) const;
    // Ends a session: its stream closes. False when there is no such session of this agent.
    bool endSession(const QString &id, const QString &agentId);
    int sessionCount() const;

    // A stateless client's notification stream (subscriptions/listen): what it asked for in
    // `params` (resource URIs it may read, list changes, logs). InvalidArgument naming the
    // field. Notifications flow once startListening() registers it — after the receiver is
    // connected (and the acknowledgement sent), so none is lost or comes before it.
    Result<std::shared_ptr<Outbox>> listen(const Json &id, const Json &params,
                                           const CallContext &context);
    void startListening(const std::shared_ptr<Outbox> &outbox);
    void stopListening(const std::shared_ptr<Outbox> &outbox);

    // The first message on a listen stream.
    static Json listenAcknowledgement(const Outbox &outbox);
    // The protocol version a message names in params._meta (the stateless revision's way);
    // empty when it names none.
    static QString declaredVersion(const Message &message);
    // What a stateless request's Mcp-Name header carries: the tool or prompt name, the resource
    // URI or the task id its params name; empty for methods without one.
    static QString headerName(const Message &message);

    // Whether answering may wait long (tasks/result waits for the run): worth a stream.
    static bool mayTakeLong(const QString &method)
    {
        return method == QLatin1String("tasks/result");
    }

    // Runs a long answer off the HTTP threads (on a pool of the server's own, which stops
    // waiting when the server stops).
    void answerLater(std::function<void()> work);
    // A place for one more waiting call of the agent (false: it has kMaxWaitingPerAgent), given
    // back with releaseWait().
    bool reserveWait(const QString &agentId);
    void releaseWait(const QString &agentId);
    // Ends every wait at once (tasks/result answers that the task is still going): before the
    // HTTP threads stop.
    void stop() { m_stopping = true; }

    static Json serverInfo();
    static QString instructions();
    // Capabilities for a revision.
    static Json capabilities(const QString &version);

private:
    // dispatch() without the stateless revision's checks and result fields.
    std::optional<Json> respond(const Message &message, CallContext &context);
    void announced(const ordinaut::Event &event);
    // A session gone (ended by its client, or idle): its stream closes, the audit trail says so.
    void closed(const std::shared_ptr<Session> &session, const QString &by);
    void notify(const std::function<bool(Outbox &)> &wants, const Json &notification);

    Json initialize(const Json &params, CallContext &context);
    Result<Json> callTool(const Json &params, const CallContext &context);
    Result<Json> listResources(const Json &params, const CallContext &context) const;
    Result<Json> readResource(const Json &params, const CallContext &context) const;
    Result<Json> subscribe(const Json &params, const CallContext &context, bool on);
    Result<Json> getPrompt(const Json &params, const CallContext &context) const;
    Result<Json> setLogLevel(const Json &params, const CallContext &context);
    // completion/complete: values for a prompt's argument or a resource template's {id}.
    Result<Json> complete(const Json &params, const CallContext &context) const;
    // A REST call made as the context's agent, scope checked.
    HttpResponse route(const QByteArray &method, const QString &path, const QUrlQuery &query,
                       const CallContext &context) const;
    HttpResponse route(HttpRequest request, const CallContext &context) const;
    void record(const CallContext &context, const QString &action, const QString &subject,
                const Json &details);

    // MCP tasks (McpTasks.cpp): a run started by run_task_now, followed as a task — the
    // experimental tasks of 2025-11-25 and the io.modelcontextprotocol/tasks extension of
    // 2026-07-28. The task id is the run id.
    static bool wantsTask(const Json &params, const CallContext &context);
    Json createTask(const Json &runNowAnswer, const CallContext &context);
    // The run behind a task as JSON, when the context's agent may follow it (it created the
    // run's task, or is admin); NotFound otherwise, as for an unknown id.
    Result<QByteArray> taskRun(const QString &runId, const CallContext &context) const;
    // The task as the context's revision shows it, from the run; NotFound for an unknown id.
    Result<Json> taskOf(const QString &runId, const CallContext &context, bool detailed) const;
    std::optional<Json> taskRequest(const Message &message, const CallContext &context);
    // The tool's result for a run that is over (`run` as GET /api/v1/runs/{id} gives it).
    Json finalResult(const QString &runId, const QByteArray &run, const QString &status) const;
    // tasks/result: waits for the run to end (at most kTaskWaitMs), then the tool's result.
    Result<Json> taskResult(const QString &runId, const CallContext &context) const;
    Result<Json> listTasks(const Json &params, const CallContext &context) const;

    Engine &m_engine;
    Services &m_services;
    const Router &m_router;
    Result<ToolCatalog> m_catalog;
    mutable QMutex m_mutex;
    QHash<QString, std::shared_ptr<Session>> m_sessions;
    QList<std::shared_ptr<Outbox>> m_listeners; // stateless subscriptions/listen streams
    QHash<QString, QStringList> m_tasksByAgent; // MCP tasks (run ids) each agent started
    QHash<QString, int> m_waiting;              // waiting calls per agent
    QHash<QString, bool> m_taskDeduplicated;    // MCP task → whether run-now deduplicated it
    QHash<QString, QString> m_owners;           // task id → the actor that created it
    QThreadPool m_waiters;
    std::atomic_bool m_stopping{false};
};

} // namespace ordinaut::mcp
