// The OpenAPI document: assembled from its fragments, it describes every registered route with
// the scope that route really needs and nothing that is not a route; its references resolve; and
// /openapi.json and /docs serve it without a token.
#include "support/TempDataDir.h"

#include "api/HttpApi.h"
#include "api/OpenApi.h"
#include "core/Json.h"
#include "runtime/Engine.h"
#include "service/Services.h"

#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTest>

#include <memory>

using namespace ordinaut;

namespace {

// Every "$ref" in `node` with where it was found.
void collectRefs(const Json &node, const QString &where, QList<QPair<QString, QString>> &refs)
{
    if (node.is_object()) {
        for (const auto &[key, value] : node.items()) {
            if (key == "$ref" && value.is_string())
                refs.append(qMakePair(value.get<QString>(), where));
            else
                collectRefs(value, where + QLatin1Char('/') + qs(key), refs);
        }
    } else if (node.is_array()) {
        for (size_t i = 0; i < node.size(); ++i)
            collectRefs(node[i], where + QLatin1Char('/') + QString::number(i), refs);
    }
}

// The node a local JSON pointer ("#/components/schemas/Task") names, or null.
const Json *resolve(const Json &document, const QString &ref)
{
    if (!ref.startsWith(QLatin1String("#/")))
        return nullptr;
    const Json *node = &document;
    for (const QString &part : ref.mid(2).split(QLatin1Char('/'))) {
        QString key = part;
        key.replace(QLatin1String("~1"), QLatin1String("/"))
            .replace(QLatin1String("~0"), QLatin1String("~"));
        if (!node->is_object() || !node->contains(key.toStdString()))
            return nullptr;
        node = &(*node)[key.toStdString()];
    }
    return node;
}

} // namespace

class tst_OpenApi final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void theFragmentsAssemble();
    void everyRouteIsDescribedWithItsScope();
    void everyDescribedOperationIsARoute();
    void operationsAreComplete();
    void everyReferenceResolves();
    void aFragmentMayNotRedefineAnOperationOrSchema();
    void theDocumentAndTheDocsPageAreServedWithoutAToken();

private:
    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
    std::unique_ptr<HttpApi> m_api;
    Json m_document;
};

void tst_OpenApi::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, nullptr});
    QVERIFY2(engine, engine ? "" : qPrintable(engine.error().describe()));
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_api = std::make_unique<HttpApi>(*m_engine, *m_services, QByteArray(32, 'k'));
    const Result<Json> &document = OpenApi::document();
    QVERIFY2(document, document ? "" : qPrintable(document.error().describe()));
    m_document = *document;
}

void tst_OpenApi::cleanupTestCase()
{
    m_api.reset();
    m_services.reset();
    m_engine.reset();
    m_dir.reset();
}

void tst_OpenApi::theFragmentsAssemble()
{
    QCOMPARE(m_document.value("openapi", ""), std::string("3.1.0"));
    QVERIFY(m_document["info"]["title"].is_string());
    QVERIFY(m_document["components"]["securitySchemes"].contains("bearer"));
    QVERIFY(m_document["paths"].size() > 10);
}

void tst_OpenApi::everyRouteIsDescribedWithItsScope()
{
    const std::vector<Router::Entry> routes = m_api->router().entries();
    QVERIFY(routes.size() > 10);
    QStringList missing;
    QStringList wrongScope;
    for (const Router::Entry &route : routes) {
        const std::string path = route.pattern.toStdString();
        const std::string method = route.method.toLower().toStdString();
        const QString name = QString::fromLatin1(route.method) + QLatin1Char(' ') + route.pattern;
        if (!m_document["paths"].contains(path) || !m_document["paths"][path].contains(method)) {
            missing << name;
            continue;
        }
        const Json security = m_document["paths"][path][method].value("security", Json());
        const Json expected
            = route.access.isPublic()
                  ? Json::array()
                  : Json::array({Json{{"bearer", route.access.scopeName().isEmpty()
                                                     ? Json::array() // any valid token
                                                     : Json::array({route.access.scopeName()})}}});
        if (security != expected)
            wrongScope << name + QStringLiteral(" documents ") + qs(security.dump())
                              + QStringLiteral(", needs ") + qs(expected.dump());
    }
    QVERIFY2(missing.isEmpty(), qPrintable(QStringLiteral("not in openapi.json: ")
                                           + missing.join(QStringLiteral(", "))));
    QVERIFY2(wrongScope.isEmpty(), qPrintable(wrongScope.join(QStringLiteral("; "))));
}

void tst_OpenApi::everyDescribedOperationIsARoute()
{
    QSet<QString> routes;
    for (const Router::Entry &route : m_api->router().entries())
        routes.insert(QString::fromLatin1(route.method.toLower()) + QLatin1Char(' ')
                      + route.pattern);
    QStringList stale;
    for (const auto &[path, operations] : m_document["paths"].items())
        for (const auto &[method, operation] : operations.items())
            if (!routes.contains(qs(method) + QLatin1Char(' ') + qs(path)))
                stale << qs(method) + QLatin1Char(' ') + qs(path);
    QVERIFY2(stale.isEmpty(), qPrintable(QStringLiteral("documented but not served: ")
                                         + stale.join(QStringLiteral(", "))));
}

