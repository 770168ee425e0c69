// Metrics: the families, their buckets and label sets.
#include "Metrics.h"

#include "Exposition.h"

#include <array>
#include <charconv>

namespace ordinaut {

namespace {

template<typename Instrument>
std::function<std::unique_ptr<Instrument>()> plain()
{
    return [] { return std::make_unique<Instrument>(); };
}

std::function<std::unique_ptr<MetricHistogram>()> buckets(std::vector<double> bounds)
{
    return [bounds = std::move(bounds)] { return std::make_unique<MetricHistogram>(bounds); };
}

// From a millisecond API call to a half-hour pipeline.
const std::vector<double> kRunBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                      2.5,   5,    10,    30,   60,  300,  1800};
// On time is under a few milliseconds; a suspended laptop is hours late.
const std::vector<double> kLatenessBuckets{0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
                                           1,     5,     10,   60,   300, 3600};
const std::vector<double> kHttpBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,  5,     10};

constexpr std::array<AuthFailure, 7> kAuthFailures{
    AuthFailure::Missing, AuthFailure::Malformed, AuthFailure::Invalid, AuthFailure::Expired,
    AuthFailure::Revoked, AuthFailure::Forbidden, AuthFailure::SignIn};

std::string_view methodLabel(const QByteArray &method)
{
    static constexpr std::array<std::string_view, 7> kKnown{"GET",   "HEAD",   "POST",   "PUT",
                                                            "PATCH", "DELETE", "OPTIONS"};
    const std::string_view given(method.constData(), std::size_t(method.size()));
    for (std::string_view known : kKnown)
        if (known == given)
            return known;
    return "OTHER";
}

} // namespace

const char *toString(AuthFailure reason)
{
    switch (reason) {
    case AuthFailure::Missing:
        return "missing";
    case AuthFailure::Malformed:
        return "malformed";
    case AuthFailure::Invalid:
        return "invalid";
    case AuthFailure::Expired:
        return "expired";
    case AuthFailure::Revoked:
        return "revoked";
    case AuthFailure::Forbidden:
        return "forbidden";
    case AuthFailure::SignIn:
        return "sign_in";
    }
    return "invalid";
}

Metrics::Metrics()
    : m_runsFinished("ordinaut_runs_finished_total",
                     "Run attempts that ended, by final status and by what queued them.",
                     {"status", "trigger"}, plain<MetricCounter>())
    , m_runDuration("ordinaut_run_duration_seconds",
                    "How long run attempts executed on a worker, from start to outcome.",
                    {"status"}, buckets(kRunBuckets))
    , m_stepDuration("ordinaut_step_duration_seconds", "How long pipeline steps ran, by tool.",
                     {"tool", "status"}, buckets(kRunBuckets))
    , m_lateness("ordinaut_schedule_lateness_seconds",
                 "How late the scheduler queued occurrences: queue time minus due time.", {},
                 buckets(kLatenessBuckets))
    , m_workers("ordinaut_workers", "Workers in this engine's pool.", {}, plain<MetricGauge>())
    , m_workersBusy("ordinaut_workers_busy", "Workers executing a run right now.", {},
                    plain<MetricGauge>())
    , m_workerBusySeconds("ordinaut_worker_busy_seconds_total",
                          "Seconds workers spent executing runs, summed over the pool (divide "
                          "its rate by ordinaut_workers for utilization).",
                          {}, plain<MetricCounter>())
    , m_httpRequests("ordinaut_http_requests_total",
                     "HTTP requests answered, by method, route template and status "
                     "(route=\"unmatched\" when no route matched).",
                     {"method", "route", "status"}, plain<MetricCounter>(), 2048)
    , m_httpDuration("ordinaut_http_request_duration_seconds",
                     "Time to answer HTTP requests, by method and route template.",
                     {"method", "route"}, buckets(kHttpBuckets), 512)
    , m_authFailures("ordinaut_auth_failures_total",
                     "Requests refused for their credential, by reason.", {"reason"},
                     plain<MetricCounter>())
    , m_rateLimited("ordinaut_rate_limited_total", "Requests refused by a rate limit, by kind.",
                    {"kind"}, plain<MetricCounter>(), kMaxRateLimitKinds)
    , m_mcpToolCalls("ordinaut_mcp_tool_calls_total",
                     "MCP tools/call answered, by tool and outcome (ok, or error: an isError "
                     "result naming what was wrong).",
                     {"tool", "outcome"}, plain<MetricCounter>(), 64)
    , m_mcpToolDuration("ordinaut_mcp_tool_call_duration_seconds",
                        "Time to answer MCP tools/call, by tool.", {"tool"}, buckets(kHttpBuckets),
                        32)
    , m_mcpSessions("ordinaut_mcp_sessions", "MCP sessions open (session revisions).", {},
                    plain<MetricGauge>())
{
    // Every reason shows from the start, at 0: a rate over a missing series is no rate at all.
    for (AuthFailure reason : kAuthFailures)
        m_authFailures.with({toString(reason)});
    m_lateness.with({});
    m_workers.with({});
    m_workersBusy.with({});
    m_workerBusySeconds.with({});
    m_mcpSessions.with({});
}

