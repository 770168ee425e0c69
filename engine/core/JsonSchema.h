// JsonSchema: a compiled JSON Schema (draft 7, through valijson) and its violations in words a
// person can act on, each with the instance path and the schema path that refused it.
#pragma once

#include "Json.h"
#include "Result.h"

#include <memory>
#include <vector>

namespace valijson {
class Schema;
}

namespace ordinaut {

struct SchemaViolation
{
    QString path;       // in the value: "" (the value itself), "to[1]", "headers.accept"
    QString schemaPath; // in the schema: "#/properties/to/items/type"
    QString message;    // "must be a string, got an integer"
};

class JsonSchema final
{
public:
    // MalformedInput when `schema` is not a usable JSON Schema.
    static Result<JsonSchema> compile(const Json &schema);

    // Every violation, deepest first; empty when `value` conforms. Thread-safe.
    std::vector<SchemaViolation> validate(const Json &value) const;
    const Json &document() const { return *m_document; }

    // "pipeline[0].with" + "to[1]" → "pipeline[0].with.to[1]".
    static QString joinPath(const QString &base, const QString &path);

private:
    JsonSchema() = default;
    std::shared_ptr<const Json> m_document;
    std::shared_ptr<const valijson::Schema> m_schema;
};

} // namespace ordinaut
