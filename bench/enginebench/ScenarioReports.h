// ScenarioReports: every repetition of each scenario turned into the report's JSON, then the
// medians. A failed repetition is null with its reason under "failures" and left out of the
// median; succeeded runs missing their step record are counted per repetition.
#pragma once

#include "BenchOptions.h"
#include "Scenarios.h"

#include <QStringList>

#include <nlohmann/json.hpp>

#include <vector>

namespace ordinaut::bench {

// Ordered, so the report reads in the order it is written. (core/Json.h's QString conversions
// are for Json only: strings go in as std::string.)
using Report = nlohmann::ordered_json;

// {"p50","p90","p99","max"} in ms, to the µs.
Report latencySummary(const std::vector<double> &ms);

// What went wrong across the whole benchmark, for the summary on stderr and the exit status.
struct Problems
{
    QStringList failures;  // repetitions without numbers
    QStringList integrity; // repetitions whose numbers hold but whose records are incomplete
};

// Each adds its repetitions' problems to `problems`.
Report serviceReport(const BenchOptions &options, const ScenarioLimits &limits, int workers,
                     Problems *problems);
Report httpReport(const BenchOptions &options, const ScenarioLimits &limits, Problems *problems);
Report pickupReport(const BenchOptions &options, const ScenarioLimits &limits, Problems *problems);

} // namespace ordinaut::bench
