// BenchOptions: the engine benchmark's command line, with its defaults.
#pragma once

#include <QString>

#include <optional>
#include <vector>

class QCoreApplication;

namespace ordinaut::bench {

struct BenchOptions
{
    int runs = 20000;
    int repeat = 3;
    int producers = 16;
    int connections = 32;
    int workers = 16;
    std::vector<int> serviceWorkers = {4, 16};
    int pickupRuns = 2000;
    QString scenario = QStringLiteral("all");

    // --quick: a smoke run for CI, well under a minute while the engine does ≥ 1,000 runs/s
    // (all scenarios together run about 4 times this many runs, plus set-up).
    static constexpr int kQuickRuns = 2000;

    // Parses the application's arguments (--help exits). Nullopt, after saying why on stderr,
    // for a value out of range or an unknown scenario.
    static std::optional<BenchOptions> parse(const QCoreApplication &app);
    bool wants(const char *scenarioName) const;
};

} // namespace ordinaut::bench
