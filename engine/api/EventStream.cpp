// EventStream: replay, live delivery, keepalives and slow clients.
#include "EventStream.h"

#include "HttpMessage.h"

#include "runtime/EventBus.h"
#include "service/EventService.h"

#include <QTcpSocket>

namespace ordinaut {

void EventStream::start(QTcpSocket *socket, EventStreamRequest request,
                        const QList<QPair<QByteArray, QByteArray>> &headers)
{
    socket->write(eventStreamHead(headers));
    auto *stream = new EventStream(socket, std::move(request));
    stream->catchUp();
}

EventStream::EventStream(QTcpSocket *socket, EventStreamRequest request)
    : QObject(socket)
    , m_socket(socket)
    , m_request(std::move(request))
{
    // Announcements come from whichever thread committed; they queue up on this one. Listening
    // starts before the cursor is read, so nothing committed in between is missed.
    connect(&m_request.events->bus(), &EventBus::eventPublished, this, &EventStream::announced,
            Qt::QueuedConnection);
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (m_catchingUp && !m_closed && m_socket->bytesToWrite() < kMaxBufferedBytes / 2)
            catchUp();
    });
    connect(m_socket, &QTcpSocket::disconnected, this, [this] { m_closed = true; });
    m_keepalive.setInterval(kKeepaliveMs);
    connect(&m_keepalive, &QTimer::timeout, this, [this] {
        if (!m_closed)
            m_socket->write(": keepalive\n\n");
    });
    m_keepalive.start();
    if (m_request.afterId) {
        m_cursor = *m_request.afterId;
        m_catchingUp = true;
    } else if (Result<qint64> last = m_request.events->lastId(); last) {
        m_cursor = *last;
    } else {
        drop("cannot read the event log");
    }
}

EventStream::~EventStream() = default;

void EventStream::announced(const Event &event)
{
    if (m_closed || m_catchingUp || event.id <= m_cursor)
        return;
    if (event.id != m_cursor + 1) {
        // Commits on other threads may be announced out of order; the ones before this are
        // committed (the log is written by one writer at a time): read them from the log.
        m_catchingUp = true;
        catchUp();
        return;
    }
    deliver(event);
    if (m_socket->bytesToWrite() > kMaxBufferedBytes)
        drop("the client does not read");
}

void EventStream::catchUp()
{
    if (m_closed)
        return;
    for (int pages = 0; pages < 4; ++pages) {
        if (m_socket->bytesToWrite() >= kMaxBufferedBytes / 2)
            return; // resumes once the client has taken some (bytesWritten)
        // Every topic is read (and filtered here): the cursor passes exactly what was read.
        Result<EventPage> page = m_request.events->list(m_cursor, QString(), kPageSize);
        if (!page) {
            drop("cannot read the event log");
            return;
        }
        for (const Event &event : page->items)
            deliver(event);
        if (static_cast<int>(page->items.size()) < kPageSize) {
            m_catchingUp = false; // read to its end: what comes next is announced
            return;
        }
    }
    // A long replay lets the thread's other connections be served between pages.
    QMetaObject::invokeMethod(this, &EventStream::catchUp, Qt::QueuedConnection);
}

void EventStream::deliver(const Event &event)
{
    m_cursor = event.id;
    if (!m_request.pattern.isEmpty() && !EventService::topicMatches(m_request.pattern, event.topic))
        return;
    m_socket->write("id: " + QByteArray::number(event.id) + "\nevent: " + event.topic.toUtf8()
                    + "\ndata: " + dumpJson(event.toJson()) + "\n\n");
}

void EventStream::drop(const char *why)
{
    if (m_closed)
        return;
    m_closed = true;
    m_keepalive.stop();
    qInfo("api: event stream to %s closed: %s", qPrintable(m_socket->peerAddress().toString()),
          why);
    m_socket->abort();
}

} // namespace ordinaut
