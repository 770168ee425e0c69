// Template: renders `${expression}` placeholders (see Expression) in a step's `with` against a
// run's scope ({"steps":…, "params":…, "task":…, "run":…}). A string that is exactly one `${…}`
// keeps the JSON type of its value; an embedded one is stringified (objects and arrays as compact
// JSON); `$${` is a literal `${`; an unclosed `${` is an error.
#pragma once

#include "Expression.h"

#include "core/Json.h"
#include "core/Result.h"

#include <QStringList>

#include <vector>

namespace ordinaut {

// A path read by a `${…}` in a document: the JSON path of the string holding it and the path.
struct TemplateReference
{
    QString field; // "with.url"
    PathReference path;
};

class Template final
{
public:
    // Renders every string inside `value`. InvalidArgument naming `fieldPath` + the location
    // ("1:14: …") when a placeholder is malformed or fails (a missing path, a type mismatch).
    static Result<Json> render(const Json &value, const Json &scope, const QString &fieldPath);

    // Every placeholder in `value`, for static checks. InvalidArgument for malformed ones.
    static Result<std::vector<TemplateReference>> references(const Json &value,
                                                             const QString &fieldPath);
};

} // namespace ordinaut
