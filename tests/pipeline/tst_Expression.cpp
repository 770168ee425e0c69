// Expression: the lexer, parser and evaluator, table-driven — type preservation,
// stringification, escapes, operators, every function, and every error with its position.
#include "pipeline/Expression.h"
#include "pipeline/Template.h"

#include <QTest>

using namespace ordinaut;

class tst_Expression final : public QObject
{
    Q_OBJECT

private slots:
    void evaluates_data();
    void evaluates();
    void errorsSayWhereAndWhat_data();
    void errorsSayWhereAndWhat();
    void referencesListStaticPaths();
    void bareExpressions();
    void truthiness();
};

namespace {

const Json kScope = Json::parse(R"({
  "steps": {"fetch": {"status": 200, "ok": true, "text": "  Hello World  ", "none": null,
                      "body": {"items": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                               "content-type": "json", "count": 3}},
            "fetch-data": {"rows": [1, 2]}},
  "params": {"who": "world", "n": 3.5, "i": 1, "list": [3, 1, 2], "csv": "a,b,c",
             "raw": "{\"k\": [1, 2]}", "at": "2026-03-08T06:30:00Z"},
  "task": {"id": "t-1", "title": "Daily report", "timezone": "America/New_York"},
  "run": {"id": "r-1", "attempt": 2, "scheduled_for": "2026-03-08T06:30:00.000Z"},
  "now": "2026-03-08T06:30:05.000Z", "date": "2026-03-08"})");

Result<Json> render(const QString &text)
{
    Result<Json> out = Template::render(Json(text), kScope, QStringLiteral("with.x"));
    if (!out)
        return Error::invalid(QString(), out.error().message);
    return out;
}

} // namespace

