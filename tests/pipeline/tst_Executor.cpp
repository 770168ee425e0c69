// Executor with debug.echo: steps run in order, each sees earlier results, every step is
// recorded with its rendered input and output, and failures stop the run unless on_error says
// continue.
#include "pipeline/Executor.h"

#include "core/Clock.h"
#include "tools/ToolRegistry.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QTest>
#include <QThread>
#include <QTimeZone>

#include <thread>

using namespace ordinaut;

class tst_Executor final : public QObject
{
    Q_OBJECT

private slots:
    void echoChainRecordsRenderedInputAndOutput();
    void failingStepFailsRunAndStops();
    void continueOnErrorGoesOn();
    void continueAfterTemplateErrorGoesOn();
    void runContextIsInScope();
    void emptyPipelineSucceedsWithNoSteps();
    void conditionSkipsOrRuns();
    void badConditionFailsTheStep();
    void retryRepeatsAFailingTool();
    void nowDateAndEventAreInScope();
    void inputAndOutputAreCheckedAgainstTheSchemas();
    void onlyTransientFailuresAreRetried();
    void timeoutIsRecordedTimedOut();
    void runDeadlineCapsTheStepAndEndsTheRun();
    void cancellationStopsTheToolAndTheRun();
    void canceledRunStartsNoStep();
    void retryFromAStepRunsItAfresh();

private:
    RunOutcome run(const char *document, std::vector<StepRecord> *records,
                   const RunContext &base = RunContext{});
};

namespace {

// Fails its first `failures` calls (a transient peer error), then echoes; counts calls.
class FlakyTool final : public Tool
{
public:
    explicit FlakyTool(int failures, ErrorCode code = ErrorCode::Unavailable)
        : m_failures(failures)
        , m_code(code)
    {}
    QString name() const override { return QStringLiteral("test.flaky"); }
    QString title() const override { return name(); }
    QString description() const override { return name(); }
    Json inputSchema() const override { return Json::object(); }
    Json outputSchema() const override
    {
        return Json{{"type", "object"}, {"properties", {{"v", {{"type", "integer"}}}}}};
    }
    Result<Json> invoke(const Json &input, ToolContext &) const override
    {
        if (++calls <= m_failures)
            return Error{m_code, QStringLiteral("peer unavailable"), {}};
        return input;
    }
    mutable int calls = 0;

private:
    int m_failures;
    ErrorCode m_code;
};

std::shared_ptr<FlakyTool> g_flaky;

// Waits like a tool blocked on a peer: until its deadline (Timeout) or the run's cancellation,
// checked every 5 ms. Remembers the deadline it was given.
class BlockingTool final : public Tool
{
public:
    QString name() const override { return QStringLiteral("test.block"); }
    QString title() const override { return name(); }
    QString description() const override { return name(); }
    Json inputSchema() const override { return Json::object(); }
    Json outputSchema() const override { return Json::object(); }
    Result<Json> invoke(const Json &, ToolContext &context) const override
    {
        givenTimeoutMs = context.timeoutMs;
        QDeadlineTimer deadline(context.timeoutMs);
        while (!deadline.hasExpired()) {
            if (context.isCanceled())
                return context.cancellation->error();
            QThread::msleep(5);
        }
        return Error{ErrorCode::Timeout, QStringLiteral("no answer in time"), {}};
    }
    mutable int givenTimeoutMs = 0;
};

std::shared_ptr<BlockingTool> g_block;

} // namespace

RunOutcome tst_Executor::run(const char *document, std::vector<StepRecord> *records,
                             const RunContext &base)
{
    const auto tools = ToolRegistry::withBuiltins();
    if (g_flaky)
        (void)tools->add(g_flaky);
    if (g_block)
        (void)tools->add(g_block);
    Result<Pipeline> pipeline
        = Pipeline::fromJson(Json::parse(document), QStringLiteral("payload"));
    if (!pipeline)
        qFatal("bad test pipeline: %s", qPrintable(pipeline.error().describe()));
    RunContext context = base;
    context.runId = QStringLiteral("run-1");
    context.taskId = QStringLiteral("task-1");
    context.taskTitle = QStringLiteral("Greeter");
    Executor executor(*tools, SystemClock::instance());
    return executor.execute(*pipeline, context,
                            [records](const StepRecord &step) { records->push_back(step); });
}

