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

QTEST_GUILESS_MAIN(tst_PipelineChecker)
#include "tst_PipelineChecker.moc"
