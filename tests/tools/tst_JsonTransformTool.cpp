// tst_JsonTransformTool: filter, map, pick, sort and limit, and their errors.
#include "core/JsonSchema.h"
#include "tools/JsonTransformTool.h"

#include <QTest>

using namespace ordinaut;

class tst_JsonTransformTool final : public QObject
{
    Q_OBJECT
private slots:
    void shapes_data();
    void shapes();
    void refusesWithThePlace_data();
    void refusesWithThePlace();
};

namespace {

const char *const kPeople = R"j([
  {"name": "ada", "age": 36, "team": {"id": 1}},
  {"name": "bob", "age": 17, "team": {"id": 2}},
  {"name": "cy", "age": 52, "team": {"id": 1}}])j";

Result<Json> transform(const Json &with)
{
    JsonTransformTool tool;
    ToolContext context;
    const auto violations = JsonSchema::compile(tool.inputSchema())->validate(with);
    if (!violations.empty())
        return Error::invalid(violations.front().path, violations.front().message);
    Result<Json> out = tool.invoke(with, context);
    if (out && !JsonSchema::compile(tool.outputSchema())->validate(*out).empty())
        return Error::internal(QStringLiteral("output breaks the schema"));
    return out;
}

} // namespace

void tst_JsonTransformTool::shapes_data()
{
    QTest::addColumn<QByteArray>("options");
    QTest::addColumn<QByteArray>("expected");
    auto row = [](const char *name, const char *options, const QByteArray &expected) {
        QTest::newRow(name) << QByteArray(options) << expected;
    };
    row("filter", R"j({"filter": "item.age >= 18"})j",
        R"j({"result":[{"name":"ada","age":36,"team":{"id":1}},)j"
        R"j({"name":"cy","age":52,"team":{"id":1}}],"count":2})j");
    row("map renames and computes",
        R"j({"map": {"who": "upper(item.name)", "adult": "item.age >= 18", "n": "index"}})j",
        R"j({"result":[{"who":"ADA","adult":true,"n":0},{"who":"BOB","adult":false,"n":1},)j"
        R"j({"who":"CY","adult":true,"n":2}],"count":3})j");
    row("pick nested paths", R"j({"pick": ["name", "team.id", "missing"]})j",
        R"j({"result":[{"name":"ada","id":1},{"name":"bob","id":2},{"name":"cy","id":1}],)j"
        R"j("count":3})j");
    row("sort descending by a field map drops",
        R"j({"sort_by": "item.age", "descending": true, "map": {"n": "item.name"}})j",
        R"j({"result":[{"n":"cy"},{"n":"ada"},{"n":"bob"}],"count":3})j");
    row("filter sort limit",
        R"j({"filter": "item.team.id == 1", "sort_by": "item.name", "limit": 1,)j"
        R"j( "map": {"n": "item.name"}})j",
        R"j({"result":[{"n":"ada"}],"count":1})j");
    row("nothing asked: unchanged", "{}",
        R"j({"result":)j" + dumpJson(Json::parse(kPeople)) + R"j(,"count":3})j");
}

void tst_JsonTransformTool::shapes()
{
    QFETCH(QByteArray, options);
    QFETCH(QByteArray, expected);
    Json with = Json::parse(options.toStdString());
    with["data"] = Json::parse(kPeople);
    Result<Json> out = transform(with);
    QVERIFY2(out, qPrintable(out ? QString() : out.error().describe()));
    QCOMPARE(QString::fromUtf8(dumpJson(*out)),
             QString::fromUtf8(dumpJson(Json::parse(expected.toStdString()))));
}

void tst_JsonTransformTool::refusesWithThePlace_data()
{
    QTest::addColumn<QByteArray>("with");
    QTest::addColumn<QByteArray>("described");
    auto row = [](const char *name, const char *with, const char *described) {
        QTest::newRow(name) << QByteArray(with) << QByteArray(described);
    };
    row("filter on an object", R"j({"data": {"a": 1}, "filter": "item.a"})j",
        "with.filter: needs `data` to be an array, got an object");
    row("bad expression", R"j({"data": [], "filter": "item.a =="})j",
        "with.filter: 1:10: expected a value, got the end");
    row("missing field in an item", R"j({"data": [{"a": 1}, {"b": 2}], "map": {"x": "item.a"}})j",
        "with.map.x: item 1: 1:1: item.a does not exist (item has: b)");
    row("map and pick", R"j({"data": [], "map": {"x": "item"}, "pick": ["a"]})j",
        "with.pick: use either map or pick, not both");
    row("no data", R"j({"filter": "true"})j", "data: is required");
    row("unknown option", R"j({"data": [], "where": "x"})j",
        "where: is not a known field (known: data, descending, filter, limit, map, pick, "
        "sort_by)");
}

void tst_JsonTransformTool::refusesWithThePlace()
{
    QFETCH(QByteArray, with);
    QFETCH(QByteArray, described);
    Result<Json> out = transform(Json::parse(with.toStdString()));
    QVERIFY(!out);
    QCOMPARE(out.error().describe(), QString::fromUtf8(described));
}

QTEST_GUILESS_MAIN(tst_JsonTransformTool)
#include "tst_JsonTransformTool.moc"