Metrics::~Metrics() = default;

void Metrics::runFinished(RunStatus status, std::optional<RunTrigger> trigger, double seconds)
{
    const std::string statusText = toString(status).toStdString();
    const std::string triggerText = trigger ? toString(*trigger).toStdString() : "unknown";
    m_runsFinished.with({statusText, triggerText}).add();
    m_runDuration.with({statusText}).observe(seconds);
}

void Metrics::stepFinished(const QString &tool, StepStatus status, double seconds)
{
    m_stepDuration.with({tool.toStdString(), toString(status).toStdString()}).observe(seconds);
}

void Metrics::occurrenceFired(double latenessSeconds)
{
    m_lateness.with({}).observe(std::max(0.0, latenessSeconds));
}

void Metrics::setWorkers(int count)
{
    m_workers.with({}).set(count);
}

void Metrics::workerBusy()
{
    m_workersBusy.with({}).add(1);
}

void Metrics::workerIdle(double busySeconds)
{
    m_workersBusy.with({}).add(-1);
    m_workerBusySeconds.with({}).add(busySeconds);
}

void Metrics::httpRequest(const QByteArray &method, const QString &route, int status,
                          double seconds)
{
    const std::string_view methodText = methodLabel(method);
    const std::string routeText = route.toStdString();
    char statusText[8];
    const std::to_chars_result written
        = std::to_chars(statusText, statusText + sizeof statusText, status);
    m_httpRequests.with({methodText, routeText, std::string_view(statusText, written.ptr)}).add();
    m_httpDuration.with({methodText, routeText}).observe(seconds);
}

void Metrics::authFailed(AuthFailure reason)
{
    m_authFailures.with({toString(reason)}).add();
}

void Metrics::rateLimited(const QString &kind)
{
    m_rateLimited.with({kind.toStdString()}).add();
}

void Metrics::mcpToolCall(const QString &tool, bool ok, double seconds)
{
    const std::string name = tool.toStdString();
    m_mcpToolCalls.with({name, ok ? "ok" : "error"}).add();
    m_mcpToolDuration.with({name}).observe(seconds);
}

void Metrics::setMcpSessions(int count)
{
    m_mcpSessions.with({}).set(count);
}

void Metrics::write(Exposition &out) const
{
    out.write(m_runsFinished);
    out.write(m_runDuration);
    out.write(m_stepDuration);
    out.write(m_lateness);
    out.write(m_workers);
    out.write(m_workersBusy);
    out.write(m_workerBusySeconds);
    out.write(m_httpRequests);
    out.write(m_httpDuration);
    out.write(m_authFailures);
    out.write(m_rateLimited);
    out.write(m_mcpToolCalls);
    out.write(m_mcpToolDuration);
    out.write(m_mcpSessions);
}

} // namespace ordinaut