void tst_Expression::evaluates_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected"); // JSON
    auto row = [](const char *name, const char *text, const char *expected) {
        QTest::newRow(name) << QString::fromUtf8(text) << QString::fromUtf8(expected);
    };
    // A whole-string expression keeps its type; embedded ones are stringified.
    row("number", "${params.n}", "3.5");
    row("object", "${steps.fetch.body.items[0]}", R"({"name":"a"})");
    row("array", "${params.list}", "[3,1,2]");
    row("bool", "${steps.fetch.ok}", "true");
    row("null", "${steps.fetch.none}", "null");
    row("spacesAround", "${  params.who  }", R"("world")");
    row("embeddedNumber", "n=${params.n}", R"("n=3.5")");
    row("embeddedInteger", "${steps.fetch.status} OK", R"("200 OK")");
    row("embeddedArray", "rows: ${params.list}", R"("rows: [3,1,2]")");
    row("embeddedObject", "${steps.fetch.body.items[1]}!", R"("{\"name\":\"b\"}!")");
    row("embeddedNull", "[${steps.fetch.none}]", R"("[]")");
    row("two", "${params.who}/${task.id}", R"("world/t-1")");
    row("noPlaceholder", "plain $ text {}", R"("plain $ text {}")");
    // Escapes.
    row("literalDollarBrace", "$${params.who}", R"("${params.who}")");
    row("singleQuoted", R"(${'it\'s'})", R"("it's")");
    row("doubleQuoted", R"(${"say \"hi\""})", R"("say \"hi\"")");
    row("unicodeEscape", R"(${'caf\u00e9'})", R"("café")");
    row("newlineEscape", R"(${'a\nb'})", R"("a\nb")");
    row("braceInString", "${'}'}", R"("}")");
    // Paths.
    row("negativeIndex", "${steps.fetch.body.items[-1].name}", R"("c")");
    row("computedIndex", "${steps.fetch.body.items[params.i].name}", R"("b")");
    row("keyIndex", "${steps.fetch.body['content-type']}", R"("json")");
    row("dashedNames", "${steps.fetch-data.rows[1]}", "2");
    row("dashedKey", "${steps.fetch.body.content-type}", R"("json")");
    row("runFields", "${run.attempt}", "2");
    row("now", "${now}", R"("2026-03-08T06:30:05.000Z")");
    row("date", "${date}", R"("2026-03-08")");
    // Literals and operators.
    row("integerLiteral", "${42}", "42");
    row("floatLiteral", "${1.5e2}", "150.0");
    row("negative", "${-params.n}", "-3.5");
    row("equal", "${steps.fetch.status == 200}", "true");
    row("equalIntFloat", "${1 == 1.0}", "true");
    row("equalDeep", "${steps.fetch.body.items[0] == fromJson('{\"name\":\"a\"}')}", "true");
    row("notEqual", "${params.who != 'world'}", "false");
    row("less", "${params.n < 4}", "true");
    row("lessEqual", "${3.5 <= params.n}", "true");
    row("greater", "${'b' > 'a'}", "true");
    row("greaterEqual", "${steps.fetch.status >= 300}", "false");
    row("and", "${steps.fetch.ok && params.n > 3}", "true");
    row("andWord", "${steps.fetch.ok and false}", "false");
    row("or", "${steps.fetch.none || params.who}", "true");
    row("orWord", "${false or 0}", "false");
    row("not", "${!steps.fetch.ok}", "false");
    row("notWord", "${not steps.fetch.none}", "true");
    row("shortCircuit", "${false && steps.missing.x}", "false");
    row("ternary", "${steps.fetch.status == 200 ? 'up' : 'down'}", R"("up")");
    row("ternaryNested", "${params.n > 5 ? 'big' : params.n > 3 ? 'mid' : 'small'}", R"("mid")");
    row("parentheses", "${!(params.n > 3 && false)}", "true");
    // Functions.
    row("if", "${if(params.n > 3, 2, 24)}", "2");
    row("ifLazy", "${if(true, 'ok', steps.missing.x)}", R"("ok")");
    row("defaultMissing", "${default(params.nothing, 'fallback')}", R"("fallback")");
    row("defaultNull", "${default(steps.fetch.none, 0)}", "0");
    row("defaultPresent", "${default(params.who, 'x')}", R"("world")");
    row("defaultMissingStep", "${default(steps.later.x, fromJson('[]'))}", "");
    row("lenString", "${len(params.who)}", "5");
    row("lenArray", "${len(params.list)}", "3");
    row("lenObject", "${len(steps.fetch.body)}", "3");
    row("containsString", "${contains(params.who, 'orl')}", "true");
    row("containsArray", "${contains(params.list, 2)}", "true");
    row("containsKey", "${contains(steps.fetch.body, 'count')}", "true");
    row("startsWith", "${startsWith(task.title, 'Daily')}", "true");
    row("endsWith", "${endsWith(task.title, 'x')}", "false");
    row("lower", "${lower(task.title)}", R"("daily report")");
    row("upper", "${upper(params.who)}", R"("WORLD")");
    row("trim", "${trim(steps.fetch.text)}", R"("Hello World")");
    row("join", "${join(params.list, ' | ')}", R"("3 | 1 | 2")");
    row("joinDefault", "${join(params.list)}", R"("3,1,2")");
    row("split", "${split(params.csv, ',')}", R"(["a","b","c"])");
    row("splitChars", "${split('ab', '')}", R"(["a","b"])");
    row("json", "${json(steps.fetch.body.items[0])}", R"("{\"name\":\"a\"}")");
    row("fromJson", "${fromJson(params.raw).k[1]}", "2");
    row("formatDateTaskZone", "${formatDate(params.at, 'yyyy-MM-dd HH:mm')}",
        R"("2026-03-08 01:30")");
    row("formatDateZone", "${formatDate(run.scheduled_for, 'HH:mm', 'Asia/Kolkata')}",
        R"("12:00")");
    row("formatDateMillis", "${formatDate(0, 'yyyy', 'UTC')}", R"("1970")");
    row("addDurationHours", "${addDuration(params.at, 'PT2H30M')}",
        R"("2026-03-08T09:00:00.000Z")");
    row("addDurationNegativeDays", "${addDuration(params.at, '-P1D')}",
        R"("2026-03-07T06:30:00.000Z")");
    row("addDurationSeconds", "${addDuration(params.at, 90)}", R"("2026-03-08T06:31:30.000Z")");
    row("round", "${round(params.n)}", "4");
    row("roundDigits", "${round(2.34567, 2)}", "2.35");
    row("min", "${min(params.n, 2, 7)}", "2");
    row("maxArray", "${max(params.list)}", "3");
}

