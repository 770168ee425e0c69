// PipelineChecker: static checks before a pipeline is saved, on every surface — every tool
// exists; `with` matches the tool's input schema wherever it is not a template; every `${…}`
// parses and refers to params that exist or to a step that runs earlier; `if` conditions too.
#pragma once

#include "core/Pipeline.h"
#include "core/Result.h"

#include <vector>

namespace ordinaut {

class ToolRegistry;

class PipelineChecker final
{
public:
    explicit PipelineChecker(const ToolRegistry &tools);

    // Every problem, in document order, each with its JSON path under `path`
    // ("payload.pipeline[1].uses"), ready for an editor to underline. Empty when the pipeline
    // is fine.
    std::vector<Diagnostic> diagnose(const Pipeline &pipeline, const QString &path) const;
    // InvalidArgument carrying the first problem as field and message and all of them as
    // diagnostics, e.g. "payload.pipeline[1].uses: unknown tool 'x'".
    Status check(const Pipeline &pipeline, const QString &path) const;

private:
    const ToolRegistry &m_tools;
};

} // namespace ordinaut