void tst_Executor::echoChainRecordsRenderedInputAndOutput()
{
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"({"params":{"name":"Ada"},"pipeline":[
        {"id":"first","uses":"debug.echo","with":{"value":"${params.name}","n":[1,2]}},
        {"id":"second","uses":"debug.echo","with":{"greeting":"Hello ${steps.first.value}","n":"${steps.first.n}",
                                                      "by":"${task.title}"}}]})",
                                   &records);
    QVERIFY(outcome.status == RunStatus::Succeeded);
    QVERIFY(outcome.error.isEmpty());
    QCOMPARE(int(records.size()), 2);
    QCOMPARE(records[0].index, 0);
    QCOMPARE(records[0].stepId, QStringLiteral("first"));
    QCOMPARE(records[0].runId, QStringLiteral("run-1"));
    QVERIFY(records[0].input == Json::parse(R"({"value":"Ada","n":[1,2]})"));
    QVERIFY(records[0].output == records[0].input); // echo returns its rendered input unchanged
    QVERIFY(records[1].input
            == Json::parse(R"({"greeting":"Hello Ada","n":[1,2],"by":"Greeter"})"));
    QVERIFY(records[1].output == records[1].input);
    QVERIFY(records[1].status == StepStatus::Succeeded);
    QVERIFY(records[1].startedAt.isValid() && records[1].finishedAt >= records[1].startedAt);
    QVERIFY(outcome.output == records[1].output);
}

void tst_Executor::failingStepFailsRunAndStops()
{
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"({"pipeline":[
        {"id":"a","uses":"debug.echo","with":{"x":1}},
        {"id":"b","uses":"debug.echo","with":{"y":"${steps.a.missing}"}},
        {"id":"c","uses":"debug.echo","with":{}}]})",
                                   &records);
    QVERIFY(outcome.status == RunStatus::Failed);
    QVERIFY2(outcome.error.contains(QLatin1String("step 'b'")), qPrintable(outcome.error));
    QVERIFY(outcome.error.contains(QLatin1String(".missing does not exist")));
    QCOMPARE(int(records.size()), 2); // c never ran
    QVERIFY(records[1].status == StepStatus::Failed);
    QVERIFY(records[1].output.is_null());
}

void tst_Executor::continueOnErrorGoesOn()
{
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"({"pipeline":[
        {"id":"a","uses":"http.request","with":{"url":"not a url"},"on_error":"continue"},
        {"id":"b","uses":"debug.echo","with":{"why":"${steps.a.error}"}}]})",
                                   &records);
    QVERIFY(outcome.status == RunStatus::Succeeded);
    QCOMPARE(int(records.size()), 2);
    QVERIFY(records[0].status == StepStatus::Failed);
    QVERIFY(records[1].output["why"].get<std::string>().find("with.url") != std::string::npos);
}

void tst_Executor::continueAfterTemplateErrorGoesOn()
{
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"({"pipeline":[
        {"id":"a","uses":"debug.echo","with":{"x":"${params.nope}"},"on_error":"continue"},
        {"id":"b","uses":"debug.echo","with":{"why":"${steps.a.error}","n":7}}]})",
                                   &records);
    QVERIFY(outcome.status == RunStatus::Succeeded);
    QVERIFY(outcome.error.isEmpty());
    QCOMPARE(int(records.size()), 2);
    QVERIFY(records[0].status == StepStatus::Failed);
    QVERIFY(records[0].output.is_null());
    QVERIFY2(records[0].error.contains(QLatin1String("params.nope does not exist")),
             qPrintable(records[0].error));
    QVERIFY(records[0].input == Json::parse(R"({"x":"${params.nope}"})")); // left unrendered
    QVERIFY(records[1].status == StepStatus::Succeeded);
    QCOMPARE(QString::fromStdString(records[1].output["why"].get<std::string>()), records[0].error);
    QVERIFY(outcome.output == records[1].output);
}

