// PipelineChecker: static checks before a pipeline is saved — every tool exists and every
// `${…}` refers to params that exist or to a step that runs earlier.
#pragma once

#include "core/Pipeline.h"
#include "core/Result.h"

namespace ordinaut {

class ToolRegistry;

class PipelineChecker final
{
public:
    explicit PipelineChecker(const ToolRegistry &tools);

    // InvalidArgument naming the field, e.g. "payload.pipeline[1].uses: unknown tool 'x'".
    Status check(const Pipeline &pipeline, const QString &path) const;

private:
    const ToolRegistry &m_tools;
};

} // namespace ordinaut
