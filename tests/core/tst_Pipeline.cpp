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
    QTest::newRow("unknownStepKey") << R"({"pipeline":[{"id":"a","uses":"x","retry":{}}]})"
                                    << "payload.pipeline[0].retry";
    QTest::newRow("badTimeout") << R"({"pipeline":[{"id":"a","uses":"x","timeout_seconds":0}]})"
                                << "payload.pipeline[0].timeout_seconds";
    QTest::newRow("badOnError") << R"({"pipeline":[{"id":"a","uses":"x","on_error":"shrug"}]})"
                                << "payload.pipeline[0].on_error";
    QTest::newRow("paramsNotObject") << R"({"params":[],"pipeline":[]})"
                                     << "payload.params";
    QTest::newRow("unknownPayloadKey") << R"({"pipeline":[],"steps":[]})"
                                       << "payload.steps";
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
}

QTEST_GUILESS_MAIN(tst_Pipeline)
#include "tst_Pipeline.moc"
