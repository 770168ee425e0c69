// ApiServer: QHttpServerRequest → HttpRequest → HttpResponse → socket, or an event stream that
// keeps the socket.
#include "ApiServer.h"

#include "EventStream.h"
#include "HttpApi.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>

namespace ordinaut {

namespace {

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get:
        return "GET";
    case QHttpServerRequest::Method::Put:
        return "PUT";
    case QHttpServerRequest::Method::Delete:
        return "DELETE";
    case QHttpServerRequest::Method::Post:
        return "POST";
    case QHttpServerRequest::Method::Head:
        return "HEAD";
    case QHttpServerRequest::Method::Options:
        return "OPTIONS";
    case QHttpServerRequest::Method::Patch:
        return "PATCH";
    default:
        return "OTHER";
    }
}

} // namespace

ApiServer::ApiServer(const HttpApi &api)
    : m_api(api)
{}

bool ApiServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    HttpRequest in;
    in.method = methodName(request.method());
    in.path = request.url().path();
    in.query = request.query();
    for (const auto &[name, value] : request.headers())
        in.headers.insert(name.toLower(), value);
    in.body = request.body();
    in.peer = request.remoteAddress().toString();

    const HttpResponse out = m_api.handle(std::move(in));
    if (out.eventStream) {
        // The connection becomes the stream: no responder, the stream writes the head itself.
        EventStream::start(socket, *out.eventStream, out.headers);
        return true;
    }
    if (out.takeOver) {
        out.takeOver(socket, out.headers);
        return true;
    }
    QHttpServerResponder responder = makeResponder(request, socket);
    responder.writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(out.status));
    if (out.status != 204) {
        responder.writeHeader("Content-Type", out.contentType);
        responder.writeHeader("Content-Length", QByteArray::number(out.body.size()));
    }
    responder.writeHeader("Cache-Control", "no-store");
    for (const auto &[name, value] : out.headers)
        responder.writeHeader(name, value);
    if (out.status != 204)
        responder.writeBody(out.body);
    else
        responder.writeBody(QByteArray());
    return true;
}

void ApiServer::missingHandler(const QHttpServerRequest &, QTcpSocket *)
{
    // handleRequest answers every request, including unknown paths (404 problem+json).
}

} // namespace ordinaut
