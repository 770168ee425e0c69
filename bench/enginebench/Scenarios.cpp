// Scenarios: driving the engine, stamping instants where they happen, checking the outcome.
#include "Scenarios.h"

#include "BenchEngine.h"
#include "FinishedRuns.h"
#include "HttpLoadClient.h"
#include "MarkTool.h"

#include "runtime/Engine.h"
#include "service/Services.h"
#include "store/Database.h"
#include "store/WriteQueue.h"

#include <QThread>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <latch>
#include <mutex>

namespace ordinaut::bench {

namespace {

using Clock = std::chrono::steady_clock;

const QString kActor = QStringLiteral("bench");

double secondsBetween(Clock::time_point from, Clock::time_point to)
{
    return std::chrono::duration<double>(to - from).count();
}

double msBetween(Clock::time_point from, Clock::time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}

Result<std::unique_ptr<BenchEngine>> prepare(int workers, const ScenarioLimits &limits)
{
    Result<std::unique_ptr<BenchEngine>> bench = BenchEngine::create(workers);
    if (!bench)
        return bench.error();
    if (Result<QString> warm = (*bench)->warmUp(limits.warmUpRuns, limits.stallMs); !warm)
        return warm.error();
    return bench;
}

// The database must hold exactly `runs` runs of the task, every one succeeded.
Status verify(const BenchEngine &bench, int runs)
{
    Result<int> all = bench.countRuns(std::nullopt);
    Result<int> succeeded = bench.countRuns(RunStatus::Succeeded);
    if (!all || !succeeded)
        return !all ? all.error() : succeeded.error();
    if (*all != runs || *succeeded != runs)
        return Error::internal(
            QStringLiteral("the database holds %1 runs of the benchmark task, %2 of them "
                           "succeeded; expected %3 and %3")
                .arg(*all)
                .arg(*succeeded)
                .arg(runs));
    return {};
}

Error notAllSucceeded(const FinishedRuns &finished, int runs)
{
    return Error::internal(
        QStringLiteral("%1 of %2 runs succeeded, %3 finished otherwise%4")
            .arg(finished.succeeded())
            .arg(runs)
            .arg(finished.failed())
            .arg(finished.failed() > 0 ? QStringLiteral(" (first: %1)").arg(finished.firstFailure())
                                       : QString()));
}

// Sends warm-up requests over HTTP so the API thread's database connection and the server's
// first-request costs are paid before the clock starts; waits for their runs.
Status warmUpHttp(BenchEngine &bench, const QString &baseUrl, const QString &taskId,
                  const ScenarioLimits &limits)
{
    FinishedRuns finished(bench.engine().eventBus(), taskId, limits.warmUpRuns);
    HttpLoadClient client(
        (baseUrl + QStringLiteral("/api/v1/tasks/%1/run-now").arg(taskId)).toUtf8(),
        bench.token().toUtf8(), 1, limits.warmUpRuns);
    client.start();
    const bool ok = finished.waitAll(limits.stallMs, [&] { return client.hasFailed(); });
    const HttpLoadResult load = client.wait();
    if (load.failed > 0)
        return Error::internal(QStringLiteral("warm-up request failed: ") + load.firstFailure);
    return ok ? Status() : Status(notAllSucceeded(finished, limits.warmUpRuns));
}

// A measurement that finished: every run succeeded and is in the database. The runs missing
// their step record and the span from `startedAt` to the last run's success, filled in.
Result<ThroughputResult> completed(const BenchEngine &bench, const FinishedRuns &finished, bool ok,
                                   int runs, Clock::time_point startedAt)
{
    if (!ok)
        return notAllSucceeded(finished, runs);
    if (Status verified = verify(bench, runs); !verified)
        return verified.error();
    Result<int> missingSteps = bench.countRunsMissingStep();
    if (!missingSteps)
        return missingSteps.error();
    ThroughputResult result;
    result.runsMissingStep = *missingSteps;
    result.seconds = secondsBetween(startedAt, *finished.completedAt());
    return result;
}

// The writer's counters between two readings, into `result`.
void addWriterWork(ThroughputResult &result, const WriteQueue::Stats &before,
                   const WriteQueue::Stats &after)
{
    result.writerPieces = after.pieces - before.pieces;
    result.writerCommits = after.commits - before.commits;
    result.writerDurableCommits = after.durableCommits - before.durableCommits;
    result.writerFlushes = after.flushes - before.flushes;
    result.writerFlushMicroseconds = after.flushMicroseconds - before.flushMicroseconds;
    result.writerLogRestarts = after.logRestarts - before.logRestarts;
    result.writerLogPages = after.logPagesWritten - before.logPagesWritten;
}

} // namespace

double processCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return double(now.tv_sec) + double(now.tv_nsec) / 1e9;
}

