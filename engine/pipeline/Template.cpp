// Template rendering over nlohmann::json values.
#include "Template.h"

#include <QHash>

#include <memory>
#include <optional>

namespace ordinaut {

namespace {

struct Piece
{
    QString literal; // when not an expression
    std::optional<Expression> expression;
};

// Splits a string into literal and `${…}` pieces. InvalidArgument naming `field` for an
// unclosed or malformed expression, with its line:column in the string.
Result<std::vector<Piece>> split(const QString &input, const QString &field)
{
    std::vector<Piece> pieces;
    QString literal;
    qsizetype i = 0;
    while (i < input.size()) {
        if (input.at(i) == QLatin1Char('$') && i + 2 < input.size()
            && input.at(i + 1) == QLatin1Char('$') && input.at(i + 2) == QLatin1Char('{')) {
            literal += QStringLiteral("${");
            i += 3;
            continue;
        }
        if (input.at(i) == QLatin1Char('$') && i + 1 < input.size()
            && input.at(i + 1) == QLatin1Char('{')) {
            qsizetype end = 0;
            Result<Expression> expression = Expression::parse(input, i + 2, true, &end);
            if (!expression)
                return Error::invalid(field, expression.error().message);
            if (!literal.isEmpty())
                pieces.push_back(Piece{literal, std::nullopt});
            literal.clear();
            pieces.push_back(Piece{QString(), std::move(*expression)});
            i = end + 1;
            continue;
        }
        literal += input.at(i);
        ++i;
    }
    if (!literal.isEmpty() || pieces.empty())
        pieces.push_back(Piece{literal, std::nullopt});
    return pieces;
}

// Parsed strings, per thread: a pipeline renders the same templates on every run.
Result<std::shared_ptr<const std::vector<Piece>>> parsed(const QString &input, const QString &field)
{
    thread_local QHash<QString, std::shared_ptr<const std::vector<Piece>>> cache;
    if (const auto it = cache.constFind(input); it != cache.constEnd())
        return *it;
    Result<std::vector<Piece>> pieces = split(input, field);
    if (!pieces)
        return pieces.error();
    if (cache.size() >= 4096)
        cache.clear();
    auto shared = std::make_shared<const std::vector<Piece>>(std::move(*pieces));
    cache.insert(input, shared);
    return shared;
}

Result<Json> renderString(const QString &input, const Json &scope, const QString &field)
{
    if (!input.contains(QLatin1Char('$')))
        return Json(input);
    Result<std::shared_ptr<const std::vector<Piece>>> pieces = parsed(input, field);
    if (!pieces)
        return pieces.error();
    const std::vector<Piece> &list = **pieces;
    if (list.size() == 1 && list.front().expression) {
        Result<Json> value = list.front().expression->evaluate(scope);
        if (!value)
            return Error::invalid(field, value.error().message);
        return value;
    }
    QString out;
    for (const Piece &piece : list) {
        if (!piece.expression) {
            out += piece.literal;
            continue;
        }
        Result<Json> value = piece.expression->evaluate(scope);
        if (!value)
            return Error::invalid(field, value.error().message);
        out += Expression::stringify(*value);
    }
    return Json(out);
}

QString childPath(const QString &parent, const std::string &key, bool isArray)
{
    if (isArray)
        return parent + QStringLiteral("[%1]").arg(qs(key));
    return parent + QLatin1Char('.') + qs(key);
}

} // namespace

Result<Json> Template::render(const Json &value, const Json &scope, const QString &fieldPath)
{
    if (value.is_string())
        return renderString(value.get<QString>(), scope, fieldPath);
    if (value.is_object() || value.is_array()) {
        Json out = value.is_object() ? Json::object() : Json::array();
        for (const auto &[key, child] : value.items()) {
            Result<Json> rendered
                = render(child, scope, childPath(fieldPath, key, value.is_array()));
            if (!rendered)
                return rendered.error();
            if (value.is_object())
                out[key] = std::move(*rendered);
            else
                out.push_back(std::move(*rendered));
        }
        return out;
    }
    return value;
}

Result<std::vector<TemplateReference>> Template::references(const Json &value,
                                                            const QString &fieldPath)
{
    std::vector<TemplateReference> found;
    if (value.is_string()) {
        Result<std::vector<Piece>> pieces = split(value.get<QString>(), fieldPath);
        if (!pieces)
            return pieces.error();
        for (const Piece &piece : *pieces) {
            if (!piece.expression)
                continue;
            for (const PathReference &path : piece.expression->references())
                found.push_back(TemplateReference{fieldPath, path});
        }
    } else if (value.is_object() || value.is_array()) {
        for (const auto &[key, child] : value.items()) {
            Result<std::vector<TemplateReference>> inner
                = references(child, childPath(fieldPath, key, value.is_array()));
            if (!inner)
                return inner.error();
            found.insert(found.end(), inner->begin(), inner->end());
        }
    }
    return found;
}

} // namespace ordinaut
