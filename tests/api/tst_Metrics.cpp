// /metrics through HttpApi::handle on a running engine: runs counted by status and trigger as
// they finish, HTTP requests under their route template (404s as "unmatched"), refused
// credentials by reason, schedule lateness, worker utilization; histograms whose buckets are
// cumulative and end in their count; a text that passes a strict parse of the exposition
// format, and `promtool check metrics` (with its lint) where promtool is installed.
#include "support/ApiHarness.h"
#include "support/EngineHarness.h"

#include "api/Authenticator.h"
#include "api/HttpApi.h"
#include "core/Exposition.h"
#include "core/Metrics.h"
#include "core/Scopes.h"
#include "service/Services.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

#include <map>
#include <memory>
#include <set>

using namespace ordinaut;

namespace {

const QByteArray kSigningKey(32, 'k');

QByteArray bearer(const QString &token)
{
    return QByteArray("Bearer ") + token.toLatin1();
}

// A scrape read back strictly: every line a HELP, a TYPE or a sample of a declared family;
// names and labels well formed; no series twice; histogram buckets cumulative with +Inf equal
// to _count. `error` says what broke the first rule broken; empty when none was.
struct Scrape
{
    std::map<QString, double> samples; // "name{a=\"x\",b=\"y\"}" (labels sorted) → value
    std::map<QString, QString> types;  // family → counter, gauge, histogram
    QString error;

    double value(const QString &name, const std::map<QString, QString> &labels = {}) const
    {
        const auto found = samples.find(key(name, labels));
        return found == samples.end() ? -1 : found->second;
    }
    bool has(const QString &name, const std::map<QString, QString> &labels = {}) const
    {
        return samples.count(key(name, labels)) > 0;
    }
    static QString key(const QString &name, const std::map<QString, QString> &labels)
    {
        QStringList parts;
        for (const auto &[label, value] : labels)
            parts << label + QStringLiteral("=\"") + value + QLatin1Char('"');
        return name + QLatin1Char('{') + parts.join(QLatin1Char(',')) + QLatin1Char('}');
    }
};

QString unescapeLabel(const QString &text, bool *ok)
{
    QString out;
    *ok = true;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] != QLatin1Char('\\')) {
            out += text[i];
            continue;
        }
        if (++i >= text.size()) {
            *ok = false;
            return out;
        }
        if (text[i] == QLatin1Char('n'))
            out += QLatin1Char('\n');
        else if (text[i] == QLatin1Char('\\') || text[i] == QLatin1Char('"'))
            out += text[i];
        else
            *ok = false;
    }
    return out;
}

