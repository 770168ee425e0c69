// SseClient: the request, the head, the events.
#include "SseClient.h"

#include <QTest>

namespace ordinaut::test {

SseClient::SseClient(quint16 port, const QByteArray &method, const QByteArray &target,
                     const Headers &headers, const QByteArray &body)
{
    QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket, [this] { read(); });
    m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    QByteArray request = method + ' ' + target
                         + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
    for (const auto &[name, value] : headers)
        request += name + ": " + value + "\r\n";
    if (!body.isEmpty())
        request += "Content-Type: application/json\r\nContent-Length: "
                   + QByteArray::number(body.size()) + "\r\n";
    m_socket.write(request + "\r\n" + body);
}

int SseClient::waitForStatus()
{
    (void)QTest::qWaitFor([this] { return m_status != 0; }, 5000);
    return m_status;
}

bool SseClient::waitForFrames(size_t n, int timeoutMs)
{
    return QTest::qWaitFor([this, n] { return m_frames.size() >= n; }, timeoutMs);
}

bool SseClient::waitForClose(int timeoutMs)
{
    return QTest::qWaitFor([this] { return disconnected(); }, timeoutMs);
}

void SseClient::read()
{
    m_buffer += m_socket.readAll();
    if (m_status == 0) {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        m_head = m_buffer.left(end);
        m_status = m_head.mid(9, 3).toInt();
        m_buffer.remove(0, end + 4);
    }
    if (m_status != 200)
        return;
    for (qsizetype end = m_buffer.indexOf("\n\n"); end >= 0; end = m_buffer.indexOf("\n\n")) {
        const QByteArray block = m_buffer.left(end);
        m_buffer.remove(0, end + 2);
        SseFrame frame;
        bool hasData = false;
        for (const QByteArray &line : block.split('\n')) {
            if (line.startsWith("id: ")) {
                frame.id = line.mid(4).toLongLong();
            } else if (line.startsWith("event: ")) {
                frame.event = QString::fromUtf8(line.mid(7));
            } else if (line.startsWith("data: ")) {
                frame.data = parseJson(line.mid(6)).value_or(Json());
                hasData = true;
            }
        }
        if (hasData) // comments (keepalives) are no event
            m_frames.push_back(std::move(frame));
    }
}

} // namespace ordinaut::test
