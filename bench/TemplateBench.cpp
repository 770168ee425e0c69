// Template rendering micro-benchmark (Qt's QBENCHMARK): the `with` of every step of a typical
// 10-step pipeline rendered against a run's scope, as the executor does before each call.
// Prints QBENCHMARK's figure per pipeline and the median in nanoseconds per step over 21 runs;
// likewise for checking typical rendered inputs against their tools' JSON Schemas (valijson),
// which the executor does before every call.
//   ordinaut-bench-templates [QTest options]
#include "pipeline/Template.h"
#include "tools/ToolRegistry.h"

#include <QElapsedTimer>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace ordinaut;

class TemplateBench final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void renderTenSteps();
    void nanosecondsPerStep();
    void schemaCheckNanosecondsPerStep();

private:
    void renderAll();

    std::vector<Json> m_withs;
    Json m_scope;
    std::shared_ptr<ToolRegistry> m_tools = ToolRegistry::withBuiltins();
};

void TemplateBench::initTestCase()
{
    // A morning-briefing pipeline: fetch, filter, summarise, format, send, log.
    m_withs = {
        Json::parse(R"({"url":"${params.api}/weather?city=${params.city}","timeout_seconds":10})"),
        Json::parse(
            R"({"url":"${params.api}/calendar/${date}","headers":{"Authorization":"Bearer ${params.token}"}})"),
        Json::parse(
            R"({"events":"${steps.calendar.body.items}","count":"${len(steps.calendar.body.items)}"})"),
        Json::parse(
            R"({"prompt":"Summarise: ${json(steps.weather.body)} and ${steps.filter.count} events","max_tokens":300})"),
        Json::parse(
            R"({"level":"${steps.weather.body.temp < 0 ? 'warn' : 'info'}","first":"${default(steps.calendar.body.items[0].title, 'none')}"})"),
        Json::parse(
            R"({"subject":"Briefing for ${formatDate(now, 'dddd d MMMM')}","to":"${params.email}"})"),
        Json::parse(
            R"({"text":"${steps.summary.text}\n\n${join(split(params.tags, ','), ' · ')}"})"),
        Json::parse(R"({"ok":"${steps.send.status == 'sent' && steps.format.level != 'error'}"})"),
        Json::parse(R"({"run":"${run.id}","task":"${task.title}","when":"${run.scheduled_for}"})"),
        Json::parse(R"({"log":"${upper(steps.format.level)}: ${trim(steps.summary.text)}"})"),
    };
    m_scope = Json::parse(R"({
      "params":{"api":"http://127.0.0.1:9000","city":"Berlin","token":"t0k","email":"me@example.org",
                "tags":"work,home,health"},
      "task":{"id":"t-1","title":"Morning briefing","timezone":"Europe/Berlin"},
      "run":{"id":"r-1","attempt":1,"scheduled_for":"2026-11-24T06:30:00.000Z"},
      "now":"2026-11-24T06:30:00.012Z","date":"2026-11-24",
      "steps":{"weather":{"status":200,"body":{"temp":-2.5,"sky":"snow","wind":14}},
               "calendar":{"status":200,"body":{"items":[{"title":"Stand-up","at":"09:00"},
                                                         {"title":"Review","at":"14:00"}]}},
               "filter":{"count":2},"summary":{"text":"  Cold and snowy; two meetings.  "},
               "format":{"level":"warn"},"send":{"status":"sent"}}})");
    renderAll(); // parse once, as the engine does on the first run
}

void TemplateBench::renderAll()
{
    for (size_t i = 0; i < m_withs.size(); ++i) {
        Result<Json> out = Template::render(m_withs[i], m_scope, QStringLiteral("with"));
        if (!out)
            qFatal("step %zu: %s", i, qPrintable(out.error().describe()));
    }
}

void TemplateBench::renderTenSteps()
{
    QBENCHMARK
    {
        renderAll();
    }
}

void TemplateBench::nanosecondsPerStep()
{
    constexpr int kRounds = 2000;
    std::vector<double> samples;
    for (int batch = 0; batch < 21; ++batch) {
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < kRounds; ++i)
            renderAll();
        samples.push_back(double(timer.nsecsElapsed()) / (kRounds * double(m_withs.size())));
    }
    std::sort(samples.begin(), samples.end());
    std::printf("template rendering, typical 10-step pipeline: median %.0f ns per step "
                "(min %.0f, max %.0f over 21 batches of %d pipelines)\n",
                samples[samples.size() / 2], samples.front(), samples.back(), kRounds);
}

void TemplateBench::schemaCheckNanosecondsPerStep()
{
    const std::vector<std::pair<const char *, Json>> inputs = {
        {"http.request",
         Json::parse(R"j({"url":"http://127.0.0.1:9000/w?c=Berlin","timeout_seconds":10})j")},
        {"http.request",
         Json::parse(
             R"j({"url":"http://127.0.0.1:9000/c","headers":{"Authorization":"Bearer t"}})j")},
        {"json.transform",
         Json::parse(
             R"j({"data":[{"t":"a","at":"09:00"},{"t":"b","at":"14:00"}],"filter":"item.at < '12:00'","limit":5})j")},
        {"llm.chat",
         Json::parse(
             R"j({"provider":"ollama","prompt":"Summarise: cold, two meetings","max_tokens":300})j")},
        {"notify.desktop",
         Json::parse(R"j({"title":"Briefing","body":"Cold and snowy","urgency":"low"})j")},
        {"email.send",
         Json::parse(
             R"j({"to":["me@example.org"],"subject":"Briefing","text":"Cold and snowy; two meetings."})j")},
        {"file.write",
         Json::parse(R"j({"path":"/srv/notes/today.md","content":"# Today","mode":"append"})j")},
        {"shell.run",
         Json::parse(R"j({"program":"backup","args":["--quiet","/srv"],"timeout_seconds":600})j")},
        {"orchestrator.emit_event",
         Json::parse(R"j({"topic":"briefing.sent","payload":{"n":2}})j")},
        {"time.wait", Json::parse(R"j({"minutes":5})j")},
    };
    std::vector<const JsonSchema *> schemas;
    for (const auto &[tool, input] : inputs) {
        const ToolRegistry::Entry *entry = m_tools->entry(QString::fromLatin1(tool));
        if (!entry || !entry->input.validate(input).empty())
            qFatal("bench input for %s does not conform", tool);
        schemas.push_back(&entry->input);
    }
    constexpr int kRounds = 500;
    std::vector<double> samples;
    for (int batch = 0; batch < 21; ++batch) {
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < kRounds; ++i)
            for (size_t s = 0; s < inputs.size(); ++s)
                if (!schemas[s]->validate(inputs[s].second).empty())
                    qFatal("invalid");
        samples.push_back(double(timer.nsecsElapsed()) / (kRounds * double(inputs.size())));
    }
    std::sort(samples.begin(), samples.end());
    std::printf("input schema check (valijson), 10 typical tool inputs: median %.0f ns per step "
                "(min %.0f, max %.0f over 21 batches of %d)\n",
                samples[samples.size() / 2], samples.front(), samples.back(), kRounds);
}

QTEST_GUILESS_MAIN(TemplateBench)
#include "TemplateBench.moc"
