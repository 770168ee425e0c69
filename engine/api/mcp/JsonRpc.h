// JsonRpc: JSON-RPC 2.0 messages as MCP carries them — reading one text into requests,
// notifications and responses (a batch only where the protocol version allows one), and writing
// results and errors. Transport-agnostic: Streamable HTTP and stdio both read through here.
#pragma once

#include "core/Json.h"

#include <QByteArray>
#include <QString>

#include <optional>
#include <variant>
#include <vector>

namespace ordinaut::mcp {

// The error codes JSON-RPC 2.0 defines.
namespace rpc {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
} // namespace rpc

struct RpcError
{
    int code = rpc::kInternalError;
    QString message;
    Json data;         // null: none
    Json id = nullptr; // the request's id when it could be read, else null
};

struct Message
{
    enum class Kind { Request, Notification, Response };
    Kind kind = Kind::Request;
    Json id = nullptr;             // requests and responses: a string or an integer
    QString method;                // requests and notifications
    Json params = nullptr;         // requests and notifications: an object (or an array), or null
    Json result = nullptr;         // responses that succeeded
    std::optional<RpcError> error; // responses that failed
};

struct Incoming
{
    std::vector<Message> messages;
    bool batch = false; // the text was an array of messages
    // Members of a batch that are not JSON-RPC messages: each is answered with its error, the
    // others go on (a batch with no valid member is refused as a whole).
    std::vector<RpcError> invalid;
};

class JsonRpc final
{
public:
    // The largest message read; larger ones are refused before parsing.
    static constexpr qsizetype kMaxMessageBytes = 4 * 1024 * 1024;
    static constexpr int kMaxBatch = 100;

    // One text from a client. A parse error (-32700), a message that is not JSON-RPC 2.0
    // (-32600, naming what is wrong and carrying the id when there is one), an oversized text, an
    // empty batch, or a batch where `allowBatch` is false (-32600) are returned as the error.
    static std::variant<Incoming, RpcError> read(const QByteArray &text, bool allowBatch);

    static Json result(const Json &id, const Json &result);
    static Json error(const RpcError &error);
    static Json notification(const QString &method, const Json &params);
};

} // namespace ordinaut::mcp