Scrape parseScrape(const QByteArray &body)
{
    static const QRegularExpression help(QStringLiteral("^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$"));
    static const QRegularExpression type(
        QStringLiteral("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$"));
    static const QRegularExpression sample(
        QStringLiteral("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)$"));
    static const QRegularExpression label(
        QStringLiteral("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"(,|$)"));
    Scrape scrape;
    if (!body.endsWith('\n')) {
        scrape.error = QStringLiteral("the text does not end with a newline");
        return scrape;
    }
    std::set<QString> helped;
    // Histogram series without `le`, with their buckets in order: for the invariants.
    std::map<QString, std::vector<std::pair<double, double>>> buckets;
    const QStringList lines = QString::fromUtf8(body).split(QLatin1Char('\n'));
    for (int n = 0; n < lines.size() - 1; ++n) {
        const QString &line = lines[n];
        const QString where = QStringLiteral("line %1 '%2': ").arg(n + 1).arg(line);
        if (QRegularExpressionMatch m = help.match(line); m.hasMatch()) {
            if (!helped.insert(m.captured(1)).second) {
                scrape.error = where + QStringLiteral("a second HELP");
                return scrape;
            }
            continue;
        }
        if (QRegularExpressionMatch m = type.match(line); m.hasMatch()) {
            if (scrape.types.count(m.captured(1)) || !helped.count(m.captured(1))) {
                scrape.error = where + QStringLiteral("TYPE twice or before its HELP");
                return scrape;
            }
            scrape.types[m.captured(1)] = m.captured(2);
            continue;
        }
        const QRegularExpressionMatch m = sample.match(line);
        if (!m.hasMatch()) {
            scrape.error = where + QStringLiteral("neither HELP, TYPE nor a sample");
            return scrape;
        }
        const QString name = m.captured(1);
        QString family = name;
        for (const char *suffix : {"_bucket", "_sum", "_count"}) {
            if (!name.endsWith(QLatin1String(suffix)))
                continue;
            const QString base = name.chopped(int(qstrlen(suffix)));
            if (scrape.types.count(base) && scrape.types[base] == QLatin1String("histogram"))
                family = base;
        }
        if (!scrape.types.count(family)) {
            scrape.error = where + QStringLiteral("a sample of an undeclared family");
            return scrape;
        }
        if (scrape.types[family] == QLatin1String("counter")
            && !name.endsWith(QLatin1String("_total"))) {
            scrape.error = where + QStringLiteral("a counter without _total");
            return scrape;
        }
        std::map<QString, QString> labels;
        const QString labelText = m.captured(2);
        qsizetype at = 0;
        while (at < labelText.size()) {
            const QRegularExpressionMatch l
                = label.match(labelText, at, QRegularExpression::NormalMatch,
                              QRegularExpression::AnchorAtOffsetMatchOption);
            bool ok = false;
            const QString value = l.hasMatch() ? unescapeLabel(l.captured(2), &ok) : QString();
            if (!l.hasMatch() || !ok || labels.count(l.captured(1))) {
                scrape.error = where + QStringLiteral("malformed or repeated label");
                return scrape;
            }
            labels[l.captured(1)] = value;
            at = l.capturedEnd(0);
        }
        bool numeric = false;
        const QString valueText = m.captured(3);
        double value = valueText.toDouble(&numeric);
        if (valueText == QLatin1String("+Inf"))
            value = qInf(), numeric = true;
        if (!numeric) {
            scrape.error = where + QStringLiteral("the value is not a number");
            return scrape;
        }
        const QString key = Scrape::key(name, labels);
        if (scrape.samples.count(key)) {
            scrape.error = where + QStringLiteral("the same series twice");
            return scrape;
        }
        scrape.samples[key] = value;
        if (family != name && name.endsWith(QLatin1String("_bucket"))) {
            if (!labels.count(QStringLiteral("le"))) {
                scrape.error = where + QStringLiteral("a bucket without le");
                return scrape;
            }
            const QString le = labels[QStringLiteral("le")];
            labels.erase(QStringLiteral("le"));
            buckets[Scrape::key(family, labels)].emplace_back(
                le == QLatin1String("+Inf") ? qInf() : le.toDouble(), value);
        }
    }
    for (const auto &[series, list] : buckets) {
        for (size_t i = 1; i < list.size(); ++i) {
            if (list[i].first <= list[i - 1].first || list[i].second < list[i - 1].second) {
                scrape.error = series + QStringLiteral(": buckets not ascending or not cumulative");
                return scrape;
            }
        }
        const QString family = series.left(series.indexOf(QLatin1Char('{')));
        const QString labels = series.mid(series.indexOf(QLatin1Char('{')));
        const auto count = scrape.samples.find(family + QStringLiteral("_count") + labels);
        if (list.empty() || !qIsInf(list.back().first) || count == scrape.samples.end()
            || count->second != list.back().second
            || !scrape.samples.count(family + QStringLiteral("_sum") + labels)) {
            scrape.error = series
                           + QStringLiteral(": +Inf bucket missing or not equal to _count, "
                                            "or no _sum");
            return scrape;
        }
    }
    return scrape;
}

} // namespace

class tst_Metrics final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void labelValuesAndHelpAreEscaped();
    void histogramBucketsAreCumulativeAndEndInTheCount();
    void familyKeepsItsLabelSetsBounded();
    void metricsNeedsTheRunsReadScope();
    void runsAreCountedByStatusAndTrigger();
    void httpRequestsCountUnderTheRouteTemplate();
    void refusedCredentialsAreCountedByReason();
    void scheduleLatenessIsObserved();
    void rateLimitHitsAreCountedByKind();
    void queueAndOpenRunsAreReadAtScrapeTime();
    void promtoolAcceptsARealScrape();

private:
    HttpResponse send(const QByteArray &method, const QString &path,
                      const QByteArray &authorization = QByteArray(),
                      const QByteArray &body = QByteArray()) const;
    QString token(const QStringList &scopes);
    // GET /metrics with a runs:read token, parsed; fails the test when it does not parse.
    Scrape scrape();

    std::unique_ptr<test::EngineHarness> m_h;
    std::unique_ptr<HttpApi> m_api;
    QString m_reader;
};

