// McpStream: head, events, keepalives, slow clients.
#include "McpStream.h"

#include "McpServer.h"

#include <QTcpSocket>

namespace ordinaut::mcp {

void McpStream::start(QTcpSocket *socket, std::shared_ptr<Outbox> outbox,
                      const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &first,
                      std::function<void()> closed)
{
    // No length and no chunking: the body is the rest of the connection.
    QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                      "Cache-Control: no-store\r\nConnection: close\r\n"
                      "X-Accel-Buffering: no\r\n";
    for (const auto &[name, value] : headers)
        head += name + ": " + value + "\r\n";
    head += "\r\n";
    socket->write(head);
    auto *stream = new McpStream(socket, std::move(outbox), std::move(closed));
    if (!first.isEmpty())
        stream->send(first);
}

McpStream::McpStream(QTcpSocket *socket, std::shared_ptr<Outbox> outbox,
                     std::function<void()> closed)
    : QObject(socket)
    , m_socket(socket)
    , m_outbox(std::move(outbox))
    , m_closed(std::move(closed))
{
    connect(m_outbox.get(), &Outbox::message, this, &McpStream::send, Qt::QueuedConnection);
    connect(
        m_outbox.get(), &Outbox::ended, this, [this] { drop("the session ended"); },
        Qt::QueuedConnection);
    m_keepalive.setInterval(kKeepaliveMs);
    connect(&m_keepalive, &QTimer::timeout, this, [this] {
        if (!m_dropped)
            m_socket->write(": keepalive\n\n");
    });
    m_keepalive.start();
}

McpStream::~McpStream()
{
    if (m_closed)
        m_closed();
}

void McpStream::send(const QByteArray &json)
{
    if (m_dropped)
        return;
    if (m_socket->bytesToWrite() > kMaxBufferedBytes) {
        drop("the client stopped reading");
        return;
    }
    m_socket->write("event: message\nid: " + QByteArray::number(m_nextId++) + "\ndata: " + json
                    + "\n\n");
}

void McpStream::drop(const char *why)
{
    if (m_dropped)
        return;
    m_dropped = true;
    m_keepalive.stop();
    qInfo("mcp: stream to %s closed: %s", qPrintable(m_socket->peerAddress().toString()), why);
    m_socket->disconnectFromHost();
}

} // namespace ordinaut::mcp
