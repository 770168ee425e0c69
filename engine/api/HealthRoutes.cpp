// GET /health: liveness and the database's reachability, without authentication;
// GET /health/detailed: workers, queue, the scheduler's next due time and the data folder's
// free space, for authenticated clients.
#include "Routes.h"

#include "Router.h"

#include "core/Clock.h"
#include "core/Scopes.h"
#include "runtime/Engine.h"
#include "store/Database.h"
#include "store/RunQueue.h"
#include "store/Sql.h"
#include "store/TaskStore.h"
#include "store/WorkerStore.h"

#include <QCoreApplication>
#include <QStorageInfo>

namespace ordinaut {

namespace {

// Below either, the data folder's disk is "low": the database and the logs may soon fail to grow.
constexpr qint64 kLowDiskBytes = qint64(1) << 30;
constexpr double kLowDiskFraction = 0.05;

Json diskJson(const QString &dataDir)
{
    const QStorageInfo storage(dataDir);
    if (!storage.isValid() || !storage.isReady())
        return Json{{"path", dataDir}, {"available", false}};
    const qint64 free = storage.bytesAvailable();
    const qint64 total = storage.bytesTotal();
    const bool low = free < kLowDiskBytes || (total > 0 && double(free) < kLowDiskFraction * total);
    return Json{{"path", dataDir},
                {"available", true},
                {"bytes_free", free},
                {"bytes_total", total},
                {"low", low},
                {"low_below_bytes", kLowDiskBytes},
                {"low_below_fraction", kLowDiskFraction}};
}

// When the scheduler next has something to do: a task's next occurrence, or a queued run
// (a retry's backoff, a paused run) becoming ready — what it arms its timer for.
Result<Json> schedulerJson(const Engine &engine, const QDateTime &now)
{
    Result<QDateTime> occurrence = TaskStore(engine.database()).earliestNextRun();
    if (!occurrence)
        return occurrence.error();
    Result<RunQueue::Outlook> queued = RunQueue(engine.database()).outlook(now);
    if (!queued)
        return queued.error();
    QDateTime next = *occurrence;
    if (queued->nextLater.isValid() && (!next.isValid() || queued->nextLater < next))
        next = queued->nextLater;
    return Json{{"next_due", instantJson(next)},
                {"next_task_occurrence", instantJson(*occurrence)},
                {"next_queued_start", instantJson(queued->nextLater)},
                {"work_ready_now", queued->readyNow}};
}

} // namespace

void addHealthRoutes(Router &router, Engine &engine)
{
    const QDateTime started = engine.clock().now();
    router.add("GET", QStringLiteral("/health"), Access::anyone(),
               [&engine, started](const HttpRequest &) {
                   const bool databaseOk
                       = sql::exec(engine.database().connection(), QStringLiteral("SELECT 1")).ok();
                   const QDateTime now = engine.clock().now();
                   return HttpResponse::json(
                       databaseOk ? 200 : 503,
                       Json{{"status", databaseOk ? "healthy" : "unhealthy"},
                            {"version", QCoreApplication::applicationVersion()},
                            {"database", databaseOk ? "ok" : "unreachable"},
                            {"engine", engine.isRunning() ? "running" : "stopped"},
                            {"workers", engine.workerCount()},
                            {"uptime_seconds", started.secsTo(now)},
                            {"time", formatInstant(now)}});
               });
    // Workers, queue depth, the oldest due item and lease expiries, when the scheduler next
    // fires, and the disk: for people and monitors asking why a run has not started.
    router.add("GET", QStringLiteral("/health/detailed"), Access::scope(scopes::kRunsRead),
               [&engine](const HttpRequest &request) {
                   const QDateTime now = engine.clock().now();
                   Result<Json> queue = RunQueue(engine.database()).health(now);
                   Result<Json> workers = WorkerStore(engine.database()).list();
                   Result<Json> scheduler = schedulerJson(engine, now);
                   if (!queue || !workers || !scheduler)
                       return HttpResponse::problem(!queue     ? queue.error()
                                                    : !workers ? workers.error()
                                                               : scheduler.error(),
                                                    request.path);
                   return HttpResponse::json(200, Json{{"engine", engine.id()},
                                                       {"running", engine.isRunning()},
                                                       {"time", formatInstant(now)},
                                                       {"queue", *queue},
                                                       {"scheduler", *scheduler},
                                                       {"disk", diskJson(engine.dataDir())},
                                                       {"workers", *workers}});
               });
}

} // namespace ordinaut
