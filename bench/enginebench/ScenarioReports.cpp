// ScenarioReports: repetitions, progress lines on stderr, and the JSON for each scenario.
#include "ScenarioReports.h"

#include "Stats.h"

#include <cstdio>
#include <map>
#include <optional>

namespace ordinaut::bench {

namespace {

void progress(const QString &line)
{
    std::fprintf(stderr, "%s\n", qPrintable(line));
    std::fflush(stderr);
}

// One number per repetition, null for a failed one; the median of those that succeeded.
class Series final
{
public:
    explicit Series(int decimals)
        : m_decimals(decimals)
    {}

    void add(double value) { m_values.push_back(value); }
    void skip() { m_values.push_back(std::nullopt); }
    double last() const { return m_values.back().value_or(0.0); }

    Report values() const
    {
        Report list = Report::array();
        for (const std::optional<double> &value : m_values)
            list.push_back(value ? Report(rounded(*value, m_decimals)) : Report());
        return list;
    }
    Report median() const
    {
        std::vector<double> present;
        for (const std::optional<double> &value : m_values)
            if (value)
                present.push_back(*value);
        return present.empty() ? Report() : Report(rounded(bench::median(present), m_decimals));
    }
    Report report() const { return Report{{"repetitions", values()}, {"median", median()}}; }

private:
    int m_decimals;
    std::vector<std::optional<double>> m_values;
};

// What the group-commit writer (store/WriteQueue) did per measured run.
struct WriterSeries
{
    Series commitsPerRun{3};
    Series durableCommitsPerRun{3};
    Series flushesPerRun{3};
    Series flushMs{3};
    Series logRestarts{0};
    Series logPagesPerRun{2};
    Series piecesPerCommit{2};

