// McpStream: a Server-Sent Events stream of MCP messages on one HTTP connection — a session's
// GET stream, or a stateless subscriptions/listen answer. Delivers what its Outbox emits (on
// whichever thread) on the connection's thread, keeps the connection alive with comments, and
// drops a client that stops reading. A child of the socket: it ends with the connection, and
// the connection ends when the outbox does (the session was deleted or the server stops).
#pragma once

#include <QObject>
#include <QPair>
#include <QTimer>

#include <functional>
#include <memory>

class QTcpSocket;

namespace ordinaut::mcp {

class Outbox;

class McpStream final : public QObject
{
    Q_OBJECT
public:
    static constexpr int kKeepaliveMs = 15000;
    static constexpr qint64 kMaxBufferedBytes = 1024 * 1024;

    // Writes the head (with `headers`), then `first` as the first event when it is not empty
    // (a response that opens the stream), then follows `outbox`. `closed` runs once when the
    // stream ends, on the connection's thread.
    static McpStream *start(QTcpSocket *socket, std::shared_ptr<Outbox> outbox,
                            const QList<QPair<QByteArray, QByteArray>> &headers,
                            const QByteArray &first = {}, std::function<void()> closed = {});
    // A session's GET stream: the newest one of the session gets its messages, the ones before
    // it close (a message goes to one stream only).
    static void startSessionStream(QTcpSocket *socket, std::shared_ptr<Outbox> outbox,
                                   const QList<QPair<QByteArray, QByteArray>> &headers);
    // Not a stream: the one message `outbox` emits becomes a plain JSON answer, written when it
    // comes (an answer computed off the HTTP threads).
    static void answerWhenReady(QTcpSocket *socket, std::shared_ptr<Outbox> outbox,
                                const QList<QPair<QByteArray, QByteArray>> &headers);
    ~McpStream() override;
    Q_DISABLE_COPY_MOVE(McpStream)

private:
    McpStream(QTcpSocket *socket, std::shared_ptr<Outbox> outbox, std::function<void()> closed);
    void send(const QByteArray &json);
    // Closes after what is written (`slow`: at once, dropping what the client did not take).
    void drop(const char *why, bool slow = false);

    QTcpSocket *m_socket;
    std::shared_ptr<Outbox> m_outbox;
    std::function<void()> m_closed;
    QTimer m_keepalive;
    QList<QPair<QByteArray, QByteArray>> m_headers; // a plain answer's, until it is written
    bool m_plain = false;                           // answerWhenReady()
    bool m_dropped = false;
};

} // namespace ordinaut::mcp
