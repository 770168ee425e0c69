// BenchOptions: QCommandLineParser set-up and checks.
#include "BenchOptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

namespace ordinaut::bench {

namespace {

void complain(const QString &line)
{
    std::fprintf(stderr, "%s\n", qPrintable(line));
}

// The value of a positive integer option, or nullopt (with a message) when it is not one.
std::optional<int> positive(const QCommandLineParser &parser, const QString &name, int fallback)
{
    if (!parser.isSet(name))
        return fallback;
    bool ok = false;
    const int value = parser.value(name).toInt(&ok);
    if (ok && value > 0)
        return value;
    complain(QStringLiteral("--%1 must be a positive whole number, not '%2'")
                 .arg(name, parser.value(name)));
    return std::nullopt;
}

} // namespace

std::optional<BenchOptions> BenchOptions::parse(const QCoreApplication &app)
{
    const BenchOptions defaults;
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Measures the engine's end-to-end run throughput and pickup latency; prints JSON."));
    parser.addHelpOption();
    auto option = [&](const QString &name, const QString &description, const QString &value) {
        parser.addOption(QCommandLineOption(name, description, value));
    };
    option(QStringLiteral("runs"),
           QStringLiteral("Runs per throughput measurement (default %1).").arg(defaults.runs),
           QStringLiteral("N"));
    option(QStringLiteral("repeat"),
           QStringLiteral("Repetitions of each measurement (default %1).").arg(defaults.repeat),
           QStringLiteral("R"));
    option(QStringLiteral("scenario"), QStringLiteral("service, http, pickup or all (default)."),
           QStringLiteral("name"));
    option(QStringLiteral("producers"),
           QStringLiteral("Threads calling runNow in the service scenario (default %1).")
               .arg(defaults.producers),
           QStringLiteral("P"));
    option(QStringLiteral("connections"),
           QStringLiteral("Keep-alive connections in the http scenario (default %1).")
               .arg(defaults.connections),
           QStringLiteral("C"));
    option(QStringLiteral("workers"),
           QStringLiteral("Engine workers in the http and pickup scenarios (default %1).")
               .arg(defaults.workers),
           QStringLiteral("W"));
    option(QStringLiteral("service-workers"),
           QStringLiteral("Comma-separated engine worker counts of the service scenario "
                          "(default 4,16)."),
           QStringLiteral("list"));
    option(QStringLiteral("pickup-runs"),
           QStringLiteral("Runs, one at a time, in the pickup scenario (default %1).")
               .arg(defaults.pickupRuns),
           QStringLiteral("N"));
    parser.addOption(QCommandLineOption(
        QStringLiteral("quick"),
        QStringLiteral("%1 runs (pickup too), one repetition: a smoke run.").arg(kQuickRuns)));
    parser.process(app);

    BenchOptions options;
    if (parser.isSet(QStringLiteral("quick"))) {
        options.runs = kQuickRuns;
        options.pickupRuns = kQuickRuns;
        options.repeat = 1;
    }
    const std::optional<int> runs = positive(parser, QStringLiteral("runs"), options.runs);
    const std::optional<int> repeat = positive(parser, QStringLiteral("repeat"), options.repeat);
    const std::optional<int> producers
        = positive(parser, QStringLiteral("producers"), options.producers);
    const std::optional<int> connections
        = positive(parser, QStringLiteral("connections"), options.connections);
    const std::optional<int> workers = positive(parser, QStringLiteral("workers"), options.workers);
    const std::optional<int> pickupRuns
        = positive(parser, QStringLiteral("pickup-runs"), options.pickupRuns);
    if (!runs || !repeat || !producers || !connections || !workers || !pickupRuns)
        return std::nullopt;
    options.runs = *runs;
    options.repeat = *repeat;
    options.producers = *producers;
    options.connections = *connections;
    options.workers = *workers;
    options.pickupRuns = *pickupRuns;
    if (parser.isSet(QStringLiteral("service-workers"))) {
        options.serviceWorkers.clear();
        for (const QString &item : parser.value(QStringLiteral("service-workers")).split(u',')) {
            bool ok = false;
            const int count = item.trimmed().toInt(&ok);
            if (!ok || count <= 0) {
                complain(QStringLiteral("--service-workers must list positive whole numbers, "
                                        "e.g. 4,16; not '%1'")
                             .arg(parser.value(QStringLiteral("service-workers"))));
                return std::nullopt;
            }
            options.serviceWorkers.push_back(count);
        }
    }
    if (parser.isSet(QStringLiteral("scenario")))
        options.scenario = parser.value(QStringLiteral("scenario"));
    static const QStringList kScenarios = {QStringLiteral("service"), QStringLiteral("http"),
                                           QStringLiteral("pickup"), QStringLiteral("all")};
    if (!kScenarios.contains(options.scenario)) {
        complain(QStringLiteral("--scenario must be one of %1, not '%2'")
                     .arg(kScenarios.join(QStringLiteral(", ")), options.scenario));
        return std::nullopt;
    }
    return options;
}

bool BenchOptions::wants(const char *scenarioName) const
{
    return scenario == QLatin1String("all") || scenario == QLatin1String(scenarioName);
}

} // namespace ordinaut::bench
