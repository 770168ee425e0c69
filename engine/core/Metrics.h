// Metrics: the engine's in-process instruments, one instance per Engine — runs and steps as
// they finish, schedule lateness, worker utilization, HTTP requests, refused credentials and
// rate-limit hits. Every recording function is lock-free on the common path and callable from
// any thread; label values come from bounded sets (route templates, enum names, tool names).
// What the database knows better (queue depth, open runs) is added at scrape time by the
// /metrics route.
#pragma once

#include "MetricFamily.h"
#include "Run.h"
#include "StepRecord.h"

#include <QString>

#include <optional>

namespace ordinaut {

class Exposition;

// Why a request's credential was refused (ordinaut_auth_failures_total{reason}).
enum class AuthFailure {
    Missing,   // no Authorization header
    Malformed, // not the Bearer scheme, or a token that is not a well-formed JWT
    Invalid,   // a bad signature, issuer, audience or claim; an unknown or disabled agent
    Expired,   // an access token past its expiry
    Revoked,   // an access token revoked before its expiry
    Forbidden, // a good token without the route's scope
    SignIn,    // POST /auth/token with a wrong agent id or secret
};
const char *toString(AuthFailure reason);

class Metrics final
{
public:
    Metrics();
    ~Metrics();
    Q_DISABLE_COPY_MOVE(Metrics)

    // A run's attempt ended with `status` after `seconds` of execution; `trigger` is unknown
    // when the run could not be read.
    void runFinished(RunStatus status, std::optional<RunTrigger> trigger, double seconds);
    // A step ran `seconds` with tool `tool`.
    void stepFinished(const QString &tool, StepStatus status, double seconds);
    // The scheduler queued an occurrence `seconds` after it was due.
    void occurrenceFired(double latenessSeconds);
    // The worker pool's size; a worker took a run / put it down after `busySeconds`.
    void setWorkers(int count);
    void workerBusy();
    void workerIdle(double busySeconds);
    // One answered request: `route` is the matched route's template ("/api/v1/tasks/{id}"),
    // "unmatched" when none matched. Methods outside the HTTP set count as OTHER.
    void httpRequest(const QByteArray &method, const QString &route, int status, double seconds);
    void authFailed(AuthFailure reason);
    // A request refused by a rate limit of `kind` (e.g. "agent", "sign_in"); what the rate
    // limiter calls. At most kMaxRateLimitKinds distinct kinds are kept apart.
    void rateLimited(const QString &kind);
    static constexpr std::size_t kMaxRateLimitKinds = 16;

    // An MCP tools/call of `tool` (one of the server's tool names) that answered a result
    // (`ok`) or an isError result, and how long it took.
    void mcpToolCall(const QString &tool, bool ok, double seconds);
    // How many MCP sessions are open.
    void setMcpSessions(int count);

    // Appends every family (HELP, TYPE, samples) to `out`.
    void write(Exposition &out) const;

private:
    MetricFamily<MetricCounter> m_runsFinished;
    MetricFamily<MetricHistogram> m_runDuration;
    MetricFamily<MetricHistogram> m_stepDuration;
    MetricFamily<MetricHistogram> m_lateness;
    MetricFamily<MetricGauge> m_workers;
    MetricFamily<MetricGauge> m_workersBusy;
    MetricFamily<MetricCounter> m_workerBusySeconds;
    MetricFamily<MetricCounter> m_httpRequests;
    MetricFamily<MetricHistogram> m_httpDuration;
    MetricFamily<MetricCounter> m_authFailures;
    MetricFamily<MetricCounter> m_rateLimited;
    MetricFamily<MetricCounter> m_mcpToolCalls;
    MetricFamily<MetricHistogram> m_mcpToolDuration;
    MetricFamily<MetricGauge> m_mcpSessions;
};

} // namespace ordinaut
