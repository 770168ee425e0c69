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
    static void start(QTcpSocket *socket, std::shared_ptr<Outbox> outbox,
                      const QList<QPair<QByteArray, QByteArray>> &headers,
                      const QByteArray &first = {}, std::function<void()> closed = {});
    ~McpStream() override;
    Q_DISABLE_COPY_MOVE(McpStream)

private:
    McpStream(QTcpSocket *socket, std::shared_ptr<Outbox> outbox, std::function<void()> closed);
    void send(const QByteArray &json);
    void drop(const char *why);

    QTcpSocket *m_socket;
    std::shared_ptr<Outbox> m_outbox;
    std::function<void()> m_closed;
    QTimer m_keepalive;
    qint64 m_nextId = 1;
    bool m_dropped = false;
};

} // namespace ordinaut::mcp