void tst_Metrics::init()
{
    m_h = std::make_unique<test::EngineHarness>(1);
    m_api = std::make_unique<HttpApi>(m_h->engine(), m_h->services(), kSigningKey);
    m_reader = token({QStringLiteral("runs:read")});
}

void tst_Metrics::cleanup()
{
    m_api.reset();
    m_h.reset();
}

HttpResponse tst_Metrics::send(const QByteArray &method, const QString &path,
                               const QByteArray &authorization, const QByteArray &body) const
{
    return m_api->handle(
        test::apiRequest(method, path, authorization, body.isEmpty() ? QByteArray() : body));
}

QString tst_Metrics::token(const QStringList &scopes)
{
    Result<Agent> agent = m_h->services().agents.create(
        QStringLiteral("agent-%1").arg(QRandomGenerator::global()->generate()), scopes,
        QStringLiteral("test"));
    if (!agent)
        qFatal("agent: %s", qPrintable(agent.error().describe()));
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*agent);
    if (!tokens)
        qFatal("token: %s", qPrintable(tokens.error().describe()));
    return tokens->accessToken;
}

Scrape tst_Metrics::scrape()
{
    const HttpResponse response = send("GET", QStringLiteral("/metrics"), bearer(m_reader));
    if (response.status != 200) {
        Scrape failed;
        failed.error = QStringLiteral("GET /metrics: %1 %2")
                           .arg(response.status)
                           .arg(QString::fromUtf8(response.body));
        return failed;
    }
    return parseScrape(response.body);
}

#define SCRAPE(name)                                                                               \
    const Scrape name = scrape();                                                                  \
    QVERIFY2(name.error.isEmpty(), qPrintable(name.error))

void tst_Metrics::labelValuesAndHelpAreEscaped()
{
    QCOMPARE(Exposition::escapeLabelValue("a\"b\\c\nd"), std::string("a\\\"b\\\\c\\nd"));
    QCOMPARE(Exposition::escapeHelp("line\\one\nline \"two\""),
             std::string("line\\\\one\\nline \"two\""));
    QCOMPARE(Exposition::number(0.0005), std::string("0.0005"));
    QCOMPARE(Exposition::number(qInf()), std::string("+Inf"));
    QCOMPARE(Exposition::number(3), std::string("3"));

    // A hostile label value (a rate-limit kind is free text) stays one well-formed sample.
    Metrics metrics;
    metrics.rateLimited(QStringLiteral("we\"ird\\kind\nx"));
    Exposition out;
    metrics.write(out);
    const Scrape parsed = parseScrape(out.toUtf8());
    QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error));
    QCOMPARE(parsed.value(QStringLiteral("ordinaut_rate_limited_total"),
                          {{QStringLiteral("kind"), QStringLiteral("we\"ird\\kind\nx")}}),
             1.0);
}

