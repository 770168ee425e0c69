// StdioEndpoint: MCP over a byte stream of newline-delimited JSON-RPC messages (stdio), served
// in process. One client, one conversation: initialize opens its session (a session revision)
// and the rest of the conversation belongs to it; a message carrying the stateless revision in
// its _meta is answered on its own. Notifications for the client (resource updates, run logs)
// are handed to `write` as they happen, from whichever thread announces them.
#pragma once

#include "McpServer.h"

#include <QMutex>

#include <atomic>
#include <functional>

namespace ordinaut::mcp {

class StdioEndpoint final : public QObject
{
    Q_OBJECT
public:
    // `write` takes one JSON text (without the newline); it is called from several threads, one
    // at a time.
    StdioEndpoint(McpServer &server, Agent agent, std::function<void(const QByteArray &)> write);
    ~StdioEndpoint() override;
    Q_DISABLE_COPY_MOVE(StdioEndpoint)

    // Answers one line from the client: the answers are written, nothing is returned. Blank
    // lines are skipped.
    void receive(const QByteArray &line);
    // The agent as it is now (scopes changed, …); on the thread that calls receive().
    void setAgent(Agent agent) { m_agent = std::move(agent); }
    // Ends the session (the client closed its end).
    void close();

private:
    void send(const QByteArray &json);

    McpServer &m_server;
    Agent m_agent;
    std::function<void(const QByteArray &)> m_write;
    QMutex m_writing;
    std::shared_ptr<Session> m_session;
    QList<std::shared_ptr<Outbox>> m_listening;
    std::atomic<int> m_pending{0}; // answers being made off this thread
};

} // namespace ordinaut::mcp
