// PipelineDocs: the user documentation of the pipeline language (docs/pipelines.md) is tested —
// every example pipeline passes the checker, runnable ones produce the output shown under them,
// invalid ones report the diagnostics shown, and every expression line evaluates as written.
#include "pipeline/Executor.h"
#include "pipeline/Expression.h"
#include "pipeline/PipelineChecker.h"

#include "core/Clock.h"
#include "tools/ToolRegistry.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <algorithm>

using namespace ordinaut;

class tst_PipelineDocs final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void pipelinesPassTheChecker();
    void runnableExamplesProduceTheirOutput();
    void invalidExamplesReportTheirDiagnostics();
    void expressionsEvaluateAsShown();
    void scopeBlockShowsTheScopeUsed();
    void everyPipelineIsTagged();
    void everyToolHasAHeading();
    void everyFunctionIsShown();
    void docHasEnoughExamples();
};

namespace {

// Fewer than these means examples were lost, not merely edited.
constexpr int kMinPipelines = 18;
constexpr int kMinRunnable = 9;
constexpr int kMinExpressionLines = 100;
constexpr int kMinInvalid = 3;

// What `text expressions` lines are evaluated against; the doc shows it in its `json scope`
// block, which must stay equal to this.
const Json kScope = Json::parse(R"j({
  "params": {"city": "Lisbon", "limit": 3, "ratio": 2.5, "tags": ["urgent", "home"],
             "csv": "a,b,c", "raw": "{\"k\": [1, 2]}", "empty": ""},
  "steps": {
    "fetch": {"status": 200, "ok": true,
              "body": {"items": [{"name": "Ada", "score": 9}, {"name": "Linus", "score": 7},
                                 {"name": "Grace", "score": 8}],
                       "content-type": "application/json"},
              "text": "  Hello World  "},
    "fetch-data": {"rows": [1, 2]},
    "notify": null},
  "task": {"id": "task-1", "title": "Morning digest", "timezone": "Europe/Berlin"},
  "run": {"id": "run-1", "scheduled_for": "2026-03-08T06:30:00.000Z", "attempt": 1,
          "trigger": "schedule"},
  "now": "2026-03-08T06:30:02.000Z",
  "date": "2026-03-08"
})j");

// Tools a runnable example may use: they need no network, files or settings.
const QStringList kOfflineTools = {QStringLiteral("debug.echo"), QStringLiteral("json.transform")};

struct Block
{
    int line = 0;    // of the opening fence, 1-based
    int endLine = 0; // of the closing fence
    QStringList info;
    QString text;

    bool is(const char *first, const char *second) const
    {
        return info.size() >= 2 && info[0] == QLatin1String(first)
               && info[1] == QLatin1String(second);
    }
};

struct Doc
{
    QStringList lines;
    std::vector<Block> blocks;
    QString error;
};

Doc readDoc()
{
    Doc doc;
    QFile file(QString::fromUtf8(ORDINAUT_DOCS_DIR "/pipelines.md"));
    if (!file.open(QIODevice::ReadOnly)) {
        doc.error = file.fileName() + QStringLiteral(": ") + file.errorString();
        return doc;
    }
    doc.lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    const QString fence = QStringLiteral("```");
    for (int i = 0; i < doc.lines.size(); ++i) {
        if (!doc.lines[i].startsWith(fence))
            continue;
        Block block;
        block.line = i + 1;
        block.info = doc.lines[i].mid(3).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        QStringList body;
        int j = i + 1;
        while (j < doc.lines.size() && doc.lines[j].trimmed() != fence)
            body << doc.lines[j++];
        if (j == doc.lines.size()) {
            doc.error = QStringLiteral("pipelines.md:%1: the block is not closed").arg(block.line);
            return doc;
        }
        block.endLine = j + 1;
        block.text = body.join(QLatin1Char('\n'));
        doc.blocks.push_back(block);
        i = j;
    }
    return doc;
}

const Doc &doc()
{
    static const Doc parsed = readDoc();
    return parsed;
}

QString where(const Block &block)
{
    return QStringLiteral("pipelines.md:%1").arg(block.line);
}

QString dump(const Json &value)
{
    return QString::fromUtf8(dumpJson(value));
}

