// RequestReading: turning request bodies and query strings into values, with the checks every
// route shares (media type, JSON syntax and depth, integer parameters).
#pragma once

#include "HttpMessage.h"

#include "core/Result.h"

namespace ordinaut {

constexpr int kMaxJsonDepth = 64;

// The body as JSON. UnsupportedMediaType unless Content-Type is JSON; MalformedInput for
// invalid JSON (with the position) or nesting deeper than kMaxJsonDepth.
Result<Json> readJsonBody(const HttpRequest &request);

// An optional JSON object body: {} when the body is empty. InvalidArgument naming a field that
// is not in `known`, or when the body is not an object.
Result<Json> optionalObject(const HttpRequest &request, const QStringList &known);

// ?name=N within [min, max]; `fallback` when absent. InvalidArgument naming the parameter.
Result<int> queryInt(const HttpRequest &request, const QString &name, int fallback, int min,
                     int max);

// The deepest nesting of arrays/objects in a JSON text (strings are skipped).
int jsonDepth(const QByteArray &text);

} // namespace ordinaut