Result<ThroughputResult> measureService(int workers, int runs, int producers,
                                        const ScenarioLimits &limits)
{
    Result<std::unique_ptr<BenchEngine>> prepared = prepare(workers, limits);
    if (!prepared)
        return prepared.error();
    BenchEngine &bench = **prepared;
    RunService &service = bench.services().runs;
    const QString taskId = bench.taskId();
    FinishedRuns finished(bench.engine().eventBus(), taskId, runs);

    std::atomic<int> handedOut{0};
    std::atomic<int> errors{0};
    std::mutex errorMutex;
    QString firstError;
    std::latch ready(producers);
    std::latch go(1);
    Clock::time_point startedAt;
    std::vector<Clock::time_point> lastReturned(static_cast<size_t>(producers));
    std::vector<std::unique_ptr<QThread>> threads;
    for (int i = 0; i < producers; ++i) {
        threads.emplace_back(QThread::create([&, i] {
            // A serving thread has its connection open already: not part of the measurement.
            (void)bench.engine().database().connection();
            ready.count_down();
            go.wait();
            lastReturned[size_t(i)] = startedAt;
            while (errors.load() == 0 && handedOut.fetch_add(1) < runs) {
                const Clock::time_point calledAt = Clock::now();
                Result<Run> run = service.runNow(taskId, RunTrigger::Manual, kActor);
                lastReturned[size_t(i)] = Clock::now();
                if (!run && errors.fetch_add(1) == 0) {
                    const std::lock_guard lock(errorMutex);
                    firstError
                        = QStringLiteral("%1 (after waiting %2 s, %3 s into the "
                                         "measurement, with %4 runs succeeded)")
                              .arg(run.error().describe())
                              .arg(secondsBetween(calledAt, lastReturned[size_t(i)]), 0, 'f', 1)
                              .arg(secondsBetween(startedAt, lastReturned[size_t(i)]), 0, 'f', 1)
                              .arg(finished.succeeded());
                }
            }
        }));
        threads.back()->setObjectName(QStringLiteral("bench-producer-%1").arg(i + 1));
        threads.back()->start();
    }
    ready.wait();
    const WriteQueue::Stats writerBefore = bench.engine().database().writer().stats();
    const double cpuBefore = processCpuSeconds();
    startedAt = Clock::now();
    go.count_down();
    const bool ok = finished.waitAll(limits.stallMs, [&] { return errors.load() > 0; });
    const double cpuAfter = processCpuSeconds();
    const WriteQueue::Stats writerAfter = bench.engine().database().writer().stats();
    for (const auto &thread : threads)
        thread->wait();

    if (errors.load() > 0)
        return Error::internal(
            QStringLiteral("%1 runNow calls failed; first: %2").arg(errors.load()).arg(firstError));
    Result<ThroughputResult> checked = completed(bench, finished, ok, runs, startedAt);
    if (!checked)
        return checked.error();
    ThroughputResult result = *checked;
    const Clock::time_point lastReturn
        = *std::max_element(lastReturned.begin(), lastReturned.end());
    result.enqueueSeconds = secondsBetween(startedAt, lastReturn);
    result.succeededWhileEnqueueing = finished.succeededBy(lastReturn);
    result.processCpuSeconds = cpuAfter - cpuBefore;
    addWriterWork(result, writerBefore, writerAfter);
    return result;
}

