// Tool: one capability a pipeline step can use ("http.request"). Tools are stateless and may be
// invoked from several worker threads at once.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

namespace ordinaut {

struct ToolContext
{
    QString runId;
    QString stepId;
    int timeoutMs = 30000; // the step's deadline; a tool stops waiting once it passes
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
    // Runs the tool on an already rendered input. Errors: InvalidArgument naming the input
    // field, Timeout, Unavailable (the peer could not be reached), or the tool's own.
    virtual Result<Json> invoke(const Json &input, const ToolContext &context) const = 0;
};

} // namespace ordinaut
