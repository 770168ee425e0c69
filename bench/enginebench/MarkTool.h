// bench.mark: the engine benchmark's no-op step. It does nothing but note the moment it was
// invoked for each run (steady clock), so the benchmark can measure pickup latency.
#pragma once

#include "tools/Tool.h"

#include <QHash>

#include <chrono>
#include <mutex>
#include <optional>

namespace ordinaut::bench {

class MarkTool final : public Tool
{
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    MarkTool() = default;
    Q_DISABLE_COPY_MOVE(MarkTool)

    QString name() const override { return QStringLiteral("bench.mark"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    // Returns {}; never fails.
    Result<Json> invoke(const Json &input, ToolContext &context) const override;

    // When the run's step started; nullopt when it has not (yet). Any thread.
    std::optional<TimePoint> markOf(const QString &runId) const;

private:
    mutable std::mutex m_mutex;
    mutable QHash<QString, TimePoint> m_marks;
};

} // namespace ordinaut::bench
