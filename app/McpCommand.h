// `ordinaut-server mcp`: MCP on standard input and output, newline-delimited, for clients that
// start their servers as programs (Claude Desktop). The agent is named by ORDINAUT_AGENT_ID and
// ORDINAUT_AGENT_SECRET. When an engine already runs on the data folder (the desktop app, or
// `serve`), messages are forwarded to its /mcp, so the user watches the agent's actions live;
// otherwise this process hosts the engine. Logs go to standard error only.
#pragma once

#include <QString>

namespace ordinaut {

int runMcpStdio(const QString &dataDir);

} // namespace ordinaut
