// Engine benchmark: end-to-end throughput of durable no-op runs (service layer, HTTP) and pickup
// latency, as one JSON document on stdout (progress on stderr). Failed repetitions are reported
// as null with their reason and make the exit status 1. `--help` lists the options.
#include "enginebench/BenchEngine.h"
#include "enginebench/BenchOptions.h"
#include "enginebench/DiskProbe.h"
#include "enginebench/ScenarioReports.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QStorageInfo>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QThread>

#include <curl/curl.h>

#include <cstdio>

using namespace ordinaut;
using namespace ordinaut::bench;

namespace {

// Run before the clock starts in every scenario (see BenchEngine::warmUp).
constexpr int kWarmUpRuns = 20;
// A scenario in which no run finishes for this long has hung: it fails instead of waiting.
constexpr int kStallMs = 60000;
// The disk probe: pages written (SQLite's default page size) and how many of each kind.
constexpr int kProbeBytes = 4096;
constexpr int kProbeSamples = 200;

void progress(const QString &line)
{
    std::fprintf(stderr, "%s\n", qPrintable(line));
    std::fflush(stderr);
}

QString cpuModel()
{
    QFile info(QStringLiteral("/proc/cpuinfo"));
    if (!info.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : info.readAll().split('\n')) {
        if (line.startsWith("model name"))
            return QString::fromUtf8(line.mid(line.indexOf(':') + 1).trimmed());
    }
    return {};
}

// The disk's fdatasync latencies now, in a scratch folder beside the scenarios' data folders.
Result<Report> probeDisk()
{
    const QTemporaryDir dir;
    if (!dir.isValid())
        return Error{ErrorCode::Unavailable, dir.errorString(), {}};
    Result<SyncLatencies> syncs = measureSyncLatencies(dir.path(), kProbeSamples, kProbeBytes);
    if (!syncs)
        return syncs.error();
    return Report{{"append", latencySummary(syncs->appendMs)},
                  {"overwrite", latencySummary(syncs->overwriteMs)}};
}

// How each number is taken, so the report can be read without the source.
Report method()
{
    return Report{
        {"service",
         "runs_per_s = runs / (first RunService::runNow call -> the runs-th "
         "run.finished(succeeded) announced); producers threads each await one runNow "
         "(committed) after another; enqueue_runs_per_s stops at the last runNow return"},
        {"http", "runs_per_s as for service, each run queued by its own POST "
                 "/api/v1/tasks/{id}/run-now (2xx checked) over keep-alive connections, one "
                 "request at a time per connection; requests_per_s stops at the last answer"},
        {"pickup", "one run at a time; after_return_ms = bench.mark step start - runNow "
                   "returned, after_call_ms = - runNow called, finished_after_call_ms = "
                   "run.finished announced - runNow called; nearest-rank percentiles"},
        {"durability", "read back from the engine; the group-commit writer commits at "
                       "synchronous=NORMAL and answers a durable piece (an enqueue, an outcome) "
                       "only after an fdatasync of the log that covers its commit "
                       "(store/WriteQueue.h, store/WalFlusher.h): writer.flushes_per_run, "
                       "mean_flush_ms; log_pages_per_run is what the commits wrote"},
        {"checks", "every run of the measured task is counted in the database afterwards: all "
                   "succeeded, none extra"},
        {"medians", "of the repetitions that succeeded; each repetition uses a fresh data "
                    "folder and engine, after warm_up_runs runs of another task"}};
}

Result<Report> machineReport()
{
    // An engine like the scenarios' own, to read back the durability its connections get.
    Result<std::unique_ptr<BenchEngine>> probe = BenchEngine::create(1);
    if (!probe)
        return probe.error();
    Result<QString> durability = (*probe)->durability();
    if (!durability)
        return durability.error();
    const QStorageInfo storage((*probe)->dataDir());
    return Report{{"cores", QThread::idealThreadCount()},
                  {"cpu", cpuModel().toStdString()},
                  {"kernel", QSysInfo::kernelVersion().toStdString()},
                  {"filesystem", storage.fileSystemType().toStdString()},
                  {"device", storage.device().toStdString()},
                  {"data_dir_root", QFileInfo((*probe)->dataDir()).path().toStdString()},
                  {"durability", durability->toStdString()},
                  {"qt", qVersion()},
                  {"build", ORDINAUT_BUILD_TYPE}};
}

Report parametersReport(const BenchOptions &options)
{
    return Report{{"runs", options.runs},
                  {"repeat", options.repeat},
                  {"producers", options.producers},
                  {"connections", options.connections},
                  {"workers", options.workers},
                  {"service_workers", options.serviceWorkers},
                  {"pickup_runs", options.pickupRuns},
                  {"warm_up_runs", kWarmUpRuns}};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("ordinaut-bench-engine"));
    const std::optional<BenchOptions> options = BenchOptions::parse(app);
    if (!options)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const ScenarioLimits limits{kWarmUpRuns, kStallMs};

    Result<Report> machine = machineReport();
    // The disk is shared with whatever else runs: probed before and after, its latency shows
    // whether the conditions held.
    Result<Report> diskBefore = machine ? probeDisk() : Result<Report>(machine.error());
    if (!diskBefore) {
        progress(QStringLiteral("machine probe failed: %1").arg(diskBefore.error().describe()));
        return 1;
    }
    Report report{
        {"machine", *machine}, {"parameters", parametersReport(*options)}, {"method", method()}};
    Problems problems;
    if (options->wants("service")) {
        Report service;
        for (const int workers : options->serviceWorkers)
            service["workers_" + std::to_string(workers)]
                = serviceReport(*options, limits, workers, &problems);
        report["service"] = service;
    }
    if (options->wants("http"))
        report["http"] = httpReport(*options, limits, &problems);
    if (options->wants("pickup"))
        report["pickup"] = pickupReport(*options, limits, &problems);
    curl_global_cleanup();

    Result<Report> diskAfter = probeDisk();
    report["machine"]["fdatasync_ms"] = Report{
        {"bytes", kProbeBytes},
        {"samples", kProbeSamples},
        {"before", *diskBefore},
        {"after", diskAfter ? *diskAfter : Report(diskAfter.error().describe().toStdString())}};
    std::printf("%s\n", report.dump(2).c_str());
    if (problems.failures.isEmpty() && problems.integrity.isEmpty())
        return 0;
    progress(QStringLiteral("%1 repetition(s) FAILED, %2 with incomplete records:")
                 .arg(problems.failures.size())
                 .arg(problems.integrity.size()));
    for (const QString &line : problems.failures + problems.integrity)
        progress(QStringLiteral("  ") + line);
    return 1;
}
