// Pipeline documents: the seed's format reads and writes back unchanged; every shape error
// names its field.
#include "core/Pipeline.h"

#include <QTest>

using namespace ordinaut;

class tst_Pipeline final : public QObject
{
    Q_OBJECT

private slots:
    void roundTrips();
    void errorsNameTheField_data();
    void errorsNameTheField();
    void minimalStepGetsDefaults();
};

void tst_Pipeline::roundTrips()
{
    const Json document = Json::parse(R"({"params":{"a":[1,{"b":null}]},"pipeline":[
        {"id":"fetch","uses":"http.request","with":{"url":"${params.a}"},"save_as":"data","timeout_seconds":30},
        {"id":"say","uses":"debug.echo","with":{},"on_error":"continue"}]})");
    Result<Pipeline> pipeline = Pipeline::fromJson(document, QStringLiteral("payload"));
    QVERIFY(pipeline);
    QCOMPARE(int(pipeline->steps.size()), 2);
    QCOMPARE(pipeline->steps[0].resultName(), QStringLiteral("data"));
    QCOMPARE(pipeline->steps[1].resultName(), QStringLiteral("say"));
    QVERIFY(pipeline->toJson() == document);
}

void tst_Pipeline::errorsNameTheField_data()
{
    QTest::addColumn<QString>("document");
    QTest::addColumn<QString>("field");
    QTest::newRow("notObject") << "[]"
                               << "payload";
    QTest::newRow("noPipeline") << R"({"params":{}})"
                                << "payload.pipeline";
    QTest::newRow("pipelineNotArray") << R"({"pipeline":{}})"
                                      << "payload.pipeline";
    QTest::newRow("stepNotObject") << R"({"pipeline":[1]})"
                                   << "payload.pipeline[0]";
    QTest::newRow("missingId") << R"({"pipeline":[{"uses":"debug.echo"}]})"
                               << "payload.pipeline[0].id";
    QTest::newRow("badId") << R"({"pipeline":[{"id":"a b","uses":"debug.echo"}]})"
                           << "payload.pipeline[0].id";
    QTest::newRow("duplicateId") << R"({"pipeline":[{"id":"a","uses":"x"},{"id":"a","uses":"x"}]})"
                                 << "payload.pipeline[1].id";
    QTest::newRow("missingUses") << R"({"pipeline":[{"id":"a"}]})"
                                 << "payload.pipeline[0].uses";
    QTest::newRow("withNotObject") << R"({"pipeline":[{"id":"a","uses":"x","with":"s"}]})"
                                   << "payload.pipeline[0].with";
    QTest::newRow("unknownStepKey") << R"({"pipeline":[{"id":"a","uses":"x","retries":3}]})"
                                    << "payload.pipeline[0].retries";
    QTest::newRow("badRetry") << R"({"pipeline":[{"id":"a","uses":"x","retry":{"backoff_ms":-1}}]})"
                              << "payload.pipeline[0].retry.backoff_ms";
    QTest::newRow("unknownRetryKey")
        << R"({"pipeline":[{"id":"a","uses":"x","retry":{"attempts":2}}]})"
        << "payload.pipeline[0].retry.attempts";
    QTest::newRow("emptyIf") << R"({"pipeline":[{"id":"a","uses":"x","if":""}]})"
                             << "payload.pipeline[0].if";
    QTest::newRow("badTimeout") << R"({"pipeline":[{"id":"a","uses":"x","timeout_seconds":0}]})"
                                << "payload.pipeline[0].timeout_seconds";
    QTest::newRow("badOnError") << R"({"pipeline":[{"id":"a","uses":"x","on_error":"shrug"}]})"
                                << "payload.pipeline[0].on_error";
    QTest::newRow("paramsNotObject") << R"({"params":[],"pipeline":[]})"
                                     << "payload.params";
    QTest::newRow("unknownPayloadKey") << R"({"pipeline":[],"steps":[]})"
                                       << "payload.steps";
    QTest::newRow("idNotString") << R"({"pipeline":[{"id":5,"uses":"x"}]})"
                                 << "payload.pipeline[0].id";
    QTest::newRow("usesNotString") << R"({"pipeline":[{"id":"a","uses":["x"]}]})"
                                   << "payload.pipeline[0].uses";
    QTest::newRow("usesEmpty") << R"({"pipeline":[{"id":"a","uses":""}]})"
                               << "payload.pipeline[0].uses";
    QTest::newRow("saveAsNotName") << R"({"pipeline":[{"id":"a","uses":"x","save_as":"a.b"}]})"
                                   << "payload.pipeline[0].save_as";
    QTest::newRow("saveAsTakenByEarlierStep")
        << R"({"pipeline":[{"id":"a","uses":"x"},{"id":"b","uses":"x","save_as":"a"}]})"
        << "payload.pipeline[1].save_as";
    QTest::newRow("idTakenByEarlierSaveAs")
        << R"({"pipeline":[{"id":"a","uses":"x","save_as":"r"},{"id":"r","uses":"x"}]})"
        << "payload.pipeline[1].id";
    QTest::newRow("timeoutAsString")
        << R"({"pipeline":[{"id":"a","uses":"x","timeout_seconds":"5"}]})"
        << "payload.pipeline[0].timeout_seconds";
    QTest::newRow("timeoutFraction")
        << R"({"pipeline":[{"id":"a","uses":"x","timeout_seconds":1.5}]})"
        << "payload.pipeline[0].timeout_seconds";
    QTest::newRow("timeoutOverADay")
        << R"({"pipeline":[{"id":"a","uses":"x","timeout_seconds":86401}]})"
        << "payload.pipeline[0].timeout_seconds";
    // 2^32 + 1: must not wrap around to a 1-second timeout.
    QTest::newRow("timeoutBeyondInt")
        << R"({"pipeline":[{"id":"a","uses":"x","timeout_seconds":4294967297}]})"
        << "payload.pipeline[0].timeout_seconds";
    QTest::newRow("onErrorNotString") << R"({"pipeline":[{"id":"a","uses":"x","on_error":true}]})"
                                      << "payload.pipeline[0].on_error";
}

void tst_Pipeline::errorsNameTheField()
{
    QFETCH(QString, document);
    QFETCH(QString, field);
    Result<Pipeline> pipeline
        = Pipeline::fromJson(Json::parse(document.toStdString()), QStringLiteral("payload"));
    QVERIFY(!pipeline);
    QVERIFY(pipeline.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(pipeline.error().field, field);
    QVERIFY(!pipeline.error().message.isEmpty());
}

void tst_Pipeline::minimalStepGetsDefaults()
{
    Result<Pipeline> pipeline = Pipeline::fromJson(
        Json::parse(R"({"pipeline":[{"id":"only","uses":"debug.echo"}]})"), QStringLiteral("p"));
    QVERIFY(pipeline);
    const Step &step = pipeline->steps.at(0);
    QVERIFY(step.with == Json::object());
    QVERIFY(step.onError == OnError::Fail);
    QVERIFY(!step.timeoutSeconds);
    QVERIFY(pipeline->params == Json::object());
    QVERIFY(pipeline->toJson()
            == Json::parse(R"({"pipeline":[{"id":"only","uses":"debug.echo","with":{}}],
                                "params":{}})"));
}

QTEST_GUILESS_MAIN(tst_Pipeline)
#include "tst_Pipeline.moc"
