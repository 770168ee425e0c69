// Formatting: how the desktop shows instants, durations and statuses.
#pragma once

#include "core/Json.h"
#include "core/Run.h"

#include <QColor>
#include <QDateTime>
#include <QString>

namespace ordinaut::ui {

// Local time, "2026-11-24 09:30:05"; "—" for none.
QString localTime(const QDateTime &instant);
// "850 ms", "12.3 s", "4 min 5 s"; empty when either end is missing.
QString duration(const QDateTime &start, const QDateTime &end);
QString statusText(RunStatus status);
QColor statusColor(RunStatus status);
// What an agent did through MCP, from an mcp.tool.called event's payload: "Claude created task
// 'Daily briefing'". Empty for reads and failed calls (nothing changed).
QString agentAction(const Json &payload);

} // namespace ordinaut::ui