void tst_Metrics::histogramBucketsAreCumulativeAndEndInTheCount()
{
    MetricFamily<MetricHistogram> family("t_seconds", "test", {"k"}, [] {
        return std::make_unique<MetricHistogram>(std::vector<double>{0.1, 1, 10});
    });
    MetricHistogram &histogram = family.with({"x"});
    for (double value : {0.05, 0.1, 0.5, 2.0, 20.0, 30.0})
        histogram.observe(value);
    Exposition out;
    out.write(family);
    const Scrape parsed = parseScrape(out.toUtf8());
    QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error));
    auto bucket = [&](const char *le) {
        return parsed.value(QStringLiteral("t_seconds_bucket"),
                            {{QStringLiteral("k"), QStringLiteral("x")},
                             {QStringLiteral("le"), QLatin1String(le)}});
    };
    QCOMPARE(bucket("0.1"), 2.0); // le is inclusive: 0.1 counts in the 0.1 bucket
    QCOMPARE(bucket("1"), 3.0);
    QCOMPARE(bucket("10"), 4.0);
    QCOMPARE(bucket("+Inf"), 6.0);
    QCOMPARE(parsed.value(QStringLiteral("t_seconds_count"),
                          {{QStringLiteral("k"), QStringLiteral("x")}}),
             6.0);
    QCOMPARE(
        parsed.value(QStringLiteral("t_seconds_sum"), {{QStringLiteral("k"), QStringLiteral("x")}}),
        52.65);

    // The strict parse catches a histogram whose +Inf is not its count.
    const QByteArray broken = "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                              "h_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 4\n";
    QVERIFY(!parseScrape(broken).error.isEmpty());
    const QByteArray notCumulative = "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                     "h_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n"
                                     "h_count 2\n";
    QVERIFY(!parseScrape(notCumulative).error.isEmpty());
}

void tst_Metrics::familyKeepsItsLabelSetsBounded()
{
    MetricFamily<MetricCounter> family(
        "t_total", "test", {"kind"}, [] { return std::make_unique<MetricCounter>(); }, 3);
    for (int i = 0; i < 10; ++i)
        family.with({std::to_string(i)}).add();
    int series = 0;
    double other = 0;
    family.forEach([&](const std::vector<std::string> &values, const MetricCounter &counter) {
        ++series;
        if (values == std::vector<std::string>{"other"})
            other = counter.value();
    });
    QCOMPARE(series, 4); // three kept apart, the rest together
    QCOMPARE(other, 7.0);
}

void tst_Metrics::metricsNeedsTheRunsReadScope()
{
    HttpResponse response = send("GET", QStringLiteral("/metrics"));
    QCOMPARE(response.status, 401);
    response
        = send("GET", QStringLiteral("/metrics"), bearer(token({QStringLiteral("tasks:read")})));
    QCOMPARE(response.status, 403);
    response = send("GET", QStringLiteral("/metrics"), bearer(m_reader));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.contentType, QByteArray("text/plain; version=0.0.4; charset=utf-8"));
}

