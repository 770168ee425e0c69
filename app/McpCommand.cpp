// `ordinaut-server mcp`: a stdin reader thread, then either an in-process StdioEndpoint on a
// hosted engine or a forwarder to a running engine's /mcp.
#include "McpCommand.h"

#include "ServerHost.h"

#include "api/HttpApi.h"
#include "api/mcp/JsonRpc.h"
#include "api/mcp/McpServer.h"
#include "api/mcp/StdioEndpoint.h"
#include "core/Log.h"
#include "runtime/Engine.h"
#include "service/Services.h"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QQueue>
#include <QThread>
#include <QTimer>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <string>
#include <thread>

namespace ordinaut {

namespace {

void say(const QString &message)
{
    std::fprintf(stderr, "ordinaut-server mcp: %s\n", qPrintable(message));
    std::fflush(stderr);
}

// One message per line on standard output; nothing else is ever written there. Writing never
// blocks the caller (a notification is handed over on the thread that announced it, an engine
// thread): a thread of its own writes, and a client that stops reading loses notifications past
// kMaxPendingBytes, never answers.
class StdoutWriter final
{
public:
    static constexpr qint64 kMaxPendingBytes = 16 * 1024 * 1024;

    static StdoutWriter &instance()
    {
        static StdoutWriter writer;
        return writer;
    }

    void write(const QByteArray &json)
    {
        std::unique_lock lock(m_mutex);
        if (m_pending > kMaxPendingBytes && isNotification(json)) {
            if (m_dropped++ == 0)
                say(QStringLiteral("the client is not reading its notifications; dropping them "
                                   "until it does"));
            return;
        }
        m_pending += json.size() + 1;
        m_lines.push_back(json);
        m_ready.notify_one();
    }

    // Waits until everything handed over is written.
    void drain()
    {
        std::unique_lock lock(m_mutex);
        m_idle.wait(lock, [this] { return m_lines.empty() && !m_writing; });
    }

private:
    StdoutWriter()
        : m_thread([this] { run(); })
    {}
    ~StdoutWriter()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_ready.notify_one();
        m_thread.join();
    }

    static bool isNotification(const QByteArray &json)
    {
        const Json message = parseJson(json).value_or(Json());
        return message.is_object() && !message.contains("id");
    }

    void run()
    {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_ready.wait(lock, [this] { return m_stop || !m_lines.empty(); });
            if (m_lines.empty())
                return; // stopping, and everything is written
            const QByteArray line = std::move(m_lines.front());
            m_lines.pop_front();
            m_writing = true;
            lock.unlock();
            std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stdout);
            std::fputc('\n', stdout);
            std::fflush(stdout);
            lock.lock();
            m_writing = false;
            m_pending -= line.size() + 1;
            if (m_lines.empty()) {
                m_dropped = 0;
                m_idle.notify_all();
            }
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::condition_variable m_idle;
    std::deque<QByteArray> m_lines;
    qint64 m_pending = 0;
    int m_dropped = 0;
    bool m_writing = false;
    bool m_stop = false;
    std::thread m_thread;
};

void writeLine(const QByteArray &json)
{
    StdoutWriter::instance().write(json);
}

// Reads standard input a line at a time on its own thread; `line` runs there for each, `done`
// once at the end of input.
class StdinReader final : public QThread
{
public:
    StdinReader(std::function<void(const QByteArray &)> line, std::function<void()> done)
        : m_line(std::move(line))
        , m_done(std::move(done))
    {}

protected:
    void run() override
    {
        std::string text;
        while (std::getline(std::cin, text))
            m_line(QByteArray::fromStdString(text));
        m_done();
    }

private:
    std::function<void(const QByteArray &)> m_line;
    std::function<void()> m_done;
};

struct Credentials
{
    QString agentId;
    QString secret;
};

std::optional<Credentials> credentialsFromEnvironment()
{
    const QString id = qEnvironmentVariable("ORDINAUT_AGENT_ID").trimmed();
    const QString secret = qEnvironmentVariable("ORDINAUT_AGENT_SECRET").trimmed();
    if (id.isEmpty() || secret.isEmpty()) {
        say(QStringLiteral(
            "set ORDINAUT_AGENT_ID and ORDINAUT_AGENT_SECRET to the agent this client acts as "
            "(`ordinaut-server token create --name claude` prints both)"));
        return std::nullopt;
    }
    return Credentials{id, secret};
}

// The id of the request on a line, for an error answer when it cannot be delivered.
Json requestIdOf(const QByteArray &line)
{
    std::variant<mcp::Incoming, mcp::RpcError> read = mcp::JsonRpc::read(line, true);
    if (const auto *incoming = std::get_if<mcp::Incoming>(&read))
        for (const mcp::Message &message : incoming->messages)
            if (message.kind == mcp::Message::Kind::Request)
                return message.id;
    return nullptr;
}

// The URL of an engine already serving this data folder, when it answers.
QString runningEngine(const QString &dataDir)
{
    QFile file(ServerHost::endpointFile(dataDir));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const Json endpoint = parseJson(file.readAll()).value_or(Json());
    if (!endpoint.is_object() || !endpoint.value("url", Json()).is_string())
        return {};
    const QString url = qs(endpoint["url"].get<std::string>());
    QNetworkAccessManager net;
    QNetworkRequest request(QUrl(url + QStringLiteral("/health")));
    request.setTransferTimeout(2000);
    QNetworkReply *reply = net.get(request);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const bool alive = reply->error() == QNetworkReply::NoError
                       && reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
    reply->deleteLater();
    return alive ? url : QString();
}

// Hands each line to a running engine's /mcp as its agent and writes back what it answers,
// including the notifications of the session's stream.
class Forwarder final : public QObject
{
public:
    Forwarder(QString url, Credentials credentials)
        : m_url(std::move(url))
        , m_credentials(std::move(credentials))
    {}

