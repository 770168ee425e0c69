// OpenApi: fragment merging and the /docs page.
#include "OpenApi.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>

#include <map>

namespace ordinaut {

namespace {

const QString kResourceDir = QStringLiteral(":/ordinaut/openapi");
const QString kBase = QStringLiteral("base.json");

// `node[key]`, or null (which iterates as empty) when absent: never a temporary to iterate.
const Json &member(const Json &node, const char *key)
{
    static const Json none;
    if (!node.is_object())
        return none;
    const auto found = node.find(key);
    return found == node.end() ? none : *found;
}

Error fragmentError(const QString &fragment, const QString &message)
{
    return Error::invalid(QStringLiteral("openapi/") + fragment, message);
}

Result<Json> readFragment(const QString &name)
{
    QFile file(kResourceDir + QLatin1Char('/') + name);
    if (!file.open(QIODevice::ReadOnly))
        return fragmentError(name, QStringLiteral("cannot be read"));
    std::optional<Json> parsed = parseJson(file.readAll());
    if (!parsed || !parsed->is_object())
        return fragmentError(name, QStringLiteral("is not a JSON object"));
    return std::move(*parsed);
}

} // namespace

Status OpenApi::merge(Json &document, const Json &fragment, const QString &name)
{
    for (const auto &[key, value] : fragment.items()) {
        if (key != "paths" && key != "components" && key != "tags")
            return fragmentError(name, QStringLiteral("has '%1'; a fragment holds only paths, "
                                                      "components and tags")
                                           .arg(qs(key)));
        if (key == "tags" ? !value.is_array() : !value.is_object())
            return fragmentError(name, QStringLiteral("'%1' has the wrong type").arg(qs(key)));
    }
    for (const auto &[path, operations] : member(fragment, "paths").items()) {
        Json &target = document["paths"][path];
        for (const auto &[method, operation] : operations.items()) {
            if (target.contains(method))
                return fragmentError(
                    name,
                    QStringLiteral("describes %1 %2 again").arg(qs(method).toUpper(), qs(path)));
            target[method] = operation;
        }
    }
    for (const auto &[section, entries] : member(fragment, "components").items()) {
        Json &target = document["components"][section];
        for (const auto &[entry, value] : entries.items()) {
            if (target.contains(entry))
                return fragmentError(
                    name,
                    QStringLiteral("defines components.%1.%2 again").arg(qs(section), qs(entry)));
            target[entry] = value;
        }
    }
    Json &tags = document["tags"];
    for (const Json &tag : member(fragment, "tags")) {
        const bool known = std::any_of(tags.begin(), tags.end(), [&](const Json &existing) {
            return existing.value("name", "") == tag.value("name", "");
        });
        if (!known)
            tags.push_back(tag);
    }
    return {};
}

namespace {

// --- /docs --------------------------------------------------------------------------------

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

QString escaped(const Json &text)
{
    return text.is_string() ? escaped(text.get<QString>()) : QString();
}

// Paragraphs and `code` spans of the descriptions, escaped.
QString prose(const Json &text)
{
    if (!text.is_string())
        return {};
    static const QRegularExpression code(QStringLiteral("`([^`]+)`"));
    QString html;
    for (const QString &paragraph :
         text.get<QString>().split(QStringLiteral("\n\n"), Qt::SkipEmptyParts)) {
        QString body = escaped(paragraph);
        body.replace(code, QStringLiteral("<code>\\1</code>"));
        html += QStringLiteral("<p>") + body + QStringLiteral("</p>\n");
    }
    return html;
}

QString anchor(const QString &text)
{
    QString id = text.toLower();
    static const QRegularExpression other(QStringLiteral("[^a-z0-9]+"));
    id.replace(other, QStringLiteral("-"));
    return id;
}

// A schema as indented JSON, its $refs linked to the schemas section.
QString schemaHtml(const Json &schema)
{
    QString html = escaped(QString::fromUtf8(QByteArray::fromStdString(schema.dump(2))));
    static const QRegularExpression ref(
        QStringLiteral("&quot;#/components/schemas/([A-Za-z0-9_.-]+)&quot;"));
    html.replace(ref, QStringLiteral("<a href=\"#schema-\\1\">\\1</a>"));
    return QStringLiteral("<pre>") + html + QStringLiteral("</pre>\n");
}

QString scopeOf(const Json &operation)
{
    const Json security = operation.value("security", Json::array());
    if (security.empty())
        return QStringLiteral("public");
    QStringList scopes;
    for (const Json &requirement : security)
        for (const auto &[scheme, names] : requirement.items())
            for (const Json &scope : names)
                scopes << scope.get<QString>();
    return scopes.isEmpty() ? QStringLiteral("any valid token") : scopes.join(QStringLiteral(", "));
}

struct Operation
{
    QString path;
    QString method;
    Json body;
};

QString operationHtml(const Operation &op)
{
    const Json &o = op.body;
    const QString id
        = o.contains("operationId") ? escaped(o["operationId"]) : anchor(op.method + op.path);
    QString html = QStringLiteral("<section class=\"op\" id=\"%1\">\n<h3><span class=\"method "
                                  "%2\">%3</span> <code>%4</code></h3>\n")
                       .arg(id, op.method, op.method.toUpper(), escaped(op.path));
    html += QStringLiteral("<p class=\"summary\">%1 <span class=\"scope\">%2</span></p>\n")
                .arg(escaped(o.value("summary", Json(""))), escaped(scopeOf(o)));
    html += prose(o.value("description", Json()));
    const Json parameters = member(o, "parameters");
    if (!parameters.empty()) {
        html += QStringLiteral("<table><tr><th>parameter</th><th>in</th><th>schema</th>"
                               "<th>description</th></tr>\n");
        for (const Json &parameter : parameters) {
            const bool isRef = parameter.contains("$ref");
            html += QStringLiteral("<tr><td><code>%1</code>%2</td><td>%3</td><td><code>%4</code>"
                                   "</td><td>%5</td></tr>\n")
                        .arg(isRef ? escaped(
                                 parameter["$ref"].get<QString>().section(QLatin1Char('/'), -1))
                                   : escaped(parameter.value("name", Json(""))),
                             parameter.value("required", false) ? QStringLiteral(" *") : QString(),
                             escaped(parameter.value("in", Json(""))),
                             escaped(QString::fromStdString(
                                 parameter.value("schema", Json::object()).dump())),
                             escaped(parameter.value("description", Json(""))));
        }
        html += QStringLiteral("</table>\n");
    }
    if (o.contains("requestBody")) {
        html += QStringLiteral("<h4>Request body</h4>\n");
        for (const auto &[type, media] : member(o["requestBody"], "content").items())
            html += QStringLiteral("<p><code>%1</code></p>\n").arg(escaped(qs(type)))
                    + schemaHtml(media.value("schema", Json::object()));
    }
    html += QStringLiteral("<h4>Responses</h4>\n<ul>\n");
    for (const auto &[status, response] : member(o, "responses").items()) {
        QString text = response.contains("$ref") ? QStringLiteral("problem details")
                                                 : escaped(response.value("description", Json("")));
        if (!response.contains("$ref"))
            for (const auto &[type, media] : member(response, "content").items())
                if (media.contains("schema") && media["schema"].contains("$ref")) {
                    const QString name
                        = media["schema"]["$ref"].get<QString>().section(QLatin1Char('/'), -1);
                    text += QStringLiteral(" — <a href=\"#schema-%1\">%1</a>").arg(escaped(name));
                }
        html += QStringLiteral("<li><b>%1</b> %2</li>\n").arg(escaped(qs(status)), text);
    }
    html += QStringLiteral("</ul>\n</section>\n");
    return html;
}

QByteArray styleSheet()
{
    QFile file(QStringLiteral(":/ordinaut/docs/docs.css"));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

Result<Json> OpenApi::assemble()
{
    Result<Json> document = readFragment(kBase);
    if (!document)
        return document.error();
    QStringList fragments
        = QDir(kResourceDir).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    fragments.removeAll(kBase);
    for (const QString &name : std::as_const(fragments)) {
        Result<Json> fragment = readFragment(name);
        if (!fragment)
            return fragment.error();
        if (Status merged = OpenApi::merge(*document, *fragment, name); !merged)
            return merged.error();
    }
    // Every tag an operation names is listed, in the order first named.
    Json &tags = (*document)["tags"];
    for (const auto &[path, operations] : (*document)["paths"].items())
        for (const auto &[method, operation] : operations.items())
            for (const Json &tag : member(operation, "tags")) {
                const bool known = std::any_of(tags.begin(), tags.end(), [&](const Json &t) {
                    return t.value("name", Json()) == tag;
                });
                if (!known)
                    tags.push_back(Json{{"name", tag}});
            }
    return document;
}

const Result<Json> &OpenApi::document()
{
    static const Result<Json> assembled = assemble();
    return assembled;
}

QByteArray OpenApi::renderHtml(const Json &document)
{
    const Json info = document.value("info", Json::object());
    // Operations by tag, in the tags' order.
    std::map<QString, std::vector<Operation>> byTag;
    for (const auto &[path, operations] : member(document, "paths").items())
        for (const auto &[method, operation] : operations.items()) {
            const Json tags = member(operation, "tags");
            const QString tag = tags.empty() ? QStringLiteral("Other") : tags[0].get<QString>();
            byTag[tag].push_back(Operation{qs(path), qs(method), operation});
        }
    QStringList order;
    for (const Json &tag : member(document, "tags"))
        order << tag.value("name", Json("")).get<QString>();
    for (const auto &[tag, ops] : byTag)
        if (!order.contains(tag))
            order << tag;

    QString html
        = QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                         "<meta name=\"viewport\" content=\"width=device-width\">"
                         "<title>%1</title><style>\n")
              .arg(escaped(info.value("title", Json(""))));
    html += QString::fromUtf8(styleSheet());
    html += QStringLiteral("</style></head><body>\n<nav><h2>Contents</h2>\n<ul>\n");
    for (const QString &tag : std::as_const(order)) {
        if (!byTag.count(tag))
            continue;
        html += QStringLiteral("<li><a href=\"#tag-%1\">%2</a><ul>\n")
                    .arg(anchor(tag), escaped(tag));
        for (const Operation &op : byTag[tag])
            html += QStringLiteral("<li><a href=\"#%1\"><span class=\"method %2\">%3</span> %4"
                                   "</a></li>\n")
                        .arg(escaped(op.body.value("operationId", Json(""))), op.method,
                             op.method.toUpper(), escaped(op.path));
        html += QStringLiteral("</ul></li>\n");
    }
    html += QStringLiteral("<li><a href=\"#schemas\">Schemas</a></li>\n</ul>\n<p><a href=\""
                           "/openapi.json\">openapi.json</a></p></nav>\n<main>\n");
    html += QStringLiteral("<h1>%1 <small>v%2</small></h1>\n")
                .arg(escaped(info.value("title", Json(""))),
                     escaped(info.value("version", Json(""))));
    html += prose(info.value("description", Json()));
    for (const QString &tag : std::as_const(order)) {
        if (!byTag.count(tag))
            continue;
        html += QStringLiteral("<h2 id=\"tag-%1\">%2</h2>\n").arg(anchor(tag), escaped(tag));
        for (const Json &t : member(document, "tags"))
            if (t.value("name", Json("")) == Json(tag))
                html += prose(t.value("description", Json()));
        for (const Operation &op : byTag[tag])
            html += operationHtml(op);
    }
    html += QStringLiteral("<h2 id=\"schemas\">Schemas</h2>\n");
    const Json schemas = member(document, "components").value("schemas", Json::object());
    for (const auto &[name, schema] : schemas.items())
        html += QStringLiteral("<section class=\"schema\" id=\"schema-%1\"><h3>%1</h3>\n")
                    .arg(escaped(qs(name)))
                + prose(schema.value("description", Json())) + schemaHtml(schema)
                + QStringLiteral("</section>\n");
    html += QStringLiteral("</main></body></html>\n");
    return html.toUtf8();
}

} // namespace ordinaut