void tst_Metrics::runsAreCountedByStatusAndTrigger()
{
    const QString echo
        = m_h->createTask(Json::parse(R"([{"id":"e","uses":"debug.echo","with":{"x":1}}])"));
    const QString boom = m_h->createTask(
        Json::parse(R"j([{"id":"boom","uses":"debug.echo","with":{"x":"${fromJson('nope')}"}}])j"));
    QVERIFY(m_h->runAndSettle(echo).status == RunStatus::Succeeded);
    QVERIFY(m_h->runAndSettle(echo).status == RunStatus::Succeeded);
    QVERIFY(m_h->runAndSettle(boom).status == RunStatus::Failed);
    // One through the API: trigger api (agents:admin: the task is not the agent's own).
    const HttpResponse queued
        = send("POST", QStringLiteral("/api/v1/tasks/%1/run-now").arg(echo),
               bearer(token({QStringLiteral("runs:write"), QStringLiteral("agents:admin")})));
    QVERIFY2(queued.status == 202, queued.body.constData());
    const Run viaApi = m_h->waitFinished(qs(parseJson(queued.body)->value("id", std::string())));
    QVERIFY(viaApi.status == RunStatus::Succeeded);

    SCRAPE(metrics);
    auto finished = [&](const char *status, const char *trigger) {
        return metrics.value(QStringLiteral("ordinaut_runs_finished_total"),
                             {{QStringLiteral("status"), QLatin1String(status)},
                              {QStringLiteral("trigger"), QLatin1String(trigger)}});
    };
    QCOMPARE(finished("succeeded", "manual"), 2.0);
    QCOMPARE(finished("failed", "manual"), 1.0);
    QCOMPARE(finished("succeeded", "api"), 1.0);
    QVERIFY(!metrics.has(QStringLiteral("ordinaut_runs_finished_total"),
                         {{QStringLiteral("status"), QStringLiteral("failed")},
                          {QStringLiteral("trigger"), QStringLiteral("api")}}));
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_run_duration_seconds_count"),
                           {{QStringLiteral("status"), QStringLiteral("succeeded")}}),
             3.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_run_duration_seconds_count"),
                           {{QStringLiteral("status"), QStringLiteral("failed")}}),
             1.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_step_duration_seconds_count"),
                           {{QStringLiteral("tool"), QStringLiteral("debug.echo")},
                            {QStringLiteral("status"), QStringLiteral("succeeded")}}),
             3.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_workers")), 1.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_workers_busy")), 0.0);
    QVERIFY(metrics.value(QStringLiteral("ordinaut_worker_busy_seconds_total")) > 0);
}

void tst_Metrics::httpRequestsCountUnderTheRouteTemplate()
{
    const QString reader = token({QStringLiteral("runs:read")});
    const QString firstId = QStringLiteral("0190aaaa-0000-7000-8000-000000000001");
    const QString secondId = QStringLiteral("0190aaaa-0000-7000-8000-000000000002");
    QCOMPARE(send("GET", QStringLiteral("/api/v1/runs/") + firstId, bearer(reader)).status, 404);
    QCOMPARE(send("GET", QStringLiteral("/api/v1/runs/") + secondId, bearer(reader)).status, 404);
    QCOMPARE(send("GET", QStringLiteral("/no/such/route")).status, 404);
    QCOMPARE(send("GET", QStringLiteral("/health")).status, 200);

    SCRAPE(metrics);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_http_requests_total"),
                           {{QStringLiteral("method"), QStringLiteral("GET")},
                            {QStringLiteral("route"), QStringLiteral("/api/v1/runs/{id}")},
                            {QStringLiteral("status"), QStringLiteral("404")}}),
             2.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_http_requests_total"),
                           {{QStringLiteral("method"), QStringLiteral("GET")},
                            {QStringLiteral("route"), QStringLiteral("unmatched")},
                            {QStringLiteral("status"), QStringLiteral("404")}}),
             1.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_http_requests_total"),
                           {{QStringLiteral("method"), QStringLiteral("GET")},
                            {QStringLiteral("route"), QStringLiteral("/health")},
                            {QStringLiteral("status"), QStringLiteral("200")}}),
             1.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_http_request_duration_seconds_count"),
                           {{QStringLiteral("method"), QStringLiteral("GET")},
                            {QStringLiteral("route"), QStringLiteral("/api/v1/runs/{id}")}}),
             2.0);
    // Never a raw path: no series names the ids or the unknown path.
    for (const auto &[series, value] : metrics.samples) {
        QVERIFY2(!series.contains(firstId) && !series.contains(QLatin1String("/no/such")),
                 qPrintable(series));
    }
}

