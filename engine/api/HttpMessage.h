// HttpRequest / HttpResponse: the API's view of one exchange, independent of QHttpServer, so
// routes are plain functions that tests can call.
#pragma once

#include "core/Agent.h"
#include "core/Error.h"
#include "core/Json.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QPair>
#include <QStringList>
#include <QUrlQuery>

#include <functional>
#include <memory>

class QTcpSocket;

namespace ordinaut {

struct EventStreamRequest; // EventStream.h

struct HttpRequest
{
    QByteArray method;
    QString path;
    QUrlQuery query;
    QHash<QByteArray, QByteArray> headers; // names in lower case
    QByteArray body;
    QString peer;           // the client's address
    QStringList pathParams; // the {…} parts of the matched route, in order
    Agent agent;            // the authenticated caller (empty for public routes)
    QString requestId;      // X-Request-Id: the client's when valid, else a new one

    QString actor() const
    {
        return agent.id.isEmpty() ? QStringLiteral("anonymous")
                                  : QStringLiteral("agent:") + agent.id;
    }
};

struct HttpResponse
{
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    // Set by a route that answers with a Server-Sent Events stream instead of a body: ApiServer
    // then writes the head itself and keeps the connection (EventStream).
    std::shared_ptr<EventStreamRequest> eventStream;
    // Set by a route whose answer is a stream of its own (MCP's): called on the connection's
    // thread with the socket and the response headers; writes the head and keeps the socket.
    std::function<void(QTcpSocket *, const QList<QPair<QByteArray, QByteArray>> &)> takeOver;

    static HttpResponse json(int status, const Json &value);
    // RFC 9457 problem details; the status follows from the error code.
    static HttpResponse problem(const Error &error, const QString &instance);
    static HttpResponse problem(int status, const QString &detail, const QString &instance);
    static int statusFor(ErrorCode code);
};

// The head of a Server-Sent Events answer: 200, text/event-stream, no caching or buffering by
// proxies, then `headers`. No length and no chunking: the body is the rest of the connection, so
// no proxy or client waits for it to end before reading it.
QByteArray eventStreamHead(const QList<QPair<QByteArray, QByteArray>> &headers);

// The list envelope every collection route returns: items, total, limit, offset, has_more.
Json pageJson(Json items, int total, int limit, int offset);

} // namespace ordinaut