// The block after `index` if its info is `json <second>` and only blank lines or a caption
// ("*Output:*") separate them.
const Block *follower(size_t index, const char *second)
{
    const std::vector<Block> &blocks = doc().blocks;
    if (index + 1 >= blocks.size() || !blocks[index + 1].is("json", second))
        return nullptr;
    const Block &next = blocks[index + 1];
    for (int line = blocks[index].endLine + 1; line < next.line; ++line) {
        const QString text = doc().lines[line - 1].trimmed();
        if (!text.isEmpty() && !text.startsWith(QLatin1String("*Output"))
            && !text.startsWith(QLatin1String("*Diagnostics")))
            return nullptr;
    }
    return &next;
}

// The block's document read as a pipeline, or why not.
Result<Pipeline> pipelineOf(const Block &block)
{
    const std::optional<Json> json = parseJson(block.text.toUtf8());
    if (!json)
        return Error::invalid(QString(), QStringLiteral("not valid JSON"));
    return Pipeline::fromJson(*json, QStringLiteral("payload"));
}

bool isPipelineBlock(const Block &block)
{
    return block.is("json", "pipeline");
}

bool isRunnable(const Block &block)
{
    return isPipelineBlock(block) && block.info.size() == 3
           && block.info[2] == QLatin1String("run");
}

QStringList expressionLines()
{
    QStringList lines;
    for (const Block &block : doc().blocks) {
        if (!block.is("text", "expressions"))
            continue;
        const QStringList text = block.text.split(QLatin1Char('\n'));
        for (int i = 0; i < text.size(); ++i) {
            const QString line = text[i].trimmed();
            if (!line.isEmpty() && !line.startsWith(QLatin1Char('#')))
                lines << QStringLiteral("%1\t%2").arg(block.line + 1 + i).arg(line);
        }
    }
    return lines;
}

} // namespace

void tst_PipelineDocs::initTestCase()
{
    QVERIFY2(doc().error.isEmpty(), qPrintable(doc().error));
}