void tst_Metrics::refusedCredentialsAreCountedByReason()
{
    const QString path = QStringLiteral("/api/v1/runs");
    QCOMPARE(send("GET", path).status, 401);                       // missing
    QCOMPARE(send("GET", path, "Basic dXNlcjpwYXNz").status, 401); // malformed
    QCOMPARE(send("GET", path, "Bearer not-a-jwt").status, 401);   // malformed
    const QString good = token({QStringLiteral("runs:read")});
    QByteArray forged = good.toLatin1();
    forged.chop(4);
    forged += "AAAA";
    QCOMPARE(send("GET", path, bearer(QString::fromLatin1(forged))).status, 401); // invalid
    QCOMPARE(send("GET", path, bearer(token({QStringLiteral("tasks:read")}))).status,
             403); // forbidden
    const QString revoked = token({QStringLiteral("runs:read")});
    QVERIFY(m_api->authenticator().revoke(revoked, QStringLiteral("test")));
    QCOMPARE(send("GET", path, bearer(revoked)).status, 401); // revoked
    QCOMPARE(send("POST", QStringLiteral("/auth/token"), QByteArray(),
                  R"({"agent_id":"nobody","secret":"wrong"})")
                 .status,
             401); // sign_in
    const QString later = token({QStringLiteral("runs:read")});
    m_h->clock().set(m_h->clock().now().addSecs(Authenticator::kAccessSeconds + 600));
    QCOMPARE(send("GET", path, bearer(later)).status, 401); // expired
    m_reader = token({QStringLiteral("runs:read")});        // valid at the new time

    SCRAPE(metrics);
    auto failures = [&](const char *reason) {
        return metrics.value(QStringLiteral("ordinaut_auth_failures_total"),
                             {{QStringLiteral("reason"), QLatin1String(reason)}});
    };
    QCOMPARE(failures("missing"), 1.0);
    QCOMPARE(failures("malformed"), 2.0);
    QCOMPARE(failures("invalid"), 1.0);
    QCOMPARE(failures("forbidden"), 1.0);
    QCOMPARE(failures("revoked"), 1.0);
    QCOMPARE(failures("sign_in"), 1.0);
    QCOMPARE(failures("expired"), 1.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_http_requests_total"),
                           {{QStringLiteral("method"), QStringLiteral("GET")},
                            {QStringLiteral("route"), QStringLiteral("/api/v1/runs")},
                            {QStringLiteral("status"), QStringLiteral("401")}}),
             6.0);
}

void tst_Metrics::scheduleLatenessIsObserved()
{
    // Due 10 s after the harness's start; the clock reaches it 5 s late.
    const QString at = m_h->clock().now().addSecs(10).toString(Qt::ISODateWithMs);
    Result<Task> task = m_h->services().tasks.create(
        Json::parse(QStringLiteral(R"({"title":"late","schedule_kind":"once","schedule_expr":"%1",
            "payload":{"pipeline":[{"id":"e","uses":"debug.echo","with":{}}]}})")
                        .arg(at)
                        .toStdString()),
        QStringLiteral("test"));
    QVERIFY2(task, qPrintable(task ? QString() : task.error().describe()));
    m_h->clock().set(m_h->clock().now().addSecs(15));
    m_h->poke();
    QTRY_VERIFY_WITH_TIMEOUT(
        m_h->services().runs.list(RunFilter{task->id, std::nullopt, 10, 0})->total == 1, 10000);

    SCRAPE(metrics);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_schedule_lateness_seconds_count")), 1.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_schedule_lateness_seconds_sum")), 5.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_schedule_lateness_seconds_bucket"),
                           {{QStringLiteral("le"), QStringLiteral("1")}}),
             0.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_schedule_lateness_seconds_bucket"),
                           {{QStringLiteral("le"), QStringLiteral("5")}}),
             1.0);
}

