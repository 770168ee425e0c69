// GET /health: liveness and the database's reachability, without authentication;
// GET /health/detailed: workers and queue, for authenticated clients.
#include "Routes.h"

#include "Router.h"

#include "core/Clock.h"
#include "core/Scopes.h"
#include "runtime/Engine.h"
#include "store/Database.h"
#include "store/RunQueue.h"
#include "store/Sql.h"
#include "store/WorkerStore.h"

#include <QCoreApplication>

namespace ordinaut {

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
    // Workers, queue depth, the oldest due item and lease expiries: for people and monitors
    // asking why a run has not started.
    router.add("GET", QStringLiteral("/health/detailed"), Access::scope(scopes::kRunsRead),
               [&engine](const HttpRequest &request) {
                   const QDateTime now = engine.clock().now();
                   Result<Json> queue = RunQueue(engine.database()).health(now);
                   Result<Json> workers = WorkerStore(engine.database()).list();
                   if (!queue || !workers)
                       return HttpResponse::problem(!queue ? queue.error() : workers.error(),
                                                    request.path);
                   return HttpResponse::json(200, Json{{"engine", engine.id()},
                                                       {"running", engine.isRunning()},
                                                       {"time", formatInstant(now)},
                                                       {"queue", *queue},
                                                       {"workers", *workers}});
               });
}

} // namespace ordinaut
