// bench.mark: a timestamp per run, under a lock (workers invoke it concurrently).
#include "MarkTool.h"

namespace ordinaut::bench {

QString MarkTool::title() const
{
    return QStringLiteral("Benchmark mark");
}

QString MarkTool::description() const
{
    return QStringLiteral("Does nothing but note when it started; for the engine benchmark.");
}

Json MarkTool::inputSchema() const
{
    return Json{{"type", "object"}};
}

Json MarkTool::outputSchema() const
{
    return Json{{"type", "object"}};
}

Result<Json> MarkTool::invoke(const Json &, ToolContext &context) const
{
    // Read the clock before taking the lock: the moment measured is the step's start, not the
    // end of a wait for another worker's insert.
    const TimePoint now = std::chrono::steady_clock::now();
    const std::lock_guard lock(m_mutex);
    m_marks.insert(context.runId, now);
    return Json::object();
}

std::optional<MarkTool::TimePoint> MarkTool::markOf(const QString &runId) const
{
    const std::lock_guard lock(m_mutex);
    const auto found = m_marks.constFind(runId);
    if (found == m_marks.constEnd())
        return std::nullopt;
    return *found;
}

} // namespace ordinaut::bench
