// json.transform: filter → map → sort → limit, each stage over `item`/`index`.
#include "JsonTransformTool.h"

#include "pipeline/Expression.h"

#include <algorithm>

namespace ordinaut {

namespace {

struct Compiled
{
    std::optional<Expression> filter;
    std::vector<std::pair<std::string, Expression>> map;
    std::optional<Expression> sortBy;
};

Result<Expression> compile(const Json &text, const QString &field)
{
    Result<Expression> expression = Expression::parseWithRoots(
        text.get<QString>(), {QStringLiteral("item"), QStringLiteral("index")});
    if (!expression)
        return Error::invalid(field, expression.error().message);
    return expression;
}

Result<Json> evaluate(const Expression &expression, const Json &item, int index,
                      const QString &field)
{
    Result<Json> value = expression.evaluate(Json{{"item", item}, {"index", index}});
    if (!value)
        return Error::invalid(field,
                              QStringLiteral("item %1: %2").arg(index).arg(value.error().message));
    return value;
}

// Orders JSON scalars: numbers numerically, strings by code point, null first; mixed types by
// type so the order is total.
bool lessThan(const Json &a, const Json &b)
{
    if (a.is_number() && b.is_number())
        return a.get<double>() < b.get<double>();
    if (a.type() != b.type())
        return a.type() < b.type();
    return a < b;
}

Result<Json> pick(const Json &item, const Json &paths)
{
    Json picked = Json::object();
    for (const Json &path : paths) {
        const QStringList parts = path.get<QString>().split(QLatin1Char('.'));
        const Json *node = &item;
        for (const QString &part : parts) {
            if (!node->is_object() || !node->contains(part.toStdString())) {
                node = nullptr;
                break;
            }
            node = &(*node)[part.toStdString()];
        }
        // The last segment names the field; a missing path is left out rather than failing,
        // because picking is for shaping records that vary.
        if (node)
            picked[parts.last().toStdString()] = *node;
    }
    return picked;
}

} // namespace

QString JsonTransformTool::title() const
{
    return QStringLiteral("Transform JSON");
}

QString JsonTransformTool::description() const
{
    return QStringLiteral(
        "Shapes a value: keeps the items where `filter` holds, builds each from `map` "
        "(field → expression), orders them by `sort_by`, keeps the first `limit`, or keeps only "
        "the `pick` paths. Expressions are written without ${…} and read `item` and `index`, "
        "e.g. filter: \"item.priority == 'high'\", map: {\"who\": \"upper(item.name)\"}.");
}

Json JsonTransformTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["data"], "additionalProperties": false,
      "properties": {
        "data": {"description": "the value to shape; filter, sort_by and limit need an array"},
        "filter": {"type": "string", "minLength": 1},
        "map": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
        "pick": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "sort_by": {"type": "string", "minLength": 1},
        "descending": {"type": "boolean", "default": false},
        "limit": {"type": "integer", "minimum": 0}
      }})");
}

Json JsonTransformTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["result", "count"],
      "properties": {"result": {}, "count": {"type": ["integer", "null"]}}})");
}

Result<Json> JsonTransformTool::invoke(const Json &input, ToolContext &) const
{
    const Json &data = input["data"];
    const bool isArray = data.is_array();
    for (const char *key : {"filter", "sort_by", "limit"}) {
        if (input.contains(key) && !isArray)
            return Error::invalid(
                QStringLiteral("with.") + QLatin1String(key),
                QStringLiteral("needs `data` to be an array, got %1").arg(jsonTypeName(data)));
    }
    if (isArray && data.size() > static_cast<size_t>(kMaxItems))
        return Error::invalid(QStringLiteral("with.data"),
                              QStringLiteral("has %1 items; at most %2 are transformed at once")
                                  .arg(data.size())
                                  .arg(kMaxItems));
    if (input.contains("map") && input.contains("pick"))
        return Error::invalid(QStringLiteral("with.pick"),
                              QStringLiteral("use either map or pick, not both"));

    Compiled compiled;
    if (input.contains("filter")) {
        Result<Expression> e = compile(input["filter"], QStringLiteral("with.filter"));
        if (!e)
            return e.error();
        compiled.filter = std::move(*e);
    }
    if (input.contains("map")) {
        for (const auto &[field, text] : input["map"].items()) {
            Result<Expression> e = compile(text, QStringLiteral("with.map.") + qs(field));
            if (!e)
                return e.error();
            compiled.map.emplace_back(field, std::move(*e));
        }
    }
    if (input.contains("sort_by")) {
        Result<Expression> e = compile(input["sort_by"], QStringLiteral("with.sort_by"));
        if (!e)
            return e.error();
        compiled.sortBy = std::move(*e);
    }

    auto shape = [&](const Json &item, int index) -> Result<Json> {
        if (input.contains("pick"))
            return pick(item, input["pick"]);
        if (compiled.map.empty())
            return item;
        Json shaped = Json::object();
        for (const auto &[field, expression] : compiled.map) {
            Result<Json> value
                = evaluate(expression, item, index, QStringLiteral("with.map.") + qs(field));
            if (!value)
                return value.error();
            shaped[field] = std::move(*value);
        }
        return shaped;
    };

    if (!isArray) {
        Result<Json> shaped = shape(data, 0);
        if (!shaped)
            return shaped.error();
        return Json{{"result", std::move(*shaped)}, {"count", nullptr}};
    }

    // Sorting keys come from the original items, so `sort_by` can use fields `map` drops.
    std::vector<std::pair<Json, Json>> kept; // (sort key, shaped item)
    for (size_t i = 0; i < data.size(); ++i) {
        const int index = static_cast<int>(i);
        if (compiled.filter) {
            Result<Json> keep
                = evaluate(*compiled.filter, data[i], index, QStringLiteral("with.filter"));
            if (!keep)
                return keep.error();
            if (!Expression::truthy(*keep))
                continue;
        }
        Json key;
        if (compiled.sortBy) {
            Result<Json> k
                = evaluate(*compiled.sortBy, data[i], index, QStringLiteral("with.sort_by"));
            if (!k)
                return k.error();
            key = std::move(*k);
        }
        Result<Json> shaped = shape(data[i], index);
        if (!shaped)
            return shaped.error();
        kept.emplace_back(std::move(key), std::move(*shaped));
    }
    if (compiled.sortBy) {
        const bool descending = input.value("descending", false);
        std::stable_sort(kept.begin(), kept.end(), [&](const auto &a, const auto &b) {
            return descending ? lessThan(b.first, a.first) : lessThan(a.first, b.first);
        });
    }
    if (input.contains("limit") && kept.size() > input["limit"].get<size_t>())
        kept.resize(input["limit"].get<size_t>());
    Json result = Json::array();
    for (auto &[key, item] : kept)
        result.push_back(std::move(item));
    const int count = static_cast<int>(result.size());
    return Json{{"result", std::move(result)}, {"count", count}};
}

} // namespace ordinaut
