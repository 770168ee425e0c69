// http.request implementation on QNetworkAccessManager. Each call has its own manager and event
// loop on the calling worker thread, bounded by the step's deadline.
#include "HttpRequestTool.h"

#include "CancelWatch.h"

#include <QBuffer>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrl>

namespace ordinaut {

namespace {

Error inputError(const QString &field, const QString &message)
{
    return Error::invalid(QStringLiteral("with.") + field, message);
}

} // namespace

QString HttpRequestTool::title() const
{
    return QStringLiteral("HTTP request");
}

QString HttpRequestTool::description() const
{
    return QStringLiteral("Calls an HTTP(S) URL and returns the status, headers and body (parsed "
                          "when the reply is JSON).");
}

Json HttpRequestTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["url"], "additionalProperties": false,
      "properties": {
        "method": {"enum": ["GET","POST","PUT","PATCH","DELETE","HEAD","OPTIONS"], "default": "GET"},
        "url": {"type": "string", "minLength": 1, "description": "http:// or https:// URL"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {"description": "text, or JSON when an object or array"},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
        "max_redirects": {"type": "integer", "minimum": 0, "maximum": 20, "default": 10},
        "max_response_bytes": {"type": "integer", "minimum": 1, "maximum": 67108864,
                               "default": 16777216}
      }})");
}

Json HttpRequestTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["status", "headers", "body", "url"],
      "properties": {"status": {"type": "integer"}, "headers": {"type": "object"},
                     "body": {}, "url": {"type": "string"}}})");
}

Result<Json> HttpRequestTool::invoke(const Json &input, ToolContext &context) const
{
    // The input already conforms to inputSchema(); what a schema cannot say is checked here.
    const QString method = qs(input.value("method", std::string("GET")));
    const QUrl url(input["url"].get<QString>(), QUrl::StrictMode);
    if (!url.isValid()
        || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
        || url.host().isEmpty())
        return inputError(
            QStringLiteral("url"),
            QStringLiteral("'%1' is not an http(s) URL").arg(input["url"].get<QString>()));

    int timeoutMs = context.timeoutMs;
    if (input.contains("timeout_seconds"))
        timeoutMs
            = std::min(timeoutMs, static_cast<int>(input["timeout_seconds"].get<double>() * 1000));
    const int maxRedirects = input.value("max_redirects", kDefaultMaxRedirects);
    const qint64 maxBytes = input.value("max_response_bytes", kMaxResponseBytes);

    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setMaximumRedirectsAllowed(maxRedirects);
    if (input.contains("headers")) {
        for (const auto &[name, value] : input["headers"].items())
            request.setRawHeader(QByteArray::fromStdString(name), value.get<QString>().toUtf8());
    }
    QByteArray body;
    if (input.contains("body") && !input["body"].is_null()) {
        const Json &b = input["body"];
        if (b.is_string()) {
            body = b.get<QString>().toUtf8();
            if (!request.hasRawHeader("Content-Type"))
                request.setHeader(QNetworkRequest::ContentTypeHeader,
                                  QByteArrayLiteral("text/plain; charset=utf-8"));
        } else {
            body = dumpJson(b);
            if (!request.hasRawHeader("Content-Type"))
                request.setHeader(QNetworkRequest::ContentTypeHeader,
                                  QByteArrayLiteral("application/json"));
        }
    }

    QNetworkAccessManager manager;
    QBuffer payload(&body);
    payload.open(QIODevice::ReadOnly);
    QNetworkReply *reply = manager.sendCustomRequest(request, method.toLatin1(),
                                                     body.isEmpty() ? nullptr : &payload);
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    bool timedOut = false;
    bool tooLarge = false;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        reply->abort();
    });
    QObject::connect(reply, &QNetworkReply::downloadProgress, &loop, [&](qint64 received, qint64) {
        if (received > maxBytes) {
            tooLarge = true;
            reply->abort();
        }
    });
    const CancelWatch cancel(context, [reply] { reply->abort(); });
    deadline.start(timeoutMs);
    if (!reply->isFinished())
        loop.exec();
    std::unique_ptr<QNetworkReply> owned(reply);

    if (cancel.fired())
        return context.cancellation->error();
    if (timedOut)
        return Error{ErrorCode::Timeout,
                     QStringLiteral("%1 %2 got no complete reply within %3 ms")
                         .arg(method, url.toString())
                         .arg(timeoutMs),
                     {}};
    if (tooLarge)
        return Error{ErrorCode::PayloadTooLarge,
                     QStringLiteral("the reply from %1 is larger than %2 bytes")
                         .arg(url.toString())
                         .arg(maxBytes),
                     {}};
    if (reply->error() == QNetworkReply::TooManyRedirectsError)
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("%1 %2 was redirected more than %3 times (max_redirects)")
                         .arg(method, url.toString())
                         .arg(maxRedirects),
                     {}};
    const QVariant statusAttribute = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!statusAttribute.isValid())
        return Error{
            ErrorCode::Unavailable,
            QStringLiteral("%1 %2 failed: %3").arg(method, url.toString(), reply->errorString()),
            {}};

    Json headers = Json::object();
    for (const auto &[name, value] : reply->rawHeaderPairs())
        headers[name.toLower().toStdString()] = value.toStdString();
    const QByteArray data = reply->readAll();
    const QString contentType
        = reply->header(QNetworkRequest::ContentTypeHeader).toString().toLower();
    Json parsedBody = data.toStdString();
    if (contentType.contains(QLatin1String("json"))) {
        if (auto parsed = parseJson(data))
            parsedBody = std::move(*parsed);
    }
    return Json{{"status", statusAttribute.toInt()},
                {"headers", std::move(headers)},
                {"body", std::move(parsedBody)},
                {"url", reply->url().toString()}};
}

} // namespace ordinaut
