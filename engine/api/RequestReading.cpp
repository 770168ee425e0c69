// RequestReading implementation.
#include "RequestReading.h"

namespace ordinaut {

int jsonDepth(const QByteArray &text)
{
    int depth = 0;
    int deepest = 0;
    bool inString = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

Result<Json> readJsonBody(const HttpRequest &request)
{
    const QByteArray type = request.headers.value("content-type").toLower();
    const qsizetype semicolon = type.indexOf(';');
    const QByteArray mediaType = (semicolon < 0 ? type : type.left(semicolon)).trimmed();
    if (mediaType != "application/json" && !mediaType.endsWith("+json"))
        return Error{
            ErrorCode::UnsupportedMediaType,
            QStringLiteral("send the body as JSON with 'Content-Type: application/json' (got '%1')")
                .arg(QString::fromLatin1(type.isEmpty() ? QByteArray("none") : type)),
            {}};
    if (jsonDepth(request.body) > kMaxJsonDepth)
        return Error{
            ErrorCode::MalformedInput,
            QStringLiteral("the JSON body is nested deeper than %1 levels").arg(kMaxJsonDepth),
            {}};
    try {
        return Json::parse(request.body.constBegin(), request.body.constEnd());
    } catch (const Json::exception &error) { // parse errors, and numbers out of range
        return Error{
            ErrorCode::MalformedInput,
            QStringLiteral("the body is not valid JSON: %1").arg(QString::fromUtf8(error.what())),
            {}};
    }
}

Result<int> queryInt(const HttpRequest &request, const QString &name, int fallback, int min,
                     int max)
{
    if (!request.query.hasQueryItem(name))
        return fallback;
    bool ok = false;
    const int value = request.query.queryItemValue(name).toInt(&ok);
    if (!ok || value < min || value > max)
        return Error::invalid(name,
                              QStringLiteral("must be an integer from %1 to %2").arg(min).arg(max));
    return value;
}

Result<Json> optionalObject(const HttpRequest &request, const QStringList &known)
{
    if (request.body.trimmed().isEmpty())
        return Json::object();
    Result<Json> body = readJsonBody(request);
    if (!body)
        return body.error();
    if (!body->is_object())
        return Error::invalid(QString(), QStringLiteral("the body must be a JSON object"));
    for (const auto &[key, value] : body->items()) {
        if (!known.contains(qs(key)))
            return Error::invalid(qs(key), known.isEmpty()
                                               ? QStringLiteral("is not a field (send no body)")
                                               : QStringLiteral("is not a field (known: %1)")
                                                     .arg(known.join(QStringLiteral(", "))));
    }
    return body;
}

} // namespace ordinaut
