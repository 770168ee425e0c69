// GET /health: liveness and the database's reachability, without authentication.
#include "Routes.h"

#include "Router.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "store/Database.h"
#include "store/Sql.h"

#include <QCoreApplication>

namespace ordinaut {

void addHealthRoutes(Router &router, Engine &engine)
{
    const QDateTime started = engine.clock().now();
    router.add(
        "GET", QStringLiteral("/health"), Access::Public, [&engine, started](const HttpRequest &) {
            const bool databaseOk
                = sql::exec(engine.database().connection(), QStringLiteral("SELECT 1")).ok();
            const QDateTime now = engine.clock().now();
            return HttpResponse::json(databaseOk ? 200 : 503,
                                      Json{{"status", databaseOk ? "healthy" : "unhealthy"},
                                           {"version", QCoreApplication::applicationVersion()},
                                           {"database", databaseOk ? "ok" : "unreachable"},
                                           {"engine", engine.isRunning() ? "running" : "stopped"},
                                           {"workers", engine.workerCount()},
                                           {"uptime_seconds", started.secsTo(now)},
                                           {"time", formatInstant(now)}});
        });
}

} // namespace ordinaut