void tst_Expression::evaluates()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    Result<Json> out = render(text);
    QVERIFY2(out, qPrintable(out ? QString() : out.error().message));
    if (expected.isEmpty()) { // an empty array, written "[]" would read as a literal here
        QVERIFY(*out == Json::array());
        return;
    }
    const Json want = Json::parse(expected.toStdString());
    QVERIFY2(*out == want, qPrintable(QString::fromUtf8(dumpJson(*out))));
    // Integers stay integers: 2, not 2.0.
    QCOMPARE(out->is_number_integer(), want.is_number_integer());
}

void tst_Expression::errorsSayWhereAndWhat_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    auto row = [](const char *name, const char *text, const char *message) {
        QTest::newRow(name) << QString::fromUtf8(text) << QString::fromUtf8(message);
    };
    // Syntax, found when the task is saved.
    row("unknownFunction", "Subject: ${uper(task.title)}",
        "1:12: unknown function 'uper' (did you mean 'upper'?)");
    row("arity", "${lower(params.who, 1)}", "1:3: lower() takes 1 argument(s), got 2");
    row("arityRange", "${formatDate(params.at)}",
        "1:3: formatDate() takes 2 or 3 argument(s), got 1");
    row("unknownName", "${parms.who}",
        "1:3: unknown name 'parms' (paths start with steps, params, task, run or event; now and "
        "date are values) (did you mean 'params'?)");
    row("functionAsName", "${len}", "1:3: len is a function: call it as len(…)");
    row("plus", "${params.n + 1}", "1:12: unexpected character '+'");
    row("singleEquals", "${params.n = 1}", "1:12: '=' is not an operator (compare with '==')");
    row("singleAmpersand", "${true & false}", "1:8: '&' is not an operator (use '&&' or 'and')");
    row("unclosedString", "${'abc}", "1:3: the string is not closed by '");
    row("unknownEscape", R"(${'a\qb'})", "1:5: unknown escape '\\q'");
    row("badUnicode", R"(${'\u12'})", "1:4: '\\u' needs four hex digits");
    row("empty", "x ${ }", "1:6: the expression is empty");
    row("unclosed", "a ${params.who", "1:3: '${' is not closed by '}'");
    row("trailing", "${params.who params.n}",
        "1:14: unexpected 'params' (expected an operator or '}')");
    row("missingColon", "${true ? 1}", "1:11: expected ':' of '? :', got '}'");
    row("missingParen", "${(true}", "1:8: expected ')', got '}'");
    row("missingBracket", "${params.list[0}", "1:16: expected ']', got '}'");
    row("dotWithoutName", "${params.}", "1:10: expected a name after '.', got '}'");
    row("numberThenLetters", "${12ab}", "1:3: '12a' is not a number or a name");
    row("secondLine", "first\n${len()}", "2:3: len() takes 1 argument(s), got 0");
    // Evaluation, found when the step runs.
    row("missingKey", "${steps.fetch.body.cnt}",
        "1:3: steps.fetch.body.cnt does not exist (steps.fetch.body has: content-type, count, "
        "items)");
    row("missingStep", "${steps.later.x}",
        "1:3: steps.later does not exist (steps has: fetch, fetch-data)");
    row("outOfRange", "${params.list[3]}", "1:3: params.list has 3 item(s), no [3]");
    row("memberOfNull", "${steps.fetch.none.x}", "1:3: steps.fetch.none is null, so it has no 'x'");
    row("badIndex", "${params.list['a']}",
        "1:3: cannot index params.list (an array) with a string");
    row("noEvent", "${event.payload.id}",
        "1:3: 'event' is not available in this run (the run was not started by an event)");
    row("compareMixed", "${params.who < 3}", "1:3: cannot compare a string with an integer");
    row("negateString", "${-params.who}", "1:3: '-' needs a number, got a string");
    row("lenNumber", "${len(params.n)}",
        "1:7: len() needs a string, array or object, got a number");
    row("upperNumber", "${upper(params.n)}", "1:9: upper() needs a string here, got a number");
    row("joinNotArray", "${join(params.who)}", "1:8: join() needs an array, got a string");
    row("fromJsonInvalid", "${fromJson(params.who)}", "1:12: fromJson(): not valid JSON");
    row("formatDateBadInstant", "${formatDate('soon', 'HH:mm')}",
        "1:14: formatDate() needs an ISO 8601 instant or Unix milliseconds, got soon");
    row("formatDateBadZone", "${formatDate(params.at, 'HH', 'Mars/Base')}",
        "1:31: 'Mars/Base' is not an IANA time zone");
    row("addDurationBad", "${addDuration(params.at, '2 hours')}",
        "1:26: addDuration() needs seconds or an ISO 8601 duration");
    row("roundDigits", "${round(1.5, 20)}", "1:14: round() takes 0 to 15 decimal digits");
    row("minStrings", "${min('a', 'b')}", "1:3: min() needs numbers, got a string");
    row("maxEmpty", "${max(fromJson('[]'))}", "1:3: max() of an empty array");
    row("defaultKeepsTypeErrors", "${default(len(params.n), 0)}",
        "1:15: len() needs a string, array or object, got a number");
}