    // Signs in; false (and why, on standard error) when the engine refuses the credentials.
    bool signIn()
    {
        QNetworkRequest request(QUrl(m_url + QStringLiteral("/auth/token")));
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        request.setTransferTimeout(10000);
        QNetworkReply *reply = m_net.post(
            request,
            dumpJson(Json{{"agent_id", m_credentials.agentId}, {"secret", m_credentials.secret}}));
        QEventLoop loop;
        connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        reply->deleteLater();
        const Json body = parseJson(reply->readAll()).value_or(Json());
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status != 200 || !body.is_object() || !body.value("access_token", Json()).is_string()) {
            say(QStringLiteral("the engine at %1 refused agent %2: %3")
                    .arg(m_url, m_credentials.agentId,
                         body.is_object() ? qs(body.value("detail", std::string("no answer")))
                                          : reply->errorString()));
            return false;
        }
        m_token = QByteArray::fromStdString(body["access_token"].get<std::string>());
        return true;
    }

    void enqueue(const QByteArray &line)
    {
        if (line.trimmed().isEmpty())
            return;
        m_pending.enqueue(line);
        next();
    }

    void endOfInput()
    {
        m_ended = true;
        next();
    }

private:
    void next()
    {
        if (m_busy)
            return;
        if (m_pending.isEmpty()) {
            if (m_ended)
                finish();
            return;
        }
        m_busy = true;
        post(m_pending.dequeue(), false);
    }

    QNetworkRequest request() const
    {
        QNetworkRequest request(QUrl(m_url + QStringLiteral("/mcp")));
        request.setRawHeader("Authorization", "Bearer " + m_token);
        request.setRawHeader("Accept", "application/json, text/event-stream");
        if (!m_session.isEmpty())
            request.setRawHeader("Mcp-Session-Id", m_session);
        if (!m_version.isEmpty())
            request.setRawHeader("MCP-Protocol-Version", m_version);
        return request;
    }