void tst_Executor::runContextIsInScope()
{
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"({"pipeline":[{"id":"a","uses":"debug.echo",
        "with":{"run":"${run.id}","task":"${task.id}","attempt":"${run.attempt}",
                "trigger":"${run.trigger}"}}]})",
                                   &records);
    QVERIFY2(outcome.status == RunStatus::Succeeded, qPrintable(outcome.error));
    QVERIFY(records.at(0).output
            == Json::parse(R"({"run":"run-1","task":"task-1","attempt":1,"trigger":"schedule"})"));
}

void tst_Executor::emptyPipelineSucceedsWithNoSteps()
{
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"({"pipeline":[]})", &records);
    QVERIFY(outcome.status == RunStatus::Succeeded);
    QVERIFY(records.empty());
    QVERIFY(outcome.output.is_null());
}

void tst_Executor::conditionSkipsOrRuns()
{
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"({"params":{"level":"high"},"pipeline":[
        {"id":"check","uses":"debug.echo","with":{"status":500}},
        {"id":"alert","uses":"debug.echo","if":"steps.check.status >= 500","with":{"to":"ops"}},
        {"id":"quiet","uses":"debug.echo","if":"${params.level == 'low'}","with":{"x":1}},
        {"id":"summary","uses":"debug.echo",
         "with":{"alerted":"${default(steps.alert.to, 'nobody')}",
                 "quiet":"${default(steps.quiet.x, 'skipped')}"}}]})",
                                   &records);
    QVERIFY2(outcome.status == RunStatus::Succeeded, qPrintable(outcome.error));
    QCOMPARE(int(records.size()), 4);
    QVERIFY(records[1].status == StepStatus::Succeeded);
    QVERIFY(records[2].status == StepStatus::Skipped);
    QVERIFY(records[2].output.is_null());
    QVERIFY(records[3].output == Json::parse(R"({"alerted":"ops","quiet":"skipped"})"));
}

void tst_Executor::badConditionFailsTheStep()
{
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"({"pipeline":[
        {"id":"a","uses":"debug.echo","if":"steps.nothing.x == 1","with":{}}]})",
                                   &records);
    QVERIFY(outcome.status == RunStatus::Failed);
    QVERIFY2(records[0].error.startsWith(
                 QLatin1String("pipeline[0].if: 1:1: steps.nothing does not exist")),
             qPrintable(records[0].error));
}

void tst_Executor::retryRepeatsAFailingTool()
{
    g_flaky = std::make_shared<FlakyTool>(2);
    std::vector<StepRecord> records;
    RunOutcome outcome = run(R"({"pipeline":[
        {"id":"a","uses":"test.flaky","retry":{"max_attempts":3,"backoff_ms":1},"with":{"v":1}}]})",
                             &records);
    QVERIFY2(outcome.status == RunStatus::Succeeded, qPrintable(outcome.error));
    QCOMPARE(g_flaky->calls, 3);

    // Out of attempts: the last error, saying how many were made.
    g_flaky = std::make_shared<FlakyTool>(5);
    records.clear();
    outcome = run(R"({"pipeline":[
        {"id":"a","uses":"test.flaky","retry":{"max_attempts":2},"with":{"v":1}}]})",
                  &records);
    QVERIFY(outcome.status == RunStatus::Failed);
    QCOMPARE(g_flaky->calls, 2);
    QCOMPARE(records[0].error, QStringLiteral("peer unavailable (after 2 attempts)"));
    g_flaky.reset();
}

void tst_Executor::nowDateAndEventAreInScope()
{
    RunContext context;
    context.taskTimezone = QStringLiteral("Pacific/Kiritimati"); // UTC+14: often tomorrow
    context.event = Json{{"topic", "mail.received"}, {"payload", {{"from", "ada@example.org"}}}};
    std::vector<StepRecord> records;
    const QDateTime before = QDateTime::currentDateTimeUtc();
    const RunOutcome outcome = run(R"({"pipeline":[{"id":"a","uses":"debug.echo","with":{
        "now":"${now}","date":"${date}","from":"${event.payload.from}","tz":"${task.timezone}"}}]})",
                                   &records, context);
    QVERIFY2(outcome.status == RunStatus::Succeeded, qPrintable(outcome.error));
    const Json &out = records[0].output;
    const auto now = parseInstant(out["now"].get<QString>());
    QVERIFY(now && *now >= before.addMSecs(-1));
    QCOMPARE(out["date"].get<QString>(),
             now->toTimeZone(QTimeZone("Pacific/Kiritimati")).date().toString(Qt::ISODate));
    QVERIFY(out["from"] == "ada@example.org");
    QVERIFY(out["tz"] == "Pacific/Kiritimati");
}

