// StdioEndpoint: one client's conversation over a line stream.
#include "StdioEndpoint.h"

#include "Protocol.h"

#include <QMutexLocker>
#include <QThread>

namespace ordinaut::mcp {

StdioEndpoint::StdioEndpoint(McpServer &server, Agent agent,
                             std::function<void(const QByteArray &)> write)
    : m_server(server)
    , m_agent(std::move(agent))
    , m_write(std::move(write))
{}

StdioEndpoint::~StdioEndpoint()
{
    close();
    // Answers still being made write through this endpoint: they end first (at once when the
    // server stops).
    while (m_pending > 0)
        QThread::msleep(10);
}

void StdioEndpoint::send(const QByteArray &json)
{
    QMutexLocker lock(&m_writing);
    m_write(json);
}

void StdioEndpoint::close()
{
    if (m_session) {
        disconnect(m_session->outbox.get(), nullptr, this, nullptr);
        m_server.endSession(m_session->id, m_agent.id);
        m_session.reset();
    }
    for (const auto &outbox : std::as_const(m_listening)) {
        disconnect(outbox.get(), nullptr, this, nullptr);
        m_server.stopListening(outbox);
    }
    m_listening.clear();
}

void StdioEndpoint::receive(const QByteArray &line)
{
    if (line.trimmed().isEmpty())
        return;
    const bool batches = m_session && allowsBatches(m_session->version);
    std::variant<Incoming, RpcError> read = JsonRpc::read(line, batches);
    if (auto *error = std::get_if<RpcError>(&read)) {
        send(dumpJson(JsonRpc::error(*error)));
        return;
    }
    const Incoming &incoming = std::get<Incoming>(read);
    Json answers = Json::array();
    for (const RpcError &invalid : incoming.invalid)
        answers.push_back(JsonRpc::error(invalid));
    for (const Message &message : incoming.messages) {
        CallContext context;
        context.agent = m_agent;
        context.transport = Transport::Stdio;
        const auto refuse = [&](int code, const QString &text) {
            if (message.kind == Message::Kind::Request)
                answers.push_back(JsonRpc::error(RpcError{code, text, nullptr, message.id}));
        };
        if (isStateless(McpServer::declaredVersion(message))) {
            context.version = kStateless;
            if (message.method == QLatin1String("subscriptions/listen")) {
                // The answer is the stream: an acknowledgement, then its notifications.
                Result<std::shared_ptr<Outbox>> outbox = m_server.listen(
                    message.id, message.params.is_object() ? message.params : Json::object(),
                    context);
                if (!outbox) {
                    refuse(rpc::kInvalidParams, outbox.error().describe());
                    continue;
                }
                // The acknowledgement first, then the stream's notifications.
                send(dumpJson(McpServer::listenAcknowledgement(**outbox)));
                connect(outbox->get(), &Outbox::message, this, &StdioEndpoint::send,
                        Qt::DirectConnection);
                m_listening.append(*outbox);
                m_server.startListening(*outbox);
                continue;
            }
        } else if (message.method == QLatin1String("initialize")) {
            if (m_session) {
                refuse(rpc::kInvalidRequest,
                       QStringLiteral("this connection is initialized already (session %1)")
                           .arg(m_session->id));
                continue;
            }
            context.version = kV20250326;
        } else if (!m_session) {
            refuse(rpc::kInvalidRequest,
                   QStringLiteral("send initialize first (or name %1 in params._meta)")
                       .arg(kStateless));
            continue;
        } else {
            context.session = m_session;
            context.version = m_session->version;
        }
        // A call that may wait long is answered when ready, so the conversation goes on.
        if (!incoming.batch && message.kind == Message::Kind::Request
            && McpServer::mayTakeLong(message.method)) {
            if (!m_server.reserveWait(m_agent.id)) {
                refuse(rpc::kInvalidRequest,
                       QStringLiteral("%1 calls wait already; poll tasks/get instead")
                           .arg(McpServer::kMaxWaitingPerAgent));
                continue;
            }
            ++m_pending;
            m_server.answerLater([this, message, context]() mutable {
                const std::optional<Json> answer = m_server.dispatch(message, context);
                m_server.releaseWait(context.agent.id);
                if (answer)
                    send(dumpJson(*answer));
                --m_pending;
            });
            continue;
        }
        if (std::optional<Json> answer = m_server.dispatch(message, context))
            answers.push_back(std::move(*answer));
        if (!m_session && context.session) {
            m_session = context.session;
            connect(m_session->outbox.get(), &Outbox::message, this, &StdioEndpoint::send,
                    Qt::DirectConnection);
        }
    }
    if (answers.empty())
        return;
    send(dumpJson(incoming.batch ? answers : answers.front()));
}

} // namespace ordinaut::mcp
