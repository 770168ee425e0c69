// SseClient: one HTTP request over loopback whose answer is a Server-Sent Events stream — the
// head, then each event (its id, event name and data as JSON) as it comes. For the tests of the
// API's streams (events, MCP).
#pragma once

#include "core/Json.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QTcpSocket>

#include <vector>

namespace ordinaut::test {

struct SseFrame
{
    qint64 id = 0;
    QString event;
    Json data;
};

class SseClient
{
public:
    using Headers = QList<QPair<QByteArray, QByteArray>>;

    // Sends `method target` with `headers` (and a JSON body when not empty).
    SseClient(quint16 port, const QByteArray &method, const QByteArray &target,
              const Headers &headers, const QByteArray &body = QByteArray());
    virtual ~SseClient() = default;
    Q_DISABLE_COPY_MOVE(SseClient)

    // The response status, once the head has come (0 until then, at most 5 s).
    int waitForStatus();
    QByteArray head() const { return m_head; }
    // Waits until at least `n` events have come (comments and keepalives are none).
    bool waitForFrames(size_t n, int timeoutMs = 5000);
    const std::vector<SseFrame> &frames() const { return m_frames; }
    QByteArray body() const { return m_buffer; }
    bool disconnected() const { return m_socket.state() == QAbstractSocket::UnconnectedState; }
    bool waitForClose(int timeoutMs = 5000);
    void close() { m_socket.abort(); }

private:
    void read();

    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_head;
    int m_status = 0;
    std::vector<SseFrame> m_frames;
};

} // namespace ordinaut::test
