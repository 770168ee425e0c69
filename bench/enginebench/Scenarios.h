// Scenarios: the three measurements. Each builds a fresh BenchEngine, warms it up, measures,
// checks in the database that every run succeeded (counting any that lack their step record),
// and returns its numbers or an error — never partial numbers.
#pragma once

#include "core/Result.h"

#include <vector>

namespace ordinaut::bench {

struct ScenarioLimits
{
    int warmUpRuns = 0;
    int stallMs = 0; // no run finished for this long: the scenario fails
};

// Runs queued through RunService::runNow by `producers` threads, each call awaited.
struct ThroughputResult
{
    double seconds = 0.0;             // first runNow called → last run.finished(succeeded) seen
    double enqueueSeconds = 0.0;      // first runNow called → last runNow returned
    int succeededWhileEnqueueing = 0; // runs succeeded by the last runNow return
    double processCpuSeconds = 0.0;
    int runsMissingStep = 0; // see BenchEngine::countRunsMissingStep
    // The group-commit writer's work in that span (WriteQueue::stats()).
    qint64 writerPieces = 0;
    qint64 writerCommits = 0;
    qint64 writerDurableCommits = 0;
    qint64 writerFlushes = 0;
    qint64 writerFlushMicroseconds = 0;
    qint64 writerLogRestarts = 0;
    qint64 writerLogPages = 0;
    // HTTP only: the client's side (see HttpLoadClient).
    double requestSeconds = 0.0;
    double clientCpuSeconds = 0.0;
    long connectionsOpened = 0;
    std::vector<double> requestLatenciesMs;
};

struct PickupResult
{
    std::vector<double> afterReturnMs; // step start − runNow returned
    std::vector<double> afterCallMs;   // step start − runNow called
    std::vector<double> finishedMs;    // run.finished seen − runNow called
    int runsMissingStep = 0;
};

Result<ThroughputResult> measureService(int workers, int runs, int producers,
                                        const ScenarioLimits &limits);
Result<ThroughputResult> measureHttp(int workers, int runs, int connections,
                                     const ScenarioLimits &limits);
Result<PickupResult> measurePickup(int workers, int runs, const ScenarioLimits &limits);

// The process's CPU time so far (all threads), in seconds.
double processCpuSeconds();

} // namespace ordinaut::bench