    void post(const QByteArray &line, bool retried)
    {
        QNetworkRequest request = this->request();
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        // A stateless message says its version in _meta; over HTTP the headers repeat it.
        std::variant<mcp::Incoming, mcp::RpcError> read = mcp::JsonRpc::read(line, true);
        if (const auto *incoming = std::get_if<mcp::Incoming>(&read);
            incoming && !incoming->batch) {
            const mcp::Message &message = incoming->messages.front();
            if (message.method == QLatin1String("initialize") && m_initialize.isEmpty())
                m_initialize = line;
            const QString declared = mcp::McpServer::declaredVersion(message);
            if (!declared.isEmpty()) {
                request.setRawHeader("MCP-Protocol-Version", declared.toUtf8());
                request.setRawHeader("Mcp-Method", message.method.toUtf8());
                const QString name = mcp::McpServer::headerName(message);
                const bool plain = std::all_of(name.begin(), name.end(), [](QChar c) {
                    return c.unicode() >= 0x21 && c.unicode() <= 0x7e;
                });
                if (!name.isEmpty())
                    request.setRawHeader("Mcp-Name",
                                         plain ? name.toLatin1()
                                               : "=?base64?" + name.toUtf8().toBase64() + "?=");
            }
        }
        QNetworkReply *reply = m_net.post(request, line);
        // A stream (subscriptions/listen) is delivered as it comes; the next line goes on.
        connect(reply, &QNetworkReply::metaDataChanged, this, [this, reply] {
            if (reply->header(QNetworkRequest::ContentTypeHeader)
                    .toString()
                    .startsWith(QLatin1String("text/event-stream"))) {
                follow(reply);
                m_busy = false;
                next();
            }
        });
        connect(reply, &QNetworkReply::finished, this, [this, reply, line, retried] {
            reply->deleteLater();
            if (reply->property("stream").toBool())
                return;
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status == 401 && !retried && signIn()) { // the access token ran out
                post(line, true);
                return;
            }
            const QByteArray body = reply->readAll();
            const Json answer = parseJson(body).value_or(Json());
            const bool jsonRpc
                = answer.is_array() || (answer.is_object() && answer.contains("jsonrpc"));
            if (status == 429 && !retried) { // over the agent's request rate: wait, then again
                const int wait = std::clamp(reply->rawHeader("Retry-After").toInt(), 1, 60);
                QTimer::singleShot(wait * 1000, this, [this, line] { post(line, true); });
                return;
            }
            if (status == 404 && jsonRpc && !retried && !m_session.isEmpty()
                && !m_initialize.isEmpty()) {
                // The engine lost the session (it restarted): a stdio client never initializes
                // again, so this process does, and the request goes on in the new session.
                say(QStringLiteral("session %1 is gone; opening a new one")
                        .arg(QString::fromLatin1(m_session)));
                reopen([this, line] { post(line, true); });
                return;
            }
            const Json id = requestIdOf(line);
            if (status == 0) {
                if (!id.is_null())
                    writeLine(dumpJson(mcp::JsonRpc::error(mcp::RpcError{
                        mcp::rpc::kInternalError,
                        QStringLiteral("the Ordinaut engine at %1 is not answering (%2)")
                            .arg(m_url, reply->errorString()),
                        nullptr, id})));
            } else if (jsonRpc) {
                writeLine(dumpJson(answer));
                if (line == m_initialize)
                    learnSession(*reply, answer);
            } else if (!id.is_null()) {
                // An HTTP refusal (problem details): the client gets it as an error of its
                // request, never as a message it cannot read.
                const QString detail
                    = answer.is_object() && answer.value("detail", Json()).is_string()
                          ? qs(answer["detail"].get<std::string>())
                          : QStringLiteral("the engine answered HTTP %1").arg(status);
                writeLine(dumpJson(mcp::JsonRpc::error(
                    mcp::RpcError{mcp::rpc::kInternalError, detail, nullptr, id})));
            }
            m_busy = false;
            next();
        });
    }

    // A new session in place of a lost one: the client's initialize again (its answer kept
    // from the client, which has one), initialized, the stream; then `then`.
    void reopen(std::function<void()> then)
    {
        m_session.clear();
        m_version.clear();
        if (m_stream)
            m_stream->abort();
        QNetworkRequest request = this->request();
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        QNetworkReply *reply = m_net.post(request, m_initialize);
        connect(reply, &QNetworkReply::finished, this, [this, reply, then] {
            reply->deleteLater();
            const Json answer = parseJson(reply->readAll()).value_or(Json());
            learnSession(*reply, answer);
            QNetworkRequest initialized = this->request();
            initialized.setHeader(QNetworkRequest::ContentTypeHeader,
                                  QByteArray("application/json"));
            QNetworkReply *note = m_net.post(
                initialized, dumpJson(mcp::JsonRpc::notification(
                                 QStringLiteral("notifications/initialized"), Json::object())));
            connect(note, &QNetworkReply::finished, note, &QObject::deleteLater);
            then();
        });
    }

    // After initialize: the session and its version go with every later request, and the
    // session's notification stream is opened.
    void learnSession(const QNetworkReply &reply, const Json &answer)
    {
        const QByteArray session = reply.rawHeader("Mcp-Session-Id");
        if (session.isEmpty() || !answer.is_object())
            return;
        m_session = session;
        const Json result = answer.value("result", Json::object());
        if (result.is_object() && result.value("protocolVersion", Json()).is_string())
            m_version = QByteArray::fromStdString(result["protocolVersion"].get<std::string>());
        QNetworkRequest request = this->request();
        request.setRawHeader("Accept", "text/event-stream");
        request.setTransferTimeout(0);
        m_stream = m_net.get(request);
        follow(m_stream);
    }

    // Writes the data of each event of a stream as one line.
    void follow(QNetworkReply *reply)
    {
        reply->setProperty("stream", true);
        auto buffer = std::make_shared<QByteArray>();
        connect(reply, &QNetworkReply::readyRead, this, [reply, buffer] {
            buffer->append(reply->readAll());
            qsizetype end = 0;
            while ((end = buffer->indexOf("\n\n")) >= 0) {
                QByteArray data;
                for (const QByteArray &field : buffer->left(end).split('\n'))
                    if (field.startsWith("data:"))
                        data += field.mid(5).trimmed();
                buffer->remove(0, end + 2);
                if (!data.isEmpty())
                    writeLine(data);
            }
        });
        connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
    }

    void finish()
    {
        if (m_session.isEmpty()) {
            QCoreApplication::quit();
            return;
        }
        QNetworkRequest request = this->request();
        request.setTransferTimeout(2000);
        QNetworkReply *reply = m_net.deleteResource(request);
        connect(reply, &QNetworkReply::finished, this, [reply] {
            reply->deleteLater();
            QCoreApplication::quit();
        });
    }

    QNetworkAccessManager m_net;
    QString m_url;
    Credentials m_credentials;
    QByteArray m_token;
    QByteArray m_initialize;          // the client's, replayed when the engine lost the session
    QPointer<QNetworkReply> m_stream; // the session's notification stream
    QByteArray m_session;
    QByteArray m_version;
    QQueue<QByteArray> m_pending;
    bool m_busy = false;
    bool m_ended = false;
};

