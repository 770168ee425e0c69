// LlmStubServer: a loopback HTTP server on its own thread that answers like an OpenAI-compatible
// endpoint (/v1/chat/completions) and the Anthropic Messages API (/v1/messages), replies as a
// test scripts it, and records every request it received.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMutex>
#include <QString>

#include <nlohmann/json.hpp>

#include <memory>

class QObject;
class QTcpSocket;
class QThread;

namespace ordinaut::test {

struct LlmStubRequest
{
    QByteArray method;
    QByteArray target;                     // path and query: "/v1/messages"
    QHash<QByteArray, QByteArray> headers; // names in lower case
    QByteArray body;

    QByteArray path() const { return target.split('?').front(); }
    bool hasHeader(const char *name) const { return headers.contains(QByteArray(name)); }
    QByteArray header(const char *name) const { return headers.value(QByteArray(name)); }
    nlohmann::json json() const
    {
        return nlohmann::json::parse(body.cbegin(), body.cend(), nullptr, false);
    }
};

// What the server answers next. With an empty `body`, a 2xx reply is shaped like the API the
// path belongs to and carries `text`, `model` (the requested one when empty), `finishReason`
// and the token counts; any other body is sent as it is.
struct LlmStubScript
{
    int status = 200;
    QString text = QStringLiteral("stub reply");
    QString model;
    QString finishReason = QStringLiteral("stop");
    int inputTokens = 11;
    int outputTokens = 7;
    QByteArray body;
    QByteArray contentType = "application/json";
    int delayMs = 0; // before the reply is written; the connection stays open meanwhile
};

class LlmStubServer final
{
public:
    LlmStubServer(); // listens on 127.0.0.1 at a free port
    ~LlmStubServer();
    Q_DISABLE_COPY_MOVE(LlmStubServer)

    quint16 port() const { return m_port; }
    QString baseUrl() const; // "http://127.0.0.1:<port>/v1"

    void setScript(LlmStubScript script); // for every following request
    QList<LlmStubRequest> requests() const;

private:
    void serve(QTcpSocket *socket); // on the server thread
    QByteArray replyFor(const LlmStubRequest &request, const LlmStubScript &script) const;

    std::unique_ptr<QThread> m_thread;
    QObject *m_home = nullptr; // lives on m_thread; owns the listener, which owns the sockets
    quint16 m_port = 0;
    mutable QMutex m_mutex;
    LlmStubScript m_script;
    QList<LlmStubRequest> m_requests;
};

} // namespace ordinaut::test
