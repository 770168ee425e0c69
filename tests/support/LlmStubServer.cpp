// LlmStubServer: a minimal HTTP/1.1 server (one request per connection, Content-Length bodies)
// on QTcpServer. It runs on its own thread because the tool under test blocks the test thread
// in a nested event loop while it waits for the reply.
#include "LlmStubServer.h"

#include <QHostAddress>
#include <QMetaObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <optional>

namespace ordinaut::test {

namespace {

using Json = nlohmann::json;

struct Connection
{
    QByteArray received;
    bool answered = false;
};

// Parses `data` once it holds a complete request; nullopt while more is to come.
std::optional<LlmStubRequest> parseRequest(const QByteArray &data)
{
    const qsizetype headerEnd = data.indexOf("\r\n\r\n");
    if (headerEnd < 0)
        return std::nullopt;
    const QList<QByteArray> lines = data.left(headerEnd).split('\n');
    const QList<QByteArray> requestLine = lines.front().trimmed().split(' ');
    if (requestLine.size() < 2)
        return std::nullopt;
    LlmStubRequest request;
    request.method = requestLine[0];
    request.target = requestLine[1];
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0)
            request.headers.insert(lines[i].left(colon).trimmed().toLower(),
                                   lines[i].mid(colon + 1).trimmed());
    }
    const qsizetype length = request.headers.value("content-length").toLongLong();
    if (data.size() < headerEnd + 4 + length)
        return std::nullopt;
    request.body = data.mid(headerEnd + 4, length);
    return request;
}

} // namespace

LlmStubServer::LlmStubServer()
    : m_thread(std::make_unique<QThread>())
    , m_home(new QObject)
{
    m_thread->setObjectName(QStringLiteral("llm-stub"));
    m_home->moveToThread(m_thread.get());
    // Documented QThread idiom: objects of the thread are deleted as it finishes.
    QObject::connect(m_thread.get(), &QThread::finished, m_home, &QObject::deleteLater);
    m_thread->start();
    QMetaObject::invokeMethod(
        m_home,
        [this] {
            auto *listener = new QTcpServer(m_home);
            if (!listener->listen(QHostAddress::LocalHost, 0))
                qFatal("LlmStubServer cannot listen: %s", qPrintable(listener->errorString()));
            m_port = listener->serverPort();
            QObject::connect(listener, &QTcpServer::newConnection, listener, [this, listener] {
                while (QTcpSocket *socket = listener->nextPendingConnection())
                    serve(socket);
            });
        },
        Qt::BlockingQueuedConnection);
}

LlmStubServer::~LlmStubServer()
{
    m_thread->quit();
    m_thread->wait();
}

QString LlmStubServer::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1/v1").arg(m_port);
}

void LlmStubServer::setScript(LlmStubScript script)
{
    QMutexLocker lock(&m_mutex);
    m_script = std::move(script);
}

QList<LlmStubRequest> LlmStubServer::requests() const
{
    QMutexLocker lock(&m_mutex);
    return m_requests;
}

void LlmStubServer::serve(QTcpSocket *socket)
{
    auto connection = std::make_shared<Connection>();
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, connection] {
        connection->received.append(socket->readAll());
        if (connection->answered)
            return;
        std::optional<LlmStubRequest> request = parseRequest(connection->received);
        if (!request)
            return;
        connection->answered = true;
        LlmStubScript script;
        {
            QMutexLocker lock(&m_mutex);
            m_requests.append(*request);
            script = m_script;
        }
        const QByteArray response = replyFor(*request, script);
        // A client that gives up during the delay closes the socket, which cancels the timer.
        auto send = [socket, response] {
            socket->write(response);
            socket->disconnectFromHost();
        };
        if (script.delayMs > 0)
            QTimer::singleShot(script.delayMs, socket, send);
        else
            send();
    });
}

QByteArray LlmStubServer::replyFor(const LlmStubRequest &request, const LlmStubScript &script) const
{
    int status = script.status;
    QByteArray body = script.body;
    if (body.isEmpty() && status >= 200 && status < 300) {
        const Json requested = request.json();
        const std::string model = !script.model.isEmpty() ? script.model.toStdString()
                                  : requested.is_object() ? requested.value("model", std::string())
                                                          : std::string();
        const std::string text = script.text.toStdString();
        const Json finish
            = script.finishReason.isNull() ? Json() : Json(script.finishReason.toStdString());
        if (request.path() == "/v1/chat/completions") {
            body = QByteArray::fromStdString(
                Json{{"id", "chatcmpl-stub"},
                     {"object", "chat.completion"},
                     {"model", model},
                     {"choices",
                      {{{"index", 0},
                        {"message", {{"role", "assistant"}, {"content", text}}},
                        {"finish_reason", finish}}}},
                     {"usage",
                      {{"prompt_tokens", script.inputTokens},
                       {"completion_tokens", script.outputTokens},
                       {"total_tokens", script.inputTokens + script.outputTokens}}}}
                    .dump());
        } else if (request.path() == "/v1/messages") {
            body = QByteArray::fromStdString(Json{
                {"id", "msg_stub"},
                {"type", "message"},
                {"role", "assistant"},
                {"model", model},
                {"content", {{{"type", "text"}, {"text", text}}}},
                {"stop_reason", finish},
                {"usage",
                 {{"input_tokens", script.inputTokens}, {"output_tokens", script.outputTokens}}}}
                                                 .dump());
        } else {
            status = 404;
            body = R"({"error": {"message": "no such endpoint"}})";
        }
    }
    return "HTTP/1.1 " + QByteArray::number(status) + " Stub\r\nContent-Type: " + script.contentType
           + "\r\nContent-Length: " + QByteArray::number(body.size())
           + "\r\nConnection: close\r\n\r\n" + body;
}

} // namespace ordinaut::test
