// GET /metrics: the engine's instruments in the Prometheus text format, plus what the database
// knows better at scrape time — the queue's depth and its oldest due item, and open runs by
// status. Needs runs:read, sent as a bearer token like any API call (Prometheus scrape
// configs support `authorization: {credentials: …}`).
#include "Routes.h"

#include "Router.h"

#include "core/Clock.h"
#include "core/Exposition.h"
#include "core/Metrics.h"
#include "core/Scopes.h"
#include "runtime/Engine.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"

namespace ordinaut {

namespace {

// Statuses of runs that have not ended.
constexpr RunStatus kOpenStatuses[]
    = {RunStatus::Queued, RunStatus::Running, RunStatus::Waiting, RunStatus::WaitingApproval};

qint64 integer(const Json &object, const char *name)
{
    return object.value(name, Json(0)).is_number_integer() ? object[name].get<qint64>() : 0;
}

// The queue and open runs, read now. An error when the database cannot be read.
Status writeDatabaseGauges(const Engine &engine, Exposition &out)
{
    const QDateTime now = engine.clock().now();
    Result<Json> queue = RunQueue(engine.database()).health(now);
    if (!queue)
        return queue.error();
    out.header("ordinaut_queue_pending", "gauge", "Queued work not yet leased, due or not.");
    out.sample("ordinaut_queue_pending", {}, double(integer(*queue, "pending")));
    out.header("ordinaut_queue_ready", "gauge", "Queued work due now and waiting for a worker.");
    out.sample("ordinaut_queue_ready", {}, double(integer(*queue, "ready")));
    out.header("ordinaut_queue_leased", "gauge", "Queued work leased by a worker.");
    out.sample("ordinaut_queue_leased", {}, double(integer(*queue, "leased")));
    out.header("ordinaut_queue_expired_leases", "gauge",
               "Leases that ran out without renewal (their worker stopped or hung).");
    out.sample("ordinaut_queue_expired_leases", {}, double(integer(*queue, "expired_leases")));
    const std::optional<QDateTime> oldest = parseInstant(qs(
        queue->value("oldest_due", Json("")).is_string() ? (*queue)["oldest_due"].get<std::string>()
                                                         : std::string()));
    out.header("ordinaut_queue_oldest_due_age_seconds", "gauge",
               "How long the oldest ready item has been due; 0 when none is waiting.");
    out.sample("ordinaut_queue_oldest_due_age_seconds", {},
               oldest ? std::max(0.0, double(oldest->msecsTo(now)) / 1000.0) : 0.0);

    out.header("ordinaut_runs_open", "gauge", "Runs that have not ended, by status.");
    RunStore runs(engine.database());
    for (RunStatus status : kOpenStatuses) {
        Result<RunPage> page = runs.list(RunFilter{QString(), status, 0, 0});
        if (!page)
            return page.error();
        const std::string name = toString(status).toStdString();
        out.sample("ordinaut_runs_open", {{"status", name}}, double(page->total));
    }
    return {};
}

} // namespace

void addMetricRoutes(Router &router, Engine &engine)
{
    router.add("GET", QStringLiteral("/metrics"), Access::scope(scopes::kRunsRead),
               [&engine](const HttpRequest &request) {
                   Exposition out;
                   engine.metrics().write(out);
                   if (Status read = writeDatabaseGauges(engine, out); !read)
                       return HttpResponse::problem(read.error(), request.path);
                   HttpResponse response;
                   response.contentType = Exposition::kContentType;
                   response.body = out.toUtf8();
                   return response;
               });
}

} // namespace ordinaut
