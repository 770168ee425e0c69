// Template: exact placeholders keep their JSON type, embedded ones are stringified, `$${` is a
// literal, and a missing path is an error naming what is missing.
#include "pipeline/Template.h"

#include <QTest>

using namespace ordinaut;

namespace {

const Json kScope = Json::parse(R"({
  "steps": {"fetch": {"status": 200, "ok": true, "body": {"items": [{"name": "a"}, {"name": "b"}]},
                      "text": "hi", "none": null}},
  "params": {"who": "world", "n": 3.5},
  "task": {"id": "t-1", "title": "T"}, "run": {"id": "r-1"}})");

} // namespace

class tst_Template final : public QObject
{
    Q_OBJECT

private slots:
    void renders_data();
    void renders();
    void rendersNestedStructures();
    void errorsNameTheProblem_data();
    void errorsNameTheProblem();
    void nonStringsPassThrough();
    void errorInArrayNamesTheIndex();
    void referencesAreListed();
};

void tst_Template::renders_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected"); // JSON text

    QTest::newRow("exactNumberKeepsType") << "${steps.fetch.status}"
                                          << "200";
    QTest::newRow("exactBoolKeepsType") << "${steps.fetch.ok}"
                                        << "true";
    QTest::newRow("exactObjectKeepsType") << "${steps.fetch.body.items[1]}"
                                          << R"({"name":"b"})";
    QTest::newRow("exactArrayKeepsType") << "${ steps.fetch.body.items }"
                                         << R"([{"name":"a"},{"name":"b"}])";
    QTest::newRow("exactNullKeepsType") << "${steps.fetch.none}"
                                        << "null";
    QTest::newRow("embeddedIsStringified") << "status=${steps.fetch.status}!"
                                           << R"("status=200!")";
    QTest::newRow("embeddedObjectIsJsonText") << "got ${steps.fetch.body.items[0]}"
                                              << R"("got {\"name\":\"a\"}")";
    QTest::newRow("embeddedNullIsEmpty") << "[${steps.fetch.none}]"
                                         << R"("[]")";
    QTest::newRow("twoPlaceholders") << "${params.who}/${params.n}"
                                     << R"("world/3.5")";
    QTest::newRow("escapedIsLiteral") << "$${params.who} costs $5"
                                      << R"("${params.who} costs $5")";
    QTest::newRow("plainText") << "no templates"
                               << R"("no templates")";
    QTest::newRow("taskAndRun") << "${task.id}:${run.id}"
                                << R"("t-1:r-1")";
    QTest::newRow("indexZeroThenKey") << "${steps.fetch.body.items[0].name}"
                                      << R"("a")";
    QTest::newRow("exactStringStaysString") << "${steps.fetch.text}"
                                            << R"("hi")";
    QTest::newRow("exactParam") << "${params.n}"
                                << "3.5";
    QTest::newRow("escapedAlone") << "$${x}"
                                  << R"("${x}")";
    QTest::newRow("escapedBesideReal") << "$${a} ${params.who}"
                                       << R"("${a} world")";
    QTest::newRow("loneDollarIsText") << "$5 and $ {x}"
                                      << R"("$5 and $ {x}")";
    QTest::newRow("empty") << ""
                           << R"("")";
}

void tst_Template::renders()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    Result<Json> out
        = Template::render(Json(input.toStdString()), kScope, QStringLiteral("with.x"));
    QVERIFY2(out, qPrintable(out ? QString() : out.error().describe()));
    QCOMPARE(QString::fromStdString(out->dump()), expected);
}

void tst_Template::rendersNestedStructures()
{
    const Json with
        = Json::parse(R"({"a": ["${params.n}", {"b": "x${params.who}"}], "c": 7, "d": false})");
    Result<Json> out = Template::render(with, kScope, QStringLiteral("with"));
    QVERIFY(out);
    QCOMPARE(QString::fromStdString(out->dump()),
             QStringLiteral(R"({"a":[3.5,{"b":"xworld"}],"c":7,"d":false})"));
}

void tst_Template::errorsNameTheProblem_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("missingKey") << "${steps.fetch.stats}"
                                << "1:3: steps.fetch.stats does not exist (steps.fetch has: body";
    QTest::newRow("missingStep") << "${steps.nope.x}"
                                 << "1:3: steps.nope does not exist (steps has: fetch)";
    QTest::newRow("indexOutOfRange") << "${steps.fetch.body.items[5]}"
                                     << "1:3: steps.fetch.body.items has 2 item(s), no [5]";
    QTest::newRow("unknownRoot") << "${secrets.x}"
                                 << "1:3: unknown name 'secrets'";
    QTest::newRow("unclosed") << "abc ${params.who"
                              << "1:5: '${' is not closed by '}'";
    QTest::newRow("syntax") << "${1 + 2}"
                            << "1:5: unexpected character '+'";
    QTest::newRow("emptyPlaceholder") << "${}"
                                      << "1:3: the expression is empty";
    QTest::newRow("missingParam") << "x ${params.nope} y"
                                  << "1:5: params.nope does not exist (params has: n, who)";
    QTest::newRow("memberOfNumber") << "${steps.fetch.status.code}"
                                    << "1:3: steps.fetch.status is an integer, so it has no 'code'";
    QTest::newRow("unknownFunction") << "Hello ${uper(params.who)}"
                                     << "1:9: unknown function 'uper' (did you mean 'upper'?)";
    QTest::newRow("secondLine") << "line one\n  ${params.who ==}"
                                << "2:18: expected a value, got '}'";
}

void tst_Template::errorsNameTheProblem()
{
    QFETCH(QString, input);
    QFETCH(QString, mentions);
    Result<Json> out
        = Template::render(Json{{"k", input.toStdString()}}, kScope, QStringLiteral("with"));
    QVERIFY(!out);
    QVERIFY(out.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(out.error().field, QStringLiteral("with.k"));
    QVERIFY2(out.error().message.contains(mentions), qPrintable(out.error().message));
}

void tst_Template::nonStringsPassThrough()
{
    const Json with = Json::parse(R"({"n": 1, "f": 2.5, "b": true, "z": null, "e": {}, "a": []})");
    Result<Json> out = Template::render(with, Json::object(), QStringLiteral("with"));
    QVERIFY(out);
    QVERIFY(*out == with);
}

void tst_Template::errorInArrayNamesTheIndex()
{
    Result<Json> out = Template::render(Json::parse(R"({"list": ["ok", "${params.none}"]})"),
                                        kScope, QStringLiteral("pipeline[2].with"));
    QVERIFY(!out);
    QCOMPARE(out.error().field, QStringLiteral("pipeline[2].with.list[1]"));
}

void tst_Template::referencesAreListed()
{
    Result<std::vector<TemplateReference>> refs = Template::references(
        Json::parse(R"({"u": "${params.a}/${steps.s.b[2]}", "l": ["$${x}"]})"),
        QStringLiteral("with"));
    QVERIFY(refs);
    QCOMPARE(int(refs->size()), 2);
    QCOMPARE(refs->at(1).path.segments, (QStringList{QStringLiteral("steps"), QStringLiteral("s"),
                                                     QStringLiteral("b"), QStringLiteral("2")}));
    QCOMPARE(refs->at(1).field, QStringLiteral("with.u"));
}

QTEST_GUILESS_MAIN(tst_Template)
#include "tst_Template.moc"
