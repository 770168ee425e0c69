// Tool: one capability a pipeline step can use ("http.request"). Tools are stateless and may be
// invoked from several worker threads at once.
#pragma once

#include "core/Cancellation.h"
#include "core/Json.h"
#include "core/Result.h"

#include <QDateTime>

#include <optional>

namespace ordinaut {

class SideEffectLedger;

// A tool's request to pause the run instead of finishing the step (time.wait,
// human.approve). The worker is freed; the run resumes at this step by `until` at the latest,
// and the tool is invoked again with ToolContext::resumed set.
struct ToolSuspension
{
    enum class Kind { Wait, Approval };
    Kind kind = Kind::Wait;
    QDateTime until;
    Json request; // what the person is asked (Approval): {"title", "details"}
};

struct ToolContext
{
    QString runId;
    QString taskId;
    QString stepId;
    // The step's deadline (the run's, when that comes first); a tool stops waiting once it
    // passes and returns Timeout.
    int timeoutMs = 30000;
    QDateTime now; // when the step started
    // Null where effects need no idempotency (tests of pure tools).
    SideEffectLedger *ledger = nullptr;
    // The occurrence the run executes ("<task id>@<scheduled ms>"): side effects are keyed by it,
    // so a retried or re-claimed attempt does not repeat them. Empty: key by runId.
    QString effectScope;
    // Null on a step's first invocation. When the run resumes at a suspended step: what the
    // tool asked for plus what happened — {"until", "request", "decision": {…} | null}.
    Json resumed;
    // Set by the tool to pause the run; its returned output is then ignored.
    std::optional<ToolSuspension> suspension;
    // Null when nothing can cancel the call. A tool that waits checks it at least every 50 ms,
    // aborts its work (the request, the child process) and returns cancellation->error().
    const Cancellation *cancellation = nullptr;

    bool isCanceled() const { return cancellation && cancellation->isCanceled(); }
};

class Tool
{
public:
    virtual ~Tool() = default;
    virtual QString name() const = 0;
    virtual QString title() const = 0;
    virtual QString description() const = 0;
    virtual Json inputSchema() const = 0;
    virtual Json outputSchema() const = 0;
    // Runs the tool on a rendered input that already conforms to inputSchema(). Errors:
    // InvalidArgument naming the input field ("with.url"), Timeout, Unavailable (the peer
    // could not be reached), PermissionDenied (settings forbid it), or the tool's own.
    virtual Result<Json> invoke(const Json &input, ToolContext &context) const = 0;
};

} // namespace ordinaut
