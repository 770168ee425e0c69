// PipelineChecker: unknown tools and references to later, undefined or missing things are
// refused at save time with the field that holds them.
#include "pipeline/PipelineChecker.h"

#include "tools/ToolRegistry.h"

#include <QTest>

using namespace ordinaut;

class tst_PipelineChecker final : public QObject
{
    Q_OBJECT

private slots:
    void refuses_data();
    void refuses();
    void acceptsValidPipeline();
    void reportsEveryProblemWithItsPath();
    void staticInputIsCheckedTemplatesAreNot_data();
    void staticInputIsCheckedTemplatesAreNot();
};

void tst_PipelineChecker::refuses_data()
{
    QTest::addColumn<QString>("document");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("startsWith");
    QTest::newRow("unknownTool")
        << R"({"pipeline":[{"id":"a","uses":"debug.echo"},{"id":"b","uses":"x"}]})"
        << "payload.pipeline[1].uses"
        << "unknown tool 'x'";
    QTest::newRow("laterStep")
        << R"({"pipeline":[{"id":"a","uses":"debug.echo","with":{"v":"${steps.b.x}"}},
                                                  {"id":"b","uses":"debug.echo"}]})"
        << "payload.pipeline[0].with.v"
        << "1:3: steps.b.x: step 'b' runs later";
    QTest::newRow("undefinedStep")
        << R"({"pipeline":[{"id":"a","uses":"debug.echo","with":{"v":"${steps.zz}"}}]})"
        << "payload.pipeline[0].with.v"
        << "1:3: steps.zz: there is no step named 'zz'";
    QTest::newRow("ownResult")
        << R"({"pipeline":[{"id":"a","uses":"debug.echo","with":{"v":"${steps.a}"}}]})"
        << "payload.pipeline[0].with.v"
        << "1:3: steps.a: a step cannot use its own result";
    QTest::newRow("missingParam") << R"({"params":{"a":1},"pipeline":[{"id":"a","uses":"debug.echo",
                                        "with":{"v":["${params.b}"]}}]})"
                                  << "payload.pipeline[0].with.v[0]"
                                  << "1:3: params.b: params has no 'b' (has: a;";
    QTest::newRow("unknownRoot")
        << R"({"pipeline":[{"id":"a","uses":"debug.echo","with":{"v":"${env.HOME}"}}]})"
        << "payload.pipeline[0].with.v"
        << "1:3: unknown name 'env'";
    QTest::newRow("unknownFunction")
        << R"({"pipeline":[{"id":"a","uses":"debug.echo","with":{"subject":"Re: ${uper(task.title)}"}}]})"
        << "payload.pipeline[0].with.subject"
        << "1:7: unknown function 'uper' (did you mean 'upper'?)";
    QTest::newRow("conditionOnLaterStep")
        << R"({"pipeline":[{"id":"a","uses":"debug.echo","if":"steps.b.ok"},{"id":"b","uses":"debug.echo"}]})"
        << "payload.pipeline[0].if"
        << "1:1: steps.b.ok: step 'b' runs later";
    QTest::newRow("conditionSyntax")
        << R"({"pipeline":[{"id":"a","uses":"debug.echo","if":"${params.x ==}"}]})"
        << "payload.pipeline[0].if"
        << "1:14: expected a value, got '}'";
    QTest::newRow("laterStepInsideAFunction")
        << R"({"pipeline":[{"id":"a","uses":"debug.echo","with":{"v":"${default(len(steps.b.items), 0)}"}},
                                                  {"id":"b","uses":"debug.echo"}]})"
        << "payload.pipeline[0].with.v"
        << "1:15: steps.b.items: step 'b' runs later";
}

void tst_PipelineChecker::refuses()
{
    QFETCH(QString, document);
    QFETCH(QString, field);
    QFETCH(QString, startsWith);
    Result<Pipeline> pipeline
        = Pipeline::fromJson(Json::parse(document.toStdString()), QStringLiteral("payload"));
    QVERIFY2(pipeline, qPrintable(pipeline ? QString() : pipeline.error().describe()));
    const auto tools = ToolRegistry::withBuiltins();
    Status checked = PipelineChecker(*tools).check(*pipeline, QStringLiteral("payload"));
    QVERIFY(!checked);
    QCOMPARE(checked.error().field, field);
    QVERIFY2(checked.error().message.startsWith(startsWith), qPrintable(checked.error().message));
}

void tst_PipelineChecker::acceptsValidPipeline()
{
    Result<Pipeline> pipeline
        = Pipeline::fromJson(Json::parse(R"({"params":{"url":"http://x"},"pipeline":[
        {"id":"fetch","uses":"http.request","with":{"url":"${params.url}"},"save_as":"data"},
        {"id":"say","uses":"debug.echo","with":{"s":"${steps.data.status}","t":"${task.title} ${run.id}"}}]})"),
                             QStringLiteral("payload"));
    QVERIFY(pipeline);
    const auto tools = ToolRegistry::withBuiltins();
    Status checked = PipelineChecker(*tools).check(*pipeline, QStringLiteral("payload"));
    QVERIFY2(checked, qPrintable(checked ? QString() : checked.error().describe()));
}

