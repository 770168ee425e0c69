// Template: renders `${path}` placeholders in a step's `with` against a run's scope
// ({"steps":…, "params":…, "task":…, "run":…}). A string that is exactly one `${…}` keeps the
// JSON type of its value; an embedded one is stringified; `$${` is a literal `${`.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <QStringList>

#include <vector>

namespace ordinaut {

// One `${…}` found in a document: the JSON path of the string holding it and the path inside.
struct TemplateReference
{
    QString field;        // "with.url"
    QStringList segments; // ["steps", "fetch", "body", "0"]
    QString text;         // "steps.fetch.body[0]"
};

class Template final
{
public:
    // Renders every string inside `value`. InvalidArgument naming `fieldPath` + the location
    // when a placeholder is malformed or its path does not exist in `scope`.
    static Result<Json> render(const Json &value, const Json &scope, const QString &fieldPath);

    // Every placeholder in `value`, for static checks. InvalidArgument for malformed ones.
    static Result<std::vector<TemplateReference>> references(const Json &value,
                                                             const QString &fieldPath);

    // Splits "steps.x.a[0]" into ["steps","x","a","0"]; nullopt when it is not a path
    // (expressions beyond paths arrive with the expression language).
    static std::optional<QStringList> parsePath(const QString &text);
};

} // namespace ordinaut
