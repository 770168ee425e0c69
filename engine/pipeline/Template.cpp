// Template rendering over nlohmann::json values.
#include "Template.h"

#include <QRegularExpression>

namespace ordinaut {

namespace {

struct Piece
{
    bool isPath = false;
    QString text;         // literal text, or the path's source
    QStringList segments; // for paths
};

// Splits a string into literal and `${…}` pieces. InvalidArgument for an unclosed or invalid one.
Result<std::vector<Piece>> split(const QString &input, const QString &field)
{
    std::vector<Piece> pieces;
    QString literal;
    int i = 0;
    while (i < input.size()) {
        if (input.mid(i, 3) == QLatin1String("$${")) {
            literal += QStringLiteral("${");
            i += 3;
            continue;
        }
        if (input.mid(i, 2) == QLatin1String("${")) {
            const int close = input.indexOf(QLatin1Char('}'), i + 2);
            if (close < 0)
                return Error::invalid(
                    field, QStringLiteral("'${' at position %1 is not closed by '}'").arg(i));
            const QString source = input.mid(i + 2, close - i - 2).trimmed();
            const auto segments = Template::parsePath(source);
            if (!segments)
                return Error::invalid(field,
                                      QStringLiteral("'${%1}' is not a path like steps.<id>.a.b[0] "
                                                     "or params.x")
                                          .arg(source));
            if (!literal.isEmpty())
                pieces.push_back(Piece{false, literal, {}});
            literal.clear();
            pieces.push_back(Piece{true, source, *segments});
            i = close + 1;
            continue;
        }
        literal += input.at(i);
        ++i;
    }
    if (!literal.isEmpty() || pieces.empty())
        pieces.push_back(Piece{false, literal, {}});
    return pieces;
}

QString keysOf(const Json &node)
{
    QStringList keys;
    for (const auto &[key, value] : node.items()) {
        keys << qs(key);
        if (keys.size() == 8) {
            keys << QStringLiteral("…");
            break;
        }
    }
    return keys.isEmpty() ? QStringLiteral("nothing") : keys.join(QStringLiteral(", "));
}

Result<Json> lookup(const Json &scope, const Piece &piece, const QString &field)
{
    const Json *node = &scope;
    QString walked;
    for (const QString &segment : piece.segments) {
        bool isIndex = false;
        const int index = segment.toInt(&isIndex);
        if (node->is_array() && isIndex) {
            if (index < 0 || static_cast<size_t>(index) >= node->size())
                return Error::invalid(field, QStringLiteral("${%1}: %2 has %3 items, no [%4]")
                                                 .arg(piece.text, walked)
                                                 .arg(node->size())
                                                 .arg(index));
            node = &(*node)[static_cast<size_t>(index)];
        } else if (node->is_object() && node->contains(segment.toStdString())) {
            node = &(*node)[segment.toStdString()];
        } else {
            return Error::invalid(
                field,
                walked.isEmpty()
                    ? QStringLiteral("${%1}: '%2' is not defined (use steps, params, task or run)")
                          .arg(piece.text, segment)
                    : QStringLiteral("${%1}: '%2' does not exist in %3 (it has: %4)")
                          .arg(piece.text, segment, walked, keysOf(*node)));
        }
        if (walked.isEmpty())
            walked = segment;
        else if (isIndex)
            walked += QStringLiteral("[%1]").arg(segment);
        else
            walked += QLatin1Char('.') + segment;
    }
    return *node;
}

QString stringify(const Json &value)
{
    if (value.is_string())
        return value.get<QString>();
    if (value.is_null())
        return QString();
    return QString::fromUtf8(dumpJson(value));
}

Result<Json> renderString(const QString &input, const Json &scope, const QString &field)
{
    Result<std::vector<Piece>> pieces = split(input, field);
    if (!pieces)
        return pieces.error();
    if (pieces->size() == 1 && pieces->front().isPath)
        return lookup(scope, pieces->front(), field);
    QString out;
    for (const Piece &piece : *pieces) {
        if (!piece.isPath) {
            out += piece.text;
            continue;
        }
        Result<Json> value = lookup(scope, piece, field);
        if (!value)
            return value.error();
        out += stringify(*value);
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

std::optional<QStringList> Template::parsePath(const QString &text)
{
    static const QRegularExpression shape(
        QStringLiteral("^[A-Za-z_][A-Za-z0-9_-]*(?:\\.[A-Za-z_][A-Za-z0-9_-]*|\\[\\d+\\])*$"));
    if (!shape.match(text).hasMatch())
        return std::nullopt;
    QStringList segments;
    static const QRegularExpression token(QStringLiteral("[A-Za-z_][A-Za-z0-9_-]*|\\[(\\d+)\\]"));
    auto it = token.globalMatch(text);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        segments << (m.captured(1).isEmpty() ? m.captured(0) : m.captured(1));
    }
    return segments;
}

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
            if (piece.isPath)
                found.push_back(TemplateReference{fieldPath, piece.segments, piece.text});
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