void tst_PipelineChecker::reportsEveryProblemWithItsPath()
{
    Result<Pipeline> pipeline = Pipeline::fromJson(Json::parse(R"j({"pipeline":[
        {"id":"a","uses":"http.reqest","with":{"url":"x"}},
        {"id":"b","uses":"notify.desktop","with":{"title":"${upr(steps.a.body)}","colour":1}},
        {"id":"c","uses":"debug.echo","with":{"x":"${steps.d.y}"},"if":"params.go &&"},
        {"id":"d","uses":"http.request","with":{"url":"http://h","timeout_seconds":0}}]})j"),
                                                   QStringLiteral("payload"));
    QVERIFY(pipeline);
    const auto tools = ToolRegistry::withBuiltins();
    const std::vector<Diagnostic> found
        = PipelineChecker(*tools).diagnose(*pipeline, QStringLiteral("payload"));
    QStringList lines;
    for (const Diagnostic &d : found)
        lines << d.field + QStringLiteral(": ")
                     + d.message.section(QLatin1Char('('), 0, 0).trimmed();
    const QStringList expected = {
        QStringLiteral("payload.pipeline[0].uses: unknown tool 'http.reqest'"),
        QStringLiteral("payload.pipeline[1].with.colour: is not a known field"),
        QStringLiteral("payload.pipeline[1].with.title: 1:3: unknown function 'upr'"),
        QStringLiteral("payload.pipeline[2].if: 1:13: expected a value, got the end"),
        QStringLiteral("payload.pipeline[2].with.x: 1:3: steps.d.y: step 'd' runs later; only "
                       "earlier steps' results exist here"),
        QStringLiteral("payload.pipeline[3].with.timeout_seconds: must be greater than 0"),
    };
    QCOMPARE(lines, expected);
    // check() carries the same list, led by the first.
    Status checked = PipelineChecker(*tools).check(*pipeline, QStringLiteral("payload"));
    QVERIFY(!checked);
    QCOMPARE(checked.error().field, QStringLiteral("payload.pipeline[0].uses"));
    QCOMPARE(int(checked.error().diagnostics.size()), expected.size());
}

void tst_PipelineChecker::staticInputIsCheckedTemplatesAreNot_data()
{
    QTest::addColumn<QByteArray>("with");
    QTest::addColumn<QString>("problem"); // empty: accepted
    auto row = [](const char *name, const char *with, const char *problem) {
        QTest::newRow(name) << QByteArray(with) << QString::fromUtf8(problem);
    };
    row("literal of the wrong type", R"j({"url":"http://h","max_redirects":"3"})j",
        "with.max_redirects: must be an integer, got a string");
    row("template where an integer goes", R"j({"url":"http://h","max_redirects":"${params.n}"})j",
        "");
    row("missing required field", R"j({"method":"GET"})j", "with.url: is required");
    row("templated enum", R"j({"url":"http://h","method":"${params.m}"})j", "");
    row("literal outside the enum", R"j({"url":"http://h","method":"FETCH"})j",
        "with.method: must be one of");
    row("templated header value", R"j({"url":"http://h","headers":{"a":"${params.m}"}})j", "");
    row("header of the wrong type", R"j({"url":"http://h","headers":{"a":1}})j",
        "with.headers.a: must be a string, got an integer");
}

void tst_PipelineChecker::staticInputIsCheckedTemplatesAreNot()
{
    QFETCH(QByteArray, with);
    QFETCH(QString, problem);
    Json document{{"params", {{"n", 3}, {"m", "GET"}}},
                  {"pipeline", Json::array({Json{{"id", "a"},
                                                 {"uses", "http.request"},
                                                 {"with", Json::parse(with.toStdString())}}})}};
    Result<Pipeline> pipeline = Pipeline::fromJson(document, QStringLiteral("payload"));
    QVERIFY(pipeline);
    const auto tools = ToolRegistry::withBuiltins();
    Status checked = PipelineChecker(*tools).check(*pipeline, QStringLiteral("payload"));
    if (problem.isEmpty()) {
        QVERIFY2(checked, qPrintable(checked ? QString() : checked.error().describe()));
        return;
    }
    QVERIFY(!checked);
    QVERIFY2(
        checked.error().describe().startsWith(QStringLiteral("payload.pipeline[0].") + problem),
        qPrintable(checked.error().describe()));
}

QTEST_GUILESS_MAIN(tst_PipelineChecker)
#include "tst_PipelineChecker.moc"