void tst_Executor::inputAndOutputAreCheckedAgainstTheSchemas()
{
    // The rendered input breaks http.request's schema: the tool is never called.
    std::vector<StepRecord> records;
    RunOutcome outcome = run(R"j({"params":{"port":8080},"pipeline":[
        {"id":"a","uses":"http.request","with":{"url":"${params.port}"}}]})j",
                             &records);
    QVERIFY(outcome.status == RunStatus::Failed);
    QCOMPARE(records[0].error, QStringLiteral("pipeline[0].with.url: must be a string, got an "
                                              "integer (schema #/properties/url/type)"));
    QVERIFY(records[0].input == (Json{{"url", 8080}}));

    // A tool whose output breaks its own schema fails the step, naming the place.
    g_flaky = std::make_shared<FlakyTool>(0);
    records.clear();
    outcome
        = run(R"j({"pipeline":[{"id":"a","uses":"test.flaky","with":{"v":"text"}}]})j", &records);
    QVERIFY(outcome.status == RunStatus::Failed);
    QCOMPARE(records[0].error,
             QStringLiteral("tool 'test.flaky' returned output that breaks its schema: output.v: "
                            "must be an integer, got a string (schema #/properties/v/type)"));
    g_flaky.reset();
}

void tst_Executor::onlyTransientFailuresAreRetried()
{
    g_flaky = std::make_shared<FlakyTool>(5, ErrorCode::PermissionDenied);
    std::vector<StepRecord> records;
    RunOutcome outcome = run(R"j({"pipeline":[
        {"id":"a","uses":"test.flaky","retry":{"max_attempts":3},"with":{"v":1}}]})j",
                             &records);
    QVERIFY(outcome.status == RunStatus::Failed);
    QCOMPARE(g_flaky->calls, 1);
    QCOMPARE(records[0].error, QStringLiteral("peer unavailable"));
    g_flaky = std::make_shared<FlakyTool>(1, ErrorCode::Timeout);
    outcome = run(R"j({"pipeline":[
        {"id":"a","uses":"test.flaky","retry":{"max_attempts":3},"with":{"v":1}}]})j",
                  &records);
    QVERIFY(outcome.status == RunStatus::Succeeded);
    QCOMPARE(g_flaky->calls, 2);
    g_flaky.reset();
}

void tst_Executor::timeoutIsRecordedTimedOut()
{
    g_flaky = std::make_shared<FlakyTool>(5, ErrorCode::Timeout);
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"j({"pipeline":[
        {"id":"a","uses":"test.flaky","with":{"v":1}},
        {"id":"b","uses":"debug.echo","with":{}}]})j",
                                   &records);
    g_flaky.reset();
    QVERIFY(outcome.status == RunStatus::TimedOut);
    QVERIFY2(outcome.error.contains(QLatin1String("step 'a' (test.flaky) timed out")),
             qPrintable(outcome.error));
    QCOMPARE(int(records.size()), 1);
    QVERIFY(records[0].status == StepStatus::TimedOut);
    QCOMPARE(toString(records[0].status), QStringLiteral("timed_out"));
}

