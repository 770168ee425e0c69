// OpenApi: the API's OpenAPI 3.1 document, assembled from one fragment per resource
// (engine/api/openapi/<resource>.json, compiled in as resources) on top of base.json, and the
// readable page /docs renders from it.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <QByteArray>

namespace ordinaut {

class OpenApi final
{
public:
    // Merges base.json and every fragment: their paths, tags and components. InvalidArgument
    // naming the fragment for unparsable JSON, a path operation or component defined twice.
    static Result<Json> assemble();
    // Adds one fragment (named `name` in errors) to `document`.
    static Status merge(Json &document, const Json &fragment, const QString &name);
    // The assembled document, built once per process.
    static const Result<Json> &document();
    // The /docs page for `document`: every operation by tag, with its scope, parameters, body
    // and answers, then the schemas. Self-contained HTML (no scripts, no remote files).
    static QByteArray renderHtml(const Json &document);
};

} // namespace ordinaut
