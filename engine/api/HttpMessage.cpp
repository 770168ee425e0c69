// HttpResponse builders, including application/problem+json.
#include "HttpMessage.h"

namespace ordinaut {

namespace {

QString reasonPhrase(int status)
{
    switch (status) {
    case 400:
        return QStringLiteral("Bad Request");
    case 401:
        return QStringLiteral("Unauthorized");
    case 403:
        return QStringLiteral("Forbidden");
    case 404:
        return QStringLiteral("Not Found");
    case 405:
        return QStringLiteral("Method Not Allowed");
    case 409:
        return QStringLiteral("Conflict");
    case 413:
        return QStringLiteral("Content Too Large");
    case 415:
        return QStringLiteral("Unsupported Media Type");
    case 422:
        return QStringLiteral("Unprocessable Content");
    case 429:
        return QStringLiteral("Too Many Requests");
    case 503:
        return QStringLiteral("Service Unavailable");
    case 504:
        return QStringLiteral("Gateway Timeout");
    default:
        return QStringLiteral("Internal Server Error");
    }
}

} // namespace

Json pageJson(Json items, int total, int limit, int offset)
{
    const bool more = offset + static_cast<int>(items.size()) < total;
    return Json{{"items", std::move(items)},
                {"total", total},
                {"limit", limit},
                {"offset", offset},
                {"has_more", more}};
}

HttpResponse HttpResponse::json(int status, const Json &value)
{
    HttpResponse response;
    response.status = status;
    response.body = dumpJson(value);
    return response;
}

int HttpResponse::statusFor(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument:
        return 422;
    case ErrorCode::MalformedInput:
        return 400;
    case ErrorCode::NotFound:
        return 404;
    case ErrorCode::Conflict:
        return 409;
    case ErrorCode::Unauthenticated:
        return 401;
    case ErrorCode::PermissionDenied:
        return 403;
    case ErrorCode::PayloadTooLarge:
        return 413;
    case ErrorCode::UnsupportedMediaType:
        return 415;
    case ErrorCode::Timeout:
        return 504;
    case ErrorCode::Canceled:
        return 409;
    case ErrorCode::Unavailable:
        return 503;
    case ErrorCode::RateLimited:
        return 429;
    case ErrorCode::Internal:
        return 500;
    }
    return 500;
}

HttpResponse HttpResponse::problem(const Error &error, const QString &instance)
{
    const int status = statusFor(error.code);
    Json body{{"type", "about:blank"},
              {"title", reasonPhrase(status)},
              {"status", status},
              {"detail", error.describe()},
              {"instance", instance}};
    if (!error.diagnostics.empty()) {
        body["errors"] = Json::array();
        for (const Diagnostic &d : error.diagnostics)
            body["errors"].push_back(Json{{"field", d.field}, {"message", d.message}});
    } else if (!error.field.isEmpty()) {
        body["errors"] = Json::array({Json{{"field", error.field}, {"message", error.message}}});
    }
    HttpResponse response = json(status, body);
    response.contentType = "application/problem+json";
    if (status == 401)
        response.headers.append(
            qMakePair(QByteArray("WWW-Authenticate"), QByteArray("Bearer realm=\"ordinaut\"")));
    return response;
}

HttpResponse HttpResponse::problem(int status, const QString &detail, const QString &instance)
{
    HttpResponse response = json(status, Json{{"type", "about:blank"},
                                              {"title", reasonPhrase(status)},
                                              {"status", status},
                                              {"detail", detail},
                                              {"instance", instance}});
    response.contentType = "application/problem+json";
    return response;
}

QByteArray eventStreamHead(const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                      "Cache-Control: no-store\r\nConnection: close\r\n"
                      "X-Accel-Buffering: no\r\n";
    for (const auto &[name, value] : headers)
        head += name + ": " + value + "\r\n";
    return head + "\r\n";
}

} // namespace ordinaut