void tst_Expression::errorsSayWhereAndWhat()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    Result<Json> out = render(text);
    QVERIFY2(!out, qPrintable(out ? QString::fromUtf8(dumpJson(*out)) : QString()));
    QVERIFY(out.error().code == ErrorCode::InvalidArgument);
    QVERIFY2(out.error().message.startsWith(message), qPrintable(out.error().message));
}

void tst_Expression::referencesListStaticPaths()
{
    const QString source = QStringLiteral(
        "${if(steps.a.ok, steps.b.items[params.i].name, default(params.fallback, task.title))}");
    Result<Expression> expression = Expression::parse(source, 2, true);
    QVERIFY(expression);
    QStringList texts;
    QList<bool> optional;
    for (const PathReference &ref : expression->references()) {
        texts << ref.text;
        optional << ref.optional;
    }
    QCOMPARE(texts, (QStringList{QStringLiteral("steps.a.ok"), QStringLiteral("steps.b.items"),
                                 QStringLiteral("params.i"), QStringLiteral("params.fallback"),
                                 QStringLiteral("task.title")}));
    QCOMPARE(optional, (QList<bool>{false, false, false, true, false}));
    QCOMPARE(expression->references()[1].column, 18);
}

void tst_Expression::bareExpressions()
{
    Result<Expression> parsed = Expression::parse(QStringLiteral("steps.fetch.status == 200"));
    QVERIFY(parsed);
    QVERIFY(*parsed->evaluate(kScope) == true);
    QVERIFY(!Expression::parse(QStringLiteral("steps.fetch.status == 200 }")));
}

void tst_Expression::truthiness()
{
    for (const char *falsy : {"false", "null", "0", "0.0", "\"\"", "[]", "{}"})
        QVERIFY2(!Expression::truthy(Json::parse(falsy)), falsy);
    for (const char *truthy : {"true", "1", "-0.5", "\"0\"", "[0]", "{\"a\":null}"})
        QVERIFY2(Expression::truthy(Json::parse(truthy)), truthy);
}

QTEST_GUILESS_MAIN(tst_Expression)
#include "tst_Expression.moc"