void tst_OpenApi::operationsAreComplete()
{
    static const QRegularExpression placeholder(QStringLiteral("\\{([a-z_]+)\\}"));
    QSet<QString> operationIds;
    QStringList problems;
    for (const auto &[path, operations] : m_document["paths"].items()) {
        for (const auto &[method, operation] : operations.items()) {
            const QString name = qs(method).toUpper() + QLatin1Char(' ') + qs(path);
            const QString id = qs(operation.value("operationId", ""));
            if (id.isEmpty() || operationIds.contains(id))
                problems << name + QStringLiteral(": missing or repeated operationId '") + id
                                + QLatin1Char('\'');
            operationIds.insert(id);
            for (const char *key : {"summary", "description"})
                if (!operation.contains(key) || !operation[key].is_string()
                    || operation[key].get<std::string>().empty())
                    problems << name + QStringLiteral(": no ") + QString::fromLatin1(key);
            if (!operation.value("tags", Json::array()).is_array()
                || operation.value("tags", Json::array()).empty())
                problems << name + QStringLiteral(": no tag");
            const Json responses = operation.value("responses", Json::object());
            const bool succeeds = std::any_of(
                responses.items().begin(), responses.items().end(),
                [](const auto &item) { return item.key().size() == 3 && item.key()[0] == '2'; });
            if (!succeeds)
                problems << name + QStringLiteral(": no 2xx answer");
            // Scoped routes can be refused: their 401 and 403 are described.
            if (!operation.value("security", Json::array()).empty()
                && (!responses.contains("401") || !responses.contains("403")))
                problems << name + QStringLiteral(": 401/403 not described");
            QSet<QString> declared;
            for (const Json &parameter : operation.value("parameters", Json::array()))
                if (parameter.value("in", "") == "path")
                    declared.insert(qs(parameter.value("name", "")));
            QRegularExpressionMatchIterator it = placeholder.globalMatch(qs(path));
            while (it.hasNext()) {
                const QString param = it.next().captured(1);
                if (!declared.contains(param))
                    problems << name + QStringLiteral(": path parameter '") + param
                                    + QStringLiteral("' not declared");
            }
        }
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

void tst_OpenApi::everyReferenceResolves()
{
    QList<QPair<QString, QString>> refs;
    collectRefs(m_document, QString(), refs);
    QVERIFY(refs.size() > 20);
    QStringList broken;
    for (const auto &[ref, where] : std::as_const(refs))
        if (!resolve(m_document, ref))
            broken << ref + QStringLiteral(" at ") + where;
    QVERIFY2(broken.isEmpty(), qPrintable(broken.join(QLatin1Char('\n'))));
}

void tst_OpenApi::aFragmentMayNotRedefineAnOperationOrSchema()
{
    Json document
        = Json{{"paths", Json::object()}, {"components", Json::object()}, {"tags", Json::array()}};
    const Json first = Json{{"paths", {{"/a", {{"get", {{"operationId", "a"}}}}}}},
                            {"components", {{"schemas", {{"A", {{"type", "object"}}}}}}}};
    QVERIFY(OpenApi::merge(document, first, QStringLiteral("one.json")));
    // The same path with another method joins it.
    QVERIFY(OpenApi::merge(document, Json{{"paths", {{"/a", {{"post", {{"operationId", "b"}}}}}}}},
                           QStringLiteral("two.json")));
    QCOMPARE(document["paths"]["/a"].size(), size_t(2));
    Status again = OpenApi::merge(document, Json{{"paths", {{"/a", {{"get", Json::object()}}}}}},
                                  QStringLiteral("three.json"));
    QVERIFY(!again);
    QVERIFY2(again.error().describe().contains(QLatin1String("GET /a")),
             qPrintable(again.error().describe()));
    QVERIFY2(again.error().describe().contains(QLatin1String("three.json")),
             qPrintable(again.error().describe()));
    Status schema
        = OpenApi::merge(document, Json{{"components", {{"schemas", {{"A", Json::object()}}}}}},
                         QStringLiteral("four.json"));
    QVERIFY(!schema);
    QVERIFY2(schema.error().describe().contains(QLatin1String("components.schemas.A")),
             qPrintable(schema.error().describe()));
    Status unknown
        = OpenApi::merge(document, Json{{"info", Json::object()}}, QStringLiteral("five.json"));
    QVERIFY(!unknown);
    QVERIFY2(unknown.error().describe().contains(QLatin1String("'info'")),
             qPrintable(unknown.error().describe()));
}

void tst_OpenApi::theDocumentAndTheDocsPageAreServedWithoutAToken()
{
    HttpRequest request;
    request.method = "GET";
    request.path = QStringLiteral("/openapi.json");
    request.peer = QStringLiteral("127.0.0.1");
    const HttpResponse json = m_api->handle(request);
    QCOMPARE(json.status, 200);
    QCOMPARE(json.contentType, QByteArray("application/json"));
    const std::optional<Json> served = parseJson(json.body);
    QVERIFY(served);
    QVERIFY2(*served == m_document, "the served document is the assembled one");

    request.path = QStringLiteral("/docs");
    const HttpResponse page = m_api->handle(request);
    QCOMPARE(page.status, 200);
    QVERIFY(page.contentType.startsWith("text/html"));
    const QString html = QString::fromUtf8(page.body);
    // Every operation has its section, under its id, with its scope named.
    for (const auto &[path, operations] : m_document["paths"].items())
        for (const auto &[method, operation] : operations.items()) {
            const QString id = qs(operation.value("operationId", ""));
            QVERIFY2(html.contains(QStringLiteral("id=\"") + id + QLatin1Char('"')),
                     qPrintable(id));
        }
    QVERIFY(html.contains(QLatin1String("tasks:read")));
    // Self-contained: nothing loaded from elsewhere.
    QVERIFY(!html.contains(QLatin1String("<script")));
    QVERIFY(!html.contains(QLatin1String("src=\"http")));
    QVERIFY(!html.contains(QLatin1String("<link")));
}

QTEST_GUILESS_MAIN(tst_OpenApi)
#include "tst_OpenApi.moc"
