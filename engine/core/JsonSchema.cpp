// JsonSchema: valijson underneath; this file turns its results into paths and plain messages.
#include "JsonSchema.h"

#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <QStringList>

#include <algorithm>

namespace ordinaut {

namespace {

// One step into the value: a property name or an array index.
struct Segment
{
    std::string name;
    int index = -1;
};

QString pathText(const std::vector<Segment> &segments)
{
    QString text;
    for (const Segment &segment : segments) {
        if (segment.index >= 0)
            text += QStringLiteral("[%1]").arg(segment.index);
        else
            text += (text.isEmpty() ? QString() : QStringLiteral(".")) + qs(segment.name);
    }
    return text;
}

// valijson's context is ["<root>", "[name]", "[0]", …]; whether "[0]" is an index or a
// property called "0" depends on the value, so walk it.
std::vector<Segment> segmentsOf(const std::vector<std::string> &context, const Json &value)
{
    std::vector<Segment> segments;
    const Json *node = &value;
    for (const std::string &part : context) {
        if (part.size() < 2 || part.front() != '[' || part.back() != ']')
            continue;
        const std::string inner = part.substr(1, part.size() - 2);
        Segment segment;
        if (node && node->is_array()) {
            segment.index = std::stoi(inner);
            node = segment.index < static_cast<int>(node->size()) ? &(*node)[segment.index]
                                                                  : nullptr;
        } else {
            segment.name = inner;
            node = node && node->is_object() && node->contains(inner) ? &(*node)[inner] : nullptr;
        }
        segments.push_back(std::move(segment));
    }
    return segments;
}

QString pointerEscape(const std::string &name)
{
    QString text = qs(name);
    text.replace(QLatin1Char('~'), QLatin1String("~0"));
    text.replace(QLatin1Char('/'), QLatin1String("~1"));
    return text;
}

// The subschema that governs the value at `segments`, and its JSON pointer. Follows
// properties / additionalProperties / items only: enough for the schemas tools declare.
const Json *schemaAt(const Json &schema, const std::vector<Segment> &segments, QString *pointer)
{
    const Json *node = &schema;
    *pointer = QStringLiteral("#");
    for (const Segment &segment : segments) {
        if (!node->is_object())
            return nullptr;
        if (segment.index >= 0) {
            const auto items = node->find("items");
            if (items == node->end())
                return nullptr;
            if (items->is_array()) {
                if (segment.index >= static_cast<int>(items->size()))
                    return nullptr;
                *pointer += QStringLiteral("/items/%1").arg(segment.index);
                node = &(*items)[segment.index];
            } else {
                *pointer += QStringLiteral("/items");
                node = &*items;
            }
            continue;
        }
        const auto properties = node->find("properties");
        if (properties != node->end() && properties->is_object()
            && properties->contains(segment.name)) {
            *pointer += QStringLiteral("/properties/") + pointerEscape(segment.name);
            node = &(*properties)[segment.name];
            continue;
        }
        const auto additional = node->find("additionalProperties");
        if (additional == node->end() || !additional->is_object())
            return nullptr;
        *pointer += QStringLiteral("/additionalProperties");
        node = &*additional;
    }
    return node;
}

QString typeWords(const Json &type)
{
    auto word = [](const std::string &name) -> QString {
        if (name == "object" || name == "array" || name == "integer")
            return QStringLiteral("an ") + qs(name);
        if (name == "null")
            return QStringLiteral("null");
        return QStringLiteral("a ") + qs(name);
    };
    if (type.is_string())
        return word(type.get<std::string>());
    QStringList words;
    for (const Json &t : type)
        if (t.is_string())
            words << word(t.get<std::string>());
    return words.join(QStringLiteral(" or "));
}

QString valueWords(const Json &value)
{
    const QByteArray text = dumpJson(value);
    return text.size() <= 60 ? QString::fromUtf8(text)
                             : QString(QString::fromUtf8(text.left(57)) + QStringLiteral("…"));
}

QString knownFields(const Json *schema)
{
    QStringList names;
    if (schema && schema->contains("properties"))
        for (const auto &[name, sub] : (*schema)["properties"].items())
            names << qs(name);
    return names.join(QStringLiteral(", "));
}

bool startsWith(const std::string &text, const char *prefix)
{
    return text.rfind(prefix, 0) == 0;
}

std::string quoted(const std::string &text)
{
    // "… '<name>'." → <name> (the last quoted part)
    const auto last = text.rfind('\'');
    const auto first
        = last == std::string::npos || last == 0 ? std::string::npos : text.rfind('\'', last - 1);
    return first == std::string::npos || last <= first ? std::string()
                                                       : text.substr(first + 1, last - first - 1);
}

const Json *valueAt(const Json &value, const std::vector<Segment> &segments)
{
    const Json *node = &value;
    for (const Segment &segment : segments) {
        if (segment.index >= 0) {
            if (!node->is_array() || segment.index >= static_cast<int>(node->size()))
                return nullptr;
            node = &(*node)[segment.index];
        } else {
            if (!node->is_object() || !node->contains(segment.name))
                return nullptr;
            node = &(*node)[segment.name];
        }
    }
    return node;
}

SchemaViolation describe(const valijson::ValidationResults::Error &error, const Json &schema,
                         const Json &value)
{
    std::vector<Segment> segments = segmentsOf(error.context, value);
    QString pointer;
    const Json *sub = schemaAt(schema, segments, &pointer);
    const Json *instance = valueAt(value, segments);
    const std::string &text = error.description;
    auto keyword
        = [&](const char *name) { return sub && sub->contains(name) ? (*sub)[name] : Json(); };
    SchemaViolation violation;
    violation.message = qs(text);
    QString key;
    if (startsWith(text, "Value type not permitted")) {
        key = QStringLiteral("type");
        violation.message = QStringLiteral("must be %1, got %2")
                                .arg(typeWords(keyword("type")),
                                     instance ? jsonTypeName(*instance) : QStringLiteral("?"));
    } else if (startsWith(text, "Missing required property")) {
        key = QStringLiteral("required");
        segments.push_back(Segment{quoted(text), -1});
        violation.message = QStringLiteral("is required");
    } else if (startsWith(text, "Object contains a property")) {
        key = QStringLiteral("additionalProperties");
        segments.push_back(Segment{quoted(text), -1});
        const QString known = knownFields(sub);
        violation.message = known.isEmpty()
                                ? QStringLiteral("is not allowed here")
                                : QStringLiteral("is not a known field (known: %1)").arg(known);
    } else if (startsWith(text, "Failed to match against any enum")) {
        key = QStringLiteral("enum");
        QStringList options;
        for (const Json &option : keyword("enum"))
            options << valueWords(option);
        violation.message = QStringLiteral("must be one of %1, got %2")
                                .arg(options.join(QStringLiteral(", ")),
                                     instance ? valueWords(*instance) : QStringLiteral("?"));
    } else if (startsWith(text, "Failed to match expected value set by 'const'")) {
        key = QStringLiteral("const");
        violation.message = QStringLiteral("must be %1").arg(valueWords(keyword("const")));
    } else if (startsWith(text, "Expected number greater than or equal")) {
        key = QStringLiteral("minimum");
        violation.message
            = QStringLiteral("must be at least %1").arg(valueWords(keyword("minimum")));
    } else if (startsWith(text, "Expected number greater than")) {
        key = QStringLiteral("exclusiveMinimum");
        violation.message = QStringLiteral("must be greater than %1")
                                .arg(valueWords(keyword("exclusiveMinimum")));
    } else if (startsWith(text, "Expected number less than or equal")) {
        key = QStringLiteral("maximum");
        violation.message
            = QStringLiteral("must be at most %1").arg(valueWords(keyword("maximum")));
    } else if (startsWith(text, "Expected number less than")) {
        key = QStringLiteral("exclusiveMaximum");
        violation.message
            = QStringLiteral("must be less than %1").arg(valueWords(keyword("exclusiveMaximum")));
    } else if (startsWith(text, "String should be no fewer than")) {
        key = QStringLiteral("minLength");
        violation.message = QStringLiteral("must be at least %1 characters long")
                                .arg(valueWords(keyword("minLength")));
    } else if (startsWith(text, "String should be no more than")) {
        key = QStringLiteral("maxLength");
        violation.message = QStringLiteral("must be at most %1 characters long")
                                .arg(valueWords(keyword("maxLength")));
    } else if (startsWith(text, "Array should contain no fewer than")) {
        key = QStringLiteral("minItems");
        violation.message
            = QStringLiteral("must have at least %1 items").arg(valueWords(keyword("minItems")));
    } else if (startsWith(text, "Array should contain no more than")) {
        key = QStringLiteral("maxItems");
        violation.message
            = QStringLiteral("must have at most %1 items").arg(valueWords(keyword("maxItems")));
    } else if (startsWith(text, "Failed to match regex")) {
        key = QStringLiteral("pattern");
        violation.message
            = QStringLiteral("must match the pattern %1").arg(valueWords(keyword("pattern")));
    } else if (startsWith(text, "Object should have no fewer than")) {
        key = QStringLiteral("minProperties");
        violation.message = QStringLiteral("must have at least %1 fields")
                                .arg(valueWords(keyword("minProperties")));
    } else if (!violation.message.isEmpty() && violation.message.endsWith(QLatin1Char('.'))) {
        violation.message.chop(1);
        violation.message[0] = violation.message[0].toLower();
    }
    violation.path = pathText(segments);
    violation.schemaPath = sub ? pointer + (key.isEmpty() ? QString() : QLatin1Char('/') + key)
                               : QStringLiteral("#");
    return violation;
}

bool isPrefix(const std::vector<std::string> &shorter, const std::vector<std::string> &longer)
{
    return shorter.size() < longer.size()
           && std::equal(shorter.begin(), shorter.end(), longer.begin());
}

} // namespace

Result<JsonSchema> JsonSchema::compile(const Json &schema)
{
    if (!schema.is_object() && !schema.is_boolean())
        return Error{
            ErrorCode::MalformedInput,
            QStringLiteral("a JSON Schema must be an object, got %1").arg(jsonTypeName(schema)),
            {}};
    JsonSchema compiled;
    auto document = std::make_shared<Json>(schema);
    auto parsed = std::make_shared<valijson::Schema>();
    try {
        valijson::SchemaParser parser;
        valijson::adapters::NlohmannJsonAdapter adapter(*document);
        parser.populateSchema(adapter, *parsed);
    } catch (const std::exception &e) {
        return Error{
            ErrorCode::MalformedInput,
            QStringLiteral("not a usable JSON Schema: %1").arg(QString::fromUtf8(e.what())),
            {}};
    }
    compiled.m_document = std::move(document);
    compiled.m_schema = std::move(parsed);
    return compiled;
}

std::vector<SchemaViolation> JsonSchema::validate(const Json &value) const
{
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter adapter(value);
    try {
        if (validator.validate(*m_schema, adapter, &results))
            return {};
    } catch (const std::exception &e) {
        return {SchemaViolation{
            QString(), QStringLiteral("#"),
            QStringLiteral("cannot be checked: %1").arg(QString::fromUtf8(e.what()))}};
    }
    std::vector<valijson::ValidationResults::Error> errors(results.begin(), results.end());
    // "Failed to validate against schema associated with property name 'x'" and the like only
    // say that something deeper failed; keep the deeper error.
    std::vector<SchemaViolation> violations;
    for (const auto &error : errors) {
        const bool summary = startsWith(error.description, "Failed to validate")
                             && std::any_of(errors.begin(), errors.end(), [&](const auto &other) {
                                    return isPrefix(error.context, other.context);
                                });
        if (!summary)
            violations.push_back(describe(error, *m_document, value));
    }
    std::stable_sort(violations.begin(), violations.end(),
                     [](const SchemaViolation &a, const SchemaViolation &b) {
                         return a.path.count(QLatin1Char('.')) + a.path.count(QLatin1Char('['))
                                > b.path.count(QLatin1Char('.')) + b.path.count(QLatin1Char('['));
                     });
    return violations;
}

QString JsonSchema::joinPath(const QString &base, const QString &path)
{
    if (path.isEmpty())
        return base;
    if (base.isEmpty())
        return path;
    return path.startsWith(QLatin1Char('[')) ? QString(base + path)
                                             : QString(base + QLatin1Char('.') + path);
}

} // namespace ordinaut
