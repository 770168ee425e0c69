// McpStream: head, events, keepalives, slow clients.
#include "McpStream.h"

#include "McpServer.h"

#include "api/HttpMessage.h"

#include <QTcpSocket>

namespace ordinaut::mcp {

McpStream *McpStream::start(QTcpSocket *socket, std::shared_ptr<Outbox> outbox,
                            const QList<QPair<QByteArray, QByteArray>> &headers,
                            const QByteArray &first, std::function<void()> closed)
{
    socket->write(eventStreamHead(headers));
    auto *stream = new McpStream(socket, std::move(outbox), std::move(closed));
    if (!first.isEmpty())
        stream->send(first);
    return stream;
}

void McpStream::startSessionStream(QTcpSocket *socket, std::shared_ptr<Outbox> outbox,
                                   const QList<QPair<QByteArray, QByteArray>> &headers)
{
    const int stream = ++outbox->stream;
    Outbox *source = outbox.get();
    McpStream *opened = start(socket, std::move(outbox), headers);
    connect(
        source, &Outbox::streamOpened, opened,
        [opened, stream](int newer) {
            if (newer > stream)
                opened->drop("a newer stream of the session replaced it");
        },
        Qt::QueuedConnection);
    emit source->streamOpened(stream);
}

void McpStream::answerWhenReady(QTcpSocket *socket, std::shared_ptr<Outbox> outbox,
                                const QList<QPair<QByteArray, QByteArray>> &headers)
{
    auto *answer = new McpStream(socket, std::move(outbox), {});
    answer->m_plain = true;
    answer->m_headers = headers;
    answer->m_keepalive.stop();
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
        m_outbox.get(), &Outbox::ended, this, [this] { drop("its session or call ended"); },
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
    if (m_plain) {
        QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: "
                          + QByteArray::number(json.size()) + "\r\n";
        for (const auto &[name, value] : std::as_const(m_headers))
            head += name + ": " + value + "\r\n";
        m_socket->write(head + "\r\n" + json);
        drop("answered");
        return;
    }
    if (m_socket->bytesToWrite() > kMaxBufferedBytes) {
        drop("the client stopped reading", true);
        return;
    }
    m_socket->write("event: message\nid: " + QByteArray::number(m_outbox->nextEventId++)
                    + "\ndata: " + json + "\n\n");
}

void McpStream::drop(const char *why, bool slow)
{
    if (m_dropped)
        return;
    m_dropped = true;
    m_keepalive.stop();
    qInfo("mcp: stream to %s closed: %s", qPrintable(m_socket->peerAddress().toString()), why);
    // A client that stops reading would hold a closing socket (and its buffer) for ever.
    if (slow)
        m_socket->abort();
    else
        m_socket->disconnectFromHost();
}

} // namespace ordinaut::mcp