void tst_Metrics::rateLimitHitsAreCountedByKind()
{
    Metrics &metrics = m_h->engine().metrics();
    metrics.rateLimited(QStringLiteral("agent"));
    metrics.rateLimited(QStringLiteral("agent"));
    metrics.rateLimited(QStringLiteral("sign_in"));
    for (int i = 0; i < 40; ++i)
        metrics.rateLimited(QStringLiteral("kind-%1").arg(i));
    SCRAPE(scraped);
    QCOMPARE(scraped.value(QStringLiteral("ordinaut_rate_limited_total"),
                           {{QStringLiteral("kind"), QStringLiteral("agent")}}),
             2.0);
    QCOMPARE(scraped.value(QStringLiteral("ordinaut_rate_limited_total"),
                           {{QStringLiteral("kind"), QStringLiteral("sign_in")}}),
             1.0);
    int kinds = 0;
    for (const auto &[series, value] : scraped.samples)
        kinds += series.startsWith(QLatin1String("ordinaut_rate_limited_total{"));
    QCOMPARE(kinds, int(Metrics::kMaxRateLimitKinds) + 1); // the rest share kind="other"
}

void tst_Metrics::queueAndOpenRunsAreReadAtScrapeTime()
{
    // Stopped: queued runs stay queued.
    m_h->engine().stop();
    const QString echo
        = m_h->createTask(Json::parse(R"([{"id":"e","uses":"debug.echo","with":{}}])"));
    for (int i = 0; i < 3; ++i)
        QVERIFY(m_h->services().runs.runNow(echo, RunTrigger::Manual, QStringLiteral("test")));
    m_h->clock().set(m_h->clock().now().addSecs(90));

    SCRAPE(metrics);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_queue_pending")), 3.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_queue_ready")), 3.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_queue_leased")), 0.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_queue_oldest_due_age_seconds")), 90.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_runs_open"),
                           {{QStringLiteral("status"), QStringLiteral("queued")}}),
             3.0);
    QCOMPARE(metrics.value(QStringLiteral("ordinaut_runs_open"),
                           {{QStringLiteral("status"), QStringLiteral("running")}}),
             0.0);
}

void tst_Metrics::promtoolAcceptsARealScrape()
{
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    // CI (installer/bootstrap.sh test) installs it and says so: there its absence fails.
    if (promtool.isEmpty() && qEnvironmentVariableIsSet("ORDINAUT_REQUIRE_PROMTOOL"))
        QFAIL("promtool is not on PATH although ORDINAUT_REQUIRE_PROMTOOL is set");
    if (promtool.isEmpty())
        QSKIP("promtool is not installed (Debian package 'prometheus'; "
              "installer/install-deps.sh installs it)");
    // Some of everything: runs of both outcomes, HTTP requests, refusals, a rate-limit hit.
    const QString echo
        = m_h->createTask(Json::parse(R"([{"id":"e","uses":"debug.echo","with":{}}])"));
    const QString boom = m_h->createTask(
        Json::parse(R"j([{"id":"b","uses":"debug.echo","with":{"x":"${fromJson('nope')}"}}])j"));
    QVERIFY(m_h->runAndSettle(echo).status == RunStatus::Succeeded);
    QVERIFY(m_h->runAndSettle(boom).status == RunStatus::Failed);
    QCOMPARE(send("GET", QStringLiteral("/nope")).status, 404);
    QCOMPARE(send("GET", QStringLiteral("/api/v1/runs")).status, 401);
    m_h->engine().metrics().rateLimited(QStringLiteral("agent"));
    const HttpResponse response = send("GET", QStringLiteral("/metrics"), bearer(m_reader));
    QCOMPARE(response.status, 200);

    QProcess check;
    check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    QVERIFY2(check.waitForStarted(10000), qPrintable(check.errorString()));
    check.write(response.body);
    check.closeWriteChannel();
    QVERIFY(check.waitForFinished(30000));
    const QString said
        = QString::fromUtf8(check.readAllStandardOutput() + check.readAllStandardError());
    // Errors exit 1, lint problems 3; both fail here, and so does anything said at all.
    QVERIFY2(check.exitStatus() == QProcess::NormalExit && check.exitCode() == 0,
             qPrintable(QStringLiteral("promtool exited %1: %2").arg(check.exitCode()).arg(said)));
    QVERIFY2(said.trimmed().isEmpty(), qPrintable(said));
}

QTEST_GUILESS_MAIN(tst_Metrics)
#include "tst_Metrics.moc"