    void add(const ThroughputResult &result, int runs)
    {
        commitsPerRun.add(double(result.writerCommits) / runs);
        durableCommitsPerRun.add(double(result.writerDurableCommits) / runs);
        flushesPerRun.add(double(result.writerFlushes) / runs);
        logRestarts.add(double(result.writerLogRestarts));
        logPagesPerRun.add(double(result.writerLogPages) / runs);
        flushMs.add(result.writerFlushes > 0 ? double(result.writerFlushMicroseconds) / 1000.0
                                                   / double(result.writerFlushes)
                                             : 0.0);
        piecesPerCommit.add(result.writerCommits > 0
                                ? double(result.writerPieces) / double(result.writerCommits)
                                : 0.0);
    }
    void skip()
    {
        commitsPerRun.skip();
        durableCommitsPerRun.skip();
        flushesPerRun.skip();
        flushMs.skip();
        logRestarts.skip();
        logPagesPerRun.skip();
        piecesPerCommit.skip();
    }
    Report report() const
    {
        return Report{{"commits_per_run", commitsPerRun.report()},
                      {"durable_commits_per_run", durableCommitsPerRun.report()},
                      {"flushes_per_run", flushesPerRun.report()},
                      {"mean_flush_ms", flushMs.report()},
                      {"log_restarts", logRestarts.report()},
                      {"log_pages_per_run", logPagesPerRun.report()},
                      {"pieces_per_commit", piecesPerCommit.report()}};
    }
};

Report failureList(const QStringList &failures)
{
    Report list = Report::array();
    for (const QString &failure : failures)
        list.push_back(failure.toStdString());
    return list;
}

// Notes a failed repetition on stderr and in both lists.
void noteFailure(const QString &what, const Error &error, QStringList *local, Problems *problems)
{
    const QString line = QStringLiteral("%1 FAILED: %2").arg(what, error.describe());
    progress(line);
    local->append(line);
    problems->failures.append(line);
}

// Notes succeeded runs that lack their step record; their count goes into `counts`.
void noteMissingSteps(const QString &what, int missing, Report *counts, Problems *problems)
{
    counts->push_back(missing);
    if (missing == 0)
        return;
    const QString line = QStringLiteral("%1: %2 succeeded runs have no record of their step")
                             .arg(what)
                             .arg(missing);
    progress(line);
    problems->integrity.append(line);
}

} // namespace

Report latencySummary(const std::vector<double> &ms)
{
    return Report{{"p50", rounded(percentile(ms, 0.50), 3)},
                  {"p90", rounded(percentile(ms, 0.90), 3)},
                  {"p99", rounded(percentile(ms, 0.99), 3)},
                  {"max", rounded(percentile(ms, 1.0), 3)}};
}

Report serviceReport(const BenchOptions &options, const ScenarioLimits &limits, int workers,
                     Problems *problems)
{
    Series rates(1), enqueueRates(1), whileEnqueueing(1), afterEnqueueing(1), seconds(3),
        coresBusy(2);
    WriterSeries writer;
    Report missingSteps = Report::array();
    QStringList failed;
    for (int rep = 1; rep <= options.repeat; ++rep) {
        const QString what = QStringLiteral("service workers=%1 rep %2/%3")
                                 .arg(workers)
                                 .arg(rep)
                                 .arg(options.repeat);
        Result<ThroughputResult> result
            = measureService(workers, options.runs, options.producers, limits);
        if (!result) {
            noteFailure(what, result.error(), &failed, problems);
            for (Series *series :
                 {&rates, &enqueueRates, &whileEnqueueing, &afterEnqueueing, &seconds, &coresBusy})
                series->skip();
            writer.skip();
            missingSteps.push_back(nullptr);
            continue;
        }
        rates.add(options.runs / result->seconds);
        enqueueRates.add(options.runs / result->enqueueSeconds);
        // Processing alongside the producers, then on its own (the queue draining).
        whileEnqueueing.add(result->succeededWhileEnqueueing / result->enqueueSeconds);
        afterEnqueueing.add(result->seconds > result->enqueueSeconds
                                ? (options.runs - result->succeededWhileEnqueueing)
                                      / (result->seconds - result->enqueueSeconds)
                                : 0.0);
        seconds.add(result->seconds);
        coresBusy.add(result->processCpuSeconds / result->seconds);
        writer.add(*result, options.runs);
        noteMissingSteps(what, result->runsMissingStep, &missingSteps, problems);
        progress(QStringLiteral("%1: %2 runs in %3 s = %4 runs/s (enqueue %5/s; processed %6/s "
                                "while enqueueing, %7/s after), %8 cores busy")
                     .arg(what)
                     .arg(options.runs)
                     .arg(result->seconds, 0, 'f', 2)
                     .arg(rates.last(), 0, 'f', 1)
                     .arg(enqueueRates.last(), 0, 'f', 1)
                     .arg(whileEnqueueing.last(), 0, 'f', 1)
                     .arg(afterEnqueueing.last(), 0, 'f', 1)
                     .arg(coresBusy.last(), 0, 'f', 2));
    }
    return Report{{"runs_per_s", rates.values()},
                  {"median", rates.median()},
                  {"failures", failureList(failed)},
                  {"runs_missing_step_record", missingSteps},
                  {"enqueue_runs_per_s", enqueueRates.report()},
                  {"processed_runs_per_s_while_enqueueing", whileEnqueueing.report()},
                  {"processed_runs_per_s_after_enqueueing", afterEnqueueing.report()},
                  {"seconds", seconds.report()},
                  {"process_cores_busy", coresBusy.report()},
                  {"writer", writer.report()}};
}

Report httpReport(const BenchOptions &options, const ScenarioLimits &limits, Problems *problems)
{
    Series rates(1), requestRates(1), clientShare(3), clientCores(3), coresBusy(2);
    WriterSeries writer;
    Report latencies = Report::array();
    Report opened = Report::array();
    Report missingSteps = Report::array();
    QStringList failed;
    for (int rep = 1; rep <= options.repeat; ++rep) {
        const QString what = QStringLiteral("http workers=%1 connections=%2 rep %3/%4")
                                 .arg(options.workers)
                                 .arg(options.connections)
                                 .arg(rep)
                                 .arg(options.repeat);
        Result<ThroughputResult> result
            = measureHttp(options.workers, options.runs, options.connections, limits);
        if (!result) {
            noteFailure(what, result.error(), &failed, problems);
            for (Series *series : {&rates, &requestRates, &clientShare, &clientCores, &coresBusy})
                series->skip();
            writer.skip();
            latencies.push_back(nullptr);
            opened.push_back(nullptr);
            missingSteps.push_back(nullptr);
            continue;
        }
        rates.add(options.runs / result->seconds);
        requestRates.add(options.runs / result->requestSeconds);
        clientShare.add(result->clientCpuSeconds / result->processCpuSeconds);
        clientCores.add(result->clientCpuSeconds / result->requestSeconds);
        coresBusy.add(result->processCpuSeconds / result->seconds);
        writer.add(*result, options.runs);
        latencies.push_back(latencySummary(result->requestLatenciesMs));
        opened.push_back(result->connectionsOpened);
        noteMissingSteps(what, result->runsMissingStep, &missingSteps, problems);
        progress(QStringLiteral("%1: %2 runs/s end to end, %3 requests/s, client %4% of the "
                                "process's CPU, request p50 %5 ms p99 %6 ms")
                     .arg(what)
                     .arg(rates.last(), 0, 'f', 1)
                     .arg(requestRates.last(), 0, 'f', 1)
                     .arg(clientShare.last() * 100, 0, 'f', 1)
                     .arg(percentile(result->requestLatenciesMs, 0.5), 0, 'f', 3)
                     .arg(percentile(result->requestLatenciesMs, 0.99), 0, 'f', 3));
    }
    return Report{{"workers", options.workers},
                  {"connections", options.connections},
                  {"runs_per_s", rates.values()},
                  {"median", rates.median()},
                  {"failures", failureList(failed)},
                  {"runs_missing_step_record", missingSteps},
                  {"requests_per_s", requestRates.report()},
                  {"request_latency_ms", latencies},
                  {"connections_opened", opened},
                  {"client_share_of_process_cpu", clientShare.report()},
                  {"client_cores_busy", clientCores.report()},
                  {"process_cores_busy", coresBusy.report()},
                  {"writer", writer.report()}};
}

Report pickupReport(const BenchOptions &options, const ScenarioLimits &limits, Problems *problems)
{
    // One series per measured span; per repetition its percentiles, then their medians.
    const std::vector<std::pair<const char *, std::vector<double> PickupResult::*>> spans
        = {{"after_return_ms", &PickupResult::afterReturnMs},
           {"after_call_ms", &PickupResult::afterCallMs},
           {"finished_after_call_ms", &PickupResult::finishedMs}};
    std::vector<std::optional<PickupResult>> results;
    Report missingSteps = Report::array();
    QStringList failed;
    for (int rep = 1; rep <= options.repeat; ++rep) {
        const QString what = QStringLiteral("pickup workers=%1 rep %2/%3")
                                 .arg(options.workers)
                                 .arg(rep)
                                 .arg(options.repeat);
        Result<PickupResult> result = measurePickup(options.workers, options.pickupRuns, limits);
        if (!result) {
            noteFailure(what, result.error(), &failed, problems);
            results.emplace_back();
            missingSteps.push_back(nullptr);
            continue;
        }
        noteMissingSteps(what, result->runsMissingStep, &missingSteps, problems);
        progress(QStringLiteral("%1: after runNow returned p50 %2 ms, p99 %3 ms")
                     .arg(what)
                     .arg(percentile(result->afterReturnMs, 0.5), 0, 'f', 3)
                     .arg(percentile(result->afterReturnMs, 0.99), 0, 'f', 3));
        results.emplace_back(std::move(*result));
    }
    Report report{{"workers", options.workers},
                  {"runs", options.pickupRuns},
                  {"failures", failureList(failed)},
                  {"runs_missing_step_record", missingSteps}};
    for (const auto &[name, member] : spans) {
        Report repetitions = Report::array();
        std::map<std::string, Series> byStatistic;
        for (const std::optional<PickupResult> &result : results) {
            if (!result) {
                repetitions.push_back(nullptr);
                continue;
            }
            const Report summary = latencySummary((*result).*member);
            for (const auto &[statistic, value] : summary.items())
                byStatistic.try_emplace(statistic, 3).first->second.add(value.get<double>());
            repetitions.push_back(summary);
        }
        Report medians;
        for (const char *statistic : {"p50", "p90", "p99", "max"})
            medians[statistic]
                = byStatistic.count(statistic) ? byStatistic.at(statistic).median() : Report();
        report[name] = Report{{"repetitions", repetitions}, {"median", medians}};
    }
    return report;
}

} // namespace ordinaut::bench