void tst_PipelineDocs::pipelinesPassTheChecker()
{
    const auto tools = ToolRegistry::withBuiltins();
    const PipelineChecker checker(*tools);
    QStringList failures;
    for (const Block &block : doc().blocks) {
        if (!isPipelineBlock(block))
            continue;
        Result<Pipeline> pipeline = pipelineOf(block);
        if (!pipeline) {
            failures << where(block) + QStringLiteral(": ") + pipeline.error().describe();
            continue;
        }
        for (const Diagnostic &d : checker.diagnose(*pipeline, QStringLiteral("payload")))
            failures << where(block) + QStringLiteral(": ") + d.field + QStringLiteral(": ")
                            + d.message;
    }
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

void tst_PipelineDocs::runnableExamplesProduceTheirOutput()
{
    const auto tools = ToolRegistry::withBuiltins();
    const Executor executor(*tools, SystemClock::instance());
    RunContext context;
    context.runId = QStringLiteral("run-1");
    context.taskId = QStringLiteral("task-1");
    context.taskTitle = QStringLiteral("Docs example");
    context.taskTimezone = QStringLiteral("UTC");
    context.scheduledFor = *parseInstant(QStringLiteral("2026-03-08T06:30:00Z"));
    context.trigger = RunTrigger::Manual;

    QStringList failures;
    const std::vector<Block> &blocks = doc().blocks;
    for (size_t i = 0; i < blocks.size(); ++i) {
        const Block &block = blocks[i];
        if (block.is("json", "output") && (i == 0 || !isRunnable(blocks[i - 1])))
            failures << where(block)
                            + QStringLiteral(": `json output` follows no runnable example");
        if (!isRunnable(block))
            continue;
        const Block *expectedBlock = follower(i, "output");
        if (!expectedBlock) {
            failures << where(block)
                            + QStringLiteral(": a `json pipeline run` block must be followed at "
                                             "once by a `json output` block");
            continue;
        }
        const std::optional<Json> expected = parseJson(expectedBlock->text.toUtf8());
        if (!expected || !expected->is_object()) {
            failures << where(*expectedBlock) + QStringLiteral(": not a JSON object");
            continue;
        }
        Result<Pipeline> pipeline = pipelineOf(block);
        if (!pipeline)
            continue; // pipelinesPassTheChecker() reports it
        bool offline = true;
        for (const Step &step : pipeline->steps) {
            if (!kOfflineTools.contains(step.uses)) {
                failures << where(block)
                                + QStringLiteral(": step '%1' uses %2; runnable examples use only "
                                                 "%3")
                                      .arg(step.id, step.uses,
                                           kOfflineTools.join(QStringLiteral(", ")));
                offline = false;
            }
        }
        if (!offline)
            continue;
        // What later steps see under steps.<id>: the output, null when skipped, the error
        // when it failed.
        Json actual = Json::object();
        executor.execute(*pipeline, context, [&actual](const StepRecord &record) {
            actual[record.stepId.toStdString()] = record.status == StepStatus::Failed
                                                      ? Json{{"error", record.error}}
                                                      : record.output;
        });
        if (actual != *expected)
            failures << where(block) + QStringLiteral(": the run gave\n  ") + dump(actual)
                            + QStringLiteral("\nbut %1 shows\n  ").arg(where(*expectedBlock))
                            + dump(*expected);
    }
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

void tst_PipelineDocs::invalidExamplesReportTheirDiagnostics()
{
    const auto tools = ToolRegistry::withBuiltins();
    const PipelineChecker checker(*tools);
    QStringList failures;
    const std::vector<Block> &blocks = doc().blocks;
    for (size_t i = 0; i < blocks.size(); ++i) {
        const Block &block = blocks[i];
        if (!block.is("json", "invalid-pipeline"))
            continue;
        const Block *expectedBlock = follower(i, "diagnostics");
        const std::optional<Json> expected
            = expectedBlock ? parseJson(expectedBlock->text.toUtf8()) : std::nullopt;
        if (!expected || !expected->is_array()) {
            failures << where(block)
                            + QStringLiteral(": must be followed at once by a `json diagnostics` "
                                             "block holding an array");
            continue;
        }
        const std::optional<Json> document = parseJson(block.text.toUtf8());
        if (!document) {
            failures << where(block) + QStringLiteral(": not valid JSON");
            continue;
        }
        // A document of the wrong shape is refused with its first problem; the check endpoint
        // answers it as a problem with the same field and message.
        Json actual = Json::array();
        Result<Pipeline> pipeline = Pipeline::fromJson(*document, QStringLiteral("payload"));
        if (!pipeline) {
            actual.push_back(
                Json{{"field", pipeline.error().field}, {"message", pipeline.error().message}});
        } else {
            for (const Diagnostic &d : checker.diagnose(*pipeline, QStringLiteral("payload")))
                actual.push_back(Json{{"field", d.field}, {"message", d.message}});
        }
        if (actual.empty())
            failures << where(block) + QStringLiteral(": the checker accepts this example");
        else if (actual != *expected)
            failures << where(block) + QStringLiteral(": the checker gave\n  ") + dump(actual)
                            + QStringLiteral("\nbut %1 shows\n  ").arg(where(*expectedBlock))
                            + dump(*expected);
    }
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

void tst_PipelineDocs::expressionsEvaluateAsShown()
{
    static const QString arrow = QStringLiteral(" => ");
    static const QString errorMark = QStringLiteral("error: ");
    QStringList failures;
    for (const QString &entry : expressionLines()) {
        const QString at = QStringLiteral("pipelines.md:") + entry.section(QLatin1Char('\t'), 0, 0);
        const QString line = entry.section(QLatin1Char('\t'), 1);
        const qsizetype split = line.indexOf(arrow);
        if (split < 0) {
            failures << at + QStringLiteral(": write EXPRESSION => RESULT");
            continue;
        }
        const QString text = line.left(split).trimmed();
        const QString shown = line.mid(split + arrow.size()).trimmed();
        Result<Expression> expression = Expression::parse(text);
        Result<Json> value = expression ? expression->evaluate(kScope) : expression.error();
        if (shown.startsWith(errorMark)) {
            const QString message = shown.mid(errorMark.size());
            if (value)
                failures
                    << at + QStringLiteral(": %1 gave %2, not an error").arg(text, dump(*value));
            else if (!value.error().message.startsWith(message))
                failures << at
                                + QStringLiteral(": %1 failed with \"%2\", not \"%3…\"")
                                      .arg(text, value.error().message, message);
            continue;
        }
        const std::optional<Json> want = parseJson(shown.toUtf8());
        if (!want) {
            failures << at + QStringLiteral(": the result '%1' is not JSON").arg(shown);
            continue;
        }
        if (!value) {
            failures << at + QStringLiteral(": %1 failed: %2").arg(text, value.error().message);
            continue;
        }
        // 2 and 2.0 are equal JSON, but the doc promises which one a function returns.
        const bool sameKind
            = !want->is_number() || want->is_number_integer() == value->is_number_integer();
        if (*value != *want || !sameKind)
            failures << at + QStringLiteral(": %1 gave %2, not %3").arg(text, dump(*value), shown);
    }
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

void tst_PipelineDocs::scopeBlockShowsTheScopeUsed()
{
    int found = 0;
    for (const Block &block : doc().blocks) {
        if (!block.is("json", "scope"))
            continue;
        ++found;
        const std::optional<Json> shown = parseJson(block.text.toUtf8());
        QVERIFY2(shown, qPrintable(where(block) + QStringLiteral(": not valid JSON")));
        QVERIFY2(*shown == kScope,
                 qPrintable(where(block) + QStringLiteral(": the test evaluates against ")
                            + dump(kScope)));
    }
    QCOMPARE(found, 1);
}

void tst_PipelineDocs::everyPipelineIsTagged()
{
    // A pipeline in a plain `json` block would escape every check above.
    QStringList failures;
    for (const Block &block : doc().blocks) {
        if (block.info.value(0) != QLatin1String("json") || block.info.size() > 1)
            continue;
        const std::optional<Json> json = parseJson(block.text.toUtf8());
        if (json && json->is_object()
            && (json->contains("pipeline")
                || (json->contains("payload") && (*json)["payload"].contains("pipeline"))))
            failures << where(block) + QStringLiteral(": holds a pipeline; tag it `json pipeline`");
    }
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
}

void tst_PipelineDocs::everyToolHasAHeading()
{
    // The tool reference gives each tool a "### `name`" heading; a section that covers several
    // tools may name them in its own heading instead.
    QStringList missing;
    for (const QString &name : ToolRegistry::withBuiltins()->names()) {
        const QRegularExpression heading(
            QStringLiteral("^#+ .*(?<![A-Za-z0-9_.-])%1(?![A-Za-z0-9_-])")
                .arg(QRegularExpression::escape(name)));
        const bool found
            = std::any_of(doc().lines.begin(), doc().lines.end(),
                          [&](const QString &line) { return heading.match(line).hasMatch(); });
        if (!found)
            missing << name;
    }
    QVERIFY2(missing.isEmpty(),
             qPrintable(QStringLiteral("tools without a heading in pipelines.md: ")
                        + missing.join(QStringLiteral(", "))));
}

void tst_PipelineDocs::everyFunctionIsShown()
{
    QStringList missing;
    const QStringList lines = expressionLines();
    for (const QString &name : Expression::functionNames()) {
        const QRegularExpression call(QStringLiteral("\\b%1\\(").arg(name));
        if (!std::any_of(lines.begin(), lines.end(), [&](const QString &line) {
                return call.match(line.section(QStringLiteral(" => "), 0, 0)).hasMatch();
            }))
            missing << name;
    }
    QVERIFY2(missing.isEmpty(),
             qPrintable(QStringLiteral("functions no `text expressions` line calls: ")
                        + missing.join(QStringLiteral(", "))));
}

void tst_PipelineDocs::docHasEnoughExamples()
{
    int pipelines = 0;
    int runnable = 0;
    int invalid = 0;
    for (const Block &block : doc().blocks) {
        pipelines += isPipelineBlock(block) ? 1 : 0;
        runnable += isRunnable(block) ? 1 : 0;
        invalid += block.is("json", "invalid-pipeline") ? 1 : 0;
    }
    const int expressions = int(expressionLines().size());
    qInfo("pipelines.md: %d pipeline examples (%d runnable), %d invalid ones, %d expression lines",
          pipelines, runnable, invalid, expressions);
    QVERIFY(pipelines >= kMinPipelines);
    QVERIFY(runnable >= kMinRunnable);
    QVERIFY(invalid >= kMinInvalid);
    QVERIFY(expressions >= kMinExpressionLines);
}

QTEST_GUILESS_MAIN(tst_PipelineDocs)
#include "tst_PipelineDocs.moc"