void tst_Executor::runDeadlineCapsTheStepAndEndsTheRun()
{
    g_block = std::make_shared<BlockingTool>();
    RunContext context;
    context.deadline = QDateTime::currentDateTimeUtc().addMSecs(150);
    std::vector<StepRecord> records;
    QElapsedTimer elapsed;
    elapsed.start();
    // The step alone could wait 300 s; the run's deadline cuts it to what is left of 150 ms.
    const RunOutcome outcome = run(R"j({"pipeline":[
        {"id":"wait","uses":"test.block","with":{}},
        {"id":"after","uses":"debug.echo","with":{}}]})j",
                                   &records, context);
    const int given = g_block->givenTimeoutMs;
    g_block.reset();
    QVERIFY2(given > 0 && given <= 150, qPrintable(QString::number(given)));
    QVERIFY2(elapsed.elapsed() < 5000, qPrintable(QString::number(elapsed.elapsed())));
    QVERIFY(outcome.status == RunStatus::TimedOut);
    QVERIFY2(outcome.error.contains(QLatin1String("the run's deadline")),
             qPrintable(outcome.error));
    QCOMPARE(int(records.size()), 1); // "after" never started
    QVERIFY(records[0].status == StepStatus::TimedOut);
}

void tst_Executor::cancellationStopsTheToolAndTheRun()
{
    g_block = std::make_shared<BlockingTool>();
    Cancellation cancellation;
    RunContext context;
    context.cancellation = &cancellation;
    std::vector<StepRecord> records;
    QElapsedTimer elapsed;
    elapsed.start();
    std::thread canceler([&cancellation] {
        QThread::msleep(50);
        cancellation.cancel(Cancellation::Reason::Canceled, QStringLiteral("canceled by ada"));
    });
    // on_error: continue does not carry a canceled run on.
    const RunOutcome outcome = run(R"j({"pipeline":[
        {"id":"wait","uses":"test.block","with":{},"on_error":"continue"},
        {"id":"after","uses":"debug.echo","with":{}}]})j",
                                   &records, context);
    canceler.join();
    g_block.reset();
    QVERIFY2(elapsed.elapsed() < 5000, qPrintable(QString::number(elapsed.elapsed())));
    QVERIFY(outcome.status == RunStatus::Canceled);
    QVERIFY2(outcome.error.contains(QLatin1String("canceled by ada")), qPrintable(outcome.error));
    QCOMPARE(int(records.size()), 1);
    QVERIFY(records[0].status == StepStatus::Canceled);
}

void tst_Executor::canceledRunStartsNoStep()
{
    Cancellation cancellation;
    cancellation.cancel(Cancellation::Reason::Canceled, QStringLiteral("canceled by ada"));
    cancellation.cancel(Cancellation::Reason::Shutdown, QStringLiteral("ignored: first wins"));
    QVERIFY(cancellation.reason() == Cancellation::Reason::Canceled);
    RunContext context;
    context.cancellation = &cancellation;
    std::vector<StepRecord> records;
    const RunOutcome outcome
        = run(R"j({"pipeline":[{"id":"a","uses":"debug.echo","with":{}}]})j", &records, context);
    QVERIFY(outcome.status == RunStatus::Canceled);
    QCOMPARE(outcome.error, QStringLiteral("canceled by ada"));
    QVERIFY(records.empty());
}

void tst_Executor::retryFromAStepRunsItAfresh()
{
    // Step a's recorded output is reused; b's condition is evaluated again (a resumed pause
    // would skip it) and b sees a's result.
    StepRecord a;
    a.index = 0;
    a.stepId = QStringLiteral("a");
    a.uses = QStringLiteral("debug.echo");
    a.status = StepStatus::Succeeded;
    a.output = Json{{"x", 41}};
    RunContext context;
    context.resumeIndex = 1;
    context.previousSteps = {a};
    std::vector<StepRecord> records;
    const RunOutcome outcome = run(R"j({"pipeline":[
        {"id":"a","uses":"debug.echo","with":{"x":1}},
        {"id":"b","uses":"debug.echo","if":"steps.a.x == 41","with":{"y":"${steps.a.x}"}},
        {"id":"c","uses":"debug.echo","if":"steps.a.x == 1","with":{}}]})j",
                                   &records, context);
    QVERIFY(outcome.status == RunStatus::Succeeded);
    QCOMPARE(int(records.size()), 2); // a is not run again
    QCOMPARE(records[0].stepId, QStringLiteral("b"));
    QVERIFY(records[0].status == StepStatus::Succeeded);
    QVERIFY(records[0].output == Json({{"y", 41}}));
    QVERIFY(records[1].status == StepStatus::Skipped);
}

QTEST_GUILESS_MAIN(tst_Executor)
#include "tst_Executor.moc"