Result<ThroughputResult> measureHttp(int workers, int runs, int connections,
                                     const ScenarioLimits &limits)
{
    Result<std::unique_ptr<BenchEngine>> created = BenchEngine::create(workers);
    if (!created)
        return created.error();
    BenchEngine &bench = **created;
    Result<QString> baseUrl = bench.startApi();
    if (!baseUrl)
        return baseUrl.error();
    Result<QString> warmTask = bench.warmUp(limits.warmUpRuns, limits.stallMs);
    if (!warmTask)
        return warmTask.error();
    if (Status warm = warmUpHttp(bench, *baseUrl, *warmTask, limits); !warm)
        return warm.error();

    FinishedRuns finished(bench.engine().eventBus(), bench.taskId(), runs);
    HttpLoadClient client(
        (*baseUrl + QStringLiteral("/api/v1/tasks/%1/run-now").arg(bench.taskId())).toUtf8(),
        bench.token().toUtf8(), connections, runs);
    const WriteQueue::Stats writerBefore = bench.engine().database().writer().stats();
    const double cpuBefore = processCpuSeconds();
    const Clock::time_point startedAt = Clock::now();
    client.start();
    const bool ok = finished.waitAll(limits.stallMs, [&] { return client.hasFailed(); });
    const double cpuAfter = processCpuSeconds();
    const WriteQueue::Stats writerAfter = bench.engine().database().writer().stats();
    HttpLoadResult load = client.wait();

    if (load.failed > 0)
        return Error::internal(QStringLiteral("%1 of %2 requests failed; first: %3")
                                   .arg(load.failed)
                                   .arg(runs)
                                   .arg(load.firstFailure));
    if (load.succeeded != runs)
        return Error::internal(
            QStringLiteral("%1 of %2 requests answered").arg(load.succeeded).arg(runs));
    Result<ThroughputResult> checked = completed(bench, finished, ok, runs, startedAt);
    if (!checked)
        return checked.error();
    ThroughputResult result = *checked;
    result.enqueueSeconds = load.seconds;
    result.requestSeconds = load.seconds;
    result.processCpuSeconds = cpuAfter - cpuBefore;
    result.clientCpuSeconds = load.clientCpuSeconds;
    result.connectionsOpened = load.connectionsOpened;
    result.requestLatenciesMs = std::move(load.latenciesMs);
    addWriterWork(result, writerBefore, writerAfter);
    return result;
}

Result<PickupResult> measurePickup(int workers, int runs, const ScenarioLimits &limits)
{
    Result<std::unique_ptr<BenchEngine>> prepared = prepare(workers, limits);
    if (!prepared)
        return prepared.error();
    BenchEngine &bench = **prepared;
    RunService &service = bench.services().runs;
    const QString taskId = bench.taskId();
    FinishedRuns finished(bench.engine().eventBus(), taskId, runs);

    PickupResult result;
    result.afterReturnMs.reserve(size_t(runs));
    result.afterCallMs.reserve(size_t(runs));
    result.finishedMs.reserve(size_t(runs));
    QString failure;
    // The caller is not the main thread: like the API thread in the server, it leaves the main
    // thread's event loop free to pass on the wake-up to the workers.
    std::unique_ptr<QThread> driver(QThread::create([&] {
        (void)bench.engine().database().connection();
        for (int i = 0; i < runs; ++i) {
            const Clock::time_point calledAt = Clock::now();
            Result<Run> run = service.runNow(taskId, RunTrigger::Manual, kActor);
            const Clock::time_point returnedAt = Clock::now();
            if (!run) {
                failure = run.error().describe();
                return;
            }
            const std::optional<FinishedRuns::Finish> finish
                = finished.waitFor(run->id, limits.stallMs);
            if (!finish || finish->status != QLatin1String("succeeded")) {
                failure = finish ? QStringLiteral("run %1 ended %2").arg(run->id, finish->status)
                                 : QStringLiteral("run %1 did not finish within %2 ms")
                                       .arg(run->id)
                                       .arg(limits.stallMs);
                return;
            }
            const std::optional<MarkTool::TimePoint> mark = bench.marks().markOf(run->id);
            if (!mark) {
                failure
                    = QStringLiteral("run %1 succeeded without its bench.mark step").arg(run->id);
                return;
            }
            result.afterReturnMs.push_back(msBetween(returnedAt, *mark));
            result.afterCallMs.push_back(msBetween(calledAt, *mark));
            result.finishedMs.push_back(msBetween(calledAt, finish->seenAt));
        }
    }));
    driver->setObjectName(QStringLiteral("bench-pickup"));
    driver->start();
    pumpEventsUntil([&] { return driver->isFinished(); });
    driver->wait();
    if (!failure.isEmpty())
        return Error::internal(failure);
    if (Status verified = verify(bench, runs); !verified)
        return verified.error();
    Result<int> missingSteps = bench.countRunsMissingStep();
    if (!missingSteps)
        return missingSteps.error();
    result.runsMissingStep = *missingSteps;
    return result;
}

} // namespace ordinaut::bench