int forward(const QString &url, const Credentials &credentials)
{
    say(QStringLiteral("forwarding to the Ordinaut engine at %1").arg(url));
    Forwarder forwarder(url, credentials);
    if (!forwarder.signIn())
        return 2;
    StdinReader reader(
        [&forwarder](const QByteArray &line) {
            QMetaObject::invokeMethod(&forwarder, [&forwarder, line] { forwarder.enqueue(line); });
        },
        [&forwarder] {
            QMetaObject::invokeMethod(&forwarder, [&forwarder] { forwarder.endOfInput(); });
        });
    reader.start();
    const int code = QCoreApplication::exec();
    StdoutWriter::instance().drain();
    reader.wait(1000);
    if (reader.isRunning()) // still blocked reading a client that did not close its end
        std::_Exit(code);
    return code;
}

int host(const QString &dataDir, const Credentials &credentials)
{
    LogOptions logging;
    logging.directory = QDir(dataDir).filePath(QStringLiteral("logs"));
    if (Status logged = Log::setUp(logging); !logged)
        say(logged.error().describe());
    Result<std::unique_ptr<ServerHost>> made
        = ServerHost::create(dataDir, [](const QString &message) { say(message); });
    if (!made) {
        say(made.error().describe());
        return 1;
    }
    ServerHost &server = **made;
    Authenticator &auth = server.api().authenticator();
    Result<Authenticator::Tokens> tokens
        = auth.signIn(credentials.agentId, credentials.secret, QStringLiteral("stdio"));
    Result<Agent> agent = tokens ? auth.verify(tokens->accessToken) : Result<Agent>(tokens.error());
    if (!agent) {
        say(QStringLiteral("agent %1: %2").arg(credentials.agentId, agent.error().describe()));
        return 2;
    }
    say(QStringLiteral("no engine is running on %1; hosting one for agent %2 (%3)")
            .arg(dataDir, agent->name, agent->id));
    server.startEngine();
    mcp::StdioEndpoint endpoint(server.api().mcp(), *agent, writeLine);
    Services &services = server.services();
    StdinReader reader(
        [&endpoint, &services, id = agent->id](const QByteArray &line) {
            // The agent as it is now: a disabled agent or a changed scope counts at once.
            Result<Agent> current = services.agents.get(id);
            if (!current || current->disabled) {
                const Json requestId = requestIdOf(line);
                if (!requestId.is_null())
                    writeLine(dumpJson(mcp::JsonRpc::error(
                        mcp::RpcError{mcp::rpc::kInvalidRequest,
                                      QStringLiteral("agent %1 is disabled or gone").arg(id),
                                      nullptr, requestId})));
                return;
            }
            endpoint.setAgent(*current);
            endpoint.receive(line);
        },
        [&endpoint] {
            endpoint.close();
            QMetaObject::invokeMethod(qApp, &QCoreApplication::quit);
        });
    reader.start();
    const int code = QCoreApplication::exec();
    reader.wait();
    server.stop();
    StdoutWriter::instance().drain();
    Log::shutDown();
    return code;
}

} // namespace

int runMcpStdio(const QString &dataDir)
{
    const std::optional<Credentials> credentials = credentialsFromEnvironment();
    if (!credentials)
        return 2;
    if (const QString url = runningEngine(dataDir); !url.isEmpty())
        return forward(url, *credentials);
    return host(dataDir, *credentials);
}

} // namespace ordinaut
