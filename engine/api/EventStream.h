// EventStream: one client's Server-Sent Events view of the event log (GET
// /api/v1/events/stream). Replays stored events after the client's cursor, then follows
// EventBus announcements live, with neither gap nor duplicate; lives on its ApiServer's thread
// as a child of the client's socket, so it ends with the connection or the server.
#pragma once

#include "core/Event.h"

#include <QList>
#include <QObject>
#include <QPair>
#include <QTimer>

#include <memory>
#include <optional>

class QTcpSocket;

namespace ordinaut {

class EventService;

// What the stream route hands ApiServer.
struct EventStreamRequest
{
    EventService *events = nullptr;
    std::optional<qint64> afterId; // replay after this id; live only when absent
    QString pattern;               // a topic or "prefix.*"; empty for every topic
    std::shared_ptr<void> slot;    // held while the stream lasts (the route's bound on streams)
};

class EventStream final : public QObject
{
    Q_OBJECT
public:
    static constexpr int kKeepaliveMs = 15000;
    // A client this far behind (bytes written but not yet taken by it) is dropped.
    static constexpr qint64 kMaxBufferedBytes = 1024 * 1024;
    static constexpr int kPageSize = 500;

    // Writes the response head on `socket` and starts streaming; owned by the socket from then
    // on. `headers`: extra response headers (a request id…).
    static void start(QTcpSocket *socket, EventStreamRequest request,
                      const QList<QPair<QByteArray, QByteArray>> &headers);
    ~EventStream() override;
    Q_DISABLE_COPY_MOVE(EventStream)

private:
    EventStream(QTcpSocket *socket, EventStreamRequest request);
    void announced(const ordinaut::Event &event);
    // Reads the log after the cursor, a page at a time, until it is read to its end (then the
    // stream is live) or the client has enough to take for now (resumes as it takes it).
    void catchUp();
    void deliver(const Event &event);
    void drop(const char *why);

    QTcpSocket *m_socket;
    EventStreamRequest m_request;
    qint64 m_cursor = 0;       // every event up to this id was sent or filtered out
    bool m_catchingUp = false; // announcements wait: the log has them
    bool m_closed = false;
    QTimer m_keepalive;
};

} // namespace ordinaut
