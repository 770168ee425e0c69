// JsonRpc: message validation by the JSON-RPC 2.0 specification.
#include "JsonRpc.h"

#include "api/RequestReading.h"

namespace ordinaut::mcp {

namespace {

RpcError invalid(const QString &message, const Json &id = nullptr)
{
    return RpcError{rpc::kInvalidRequest, message, Json(), id};
}

bool validId(const Json &id)
{
    return id.is_string() || id.is_number_integer();
}

std::variant<Message, RpcError> readOne(const Json &node)
{
    if (!node.is_object())
        return invalid(
            QStringLiteral("a JSON-RPC message is an object, got %1").arg(jsonTypeName(node)));
    const Json id = node.contains("id") ? node["id"] : Json();
    const Json usableId = validId(id) ? id : Json();
    if (node.value("jsonrpc", Json()) != "2.0")
        return invalid(QStringLiteral("'jsonrpc' must be \"2.0\""), usableId);
    if (node.contains("id") && !validId(id))
        return invalid(QStringLiteral("'id' must be a string or an integer (MCP allows no null "
                                      "id), got %1")
                           .arg(jsonTypeName(id)));
    Message message;
    message.id = usableId;
    if (node.contains("method")) {
        if (!node["method"].is_string() || node["method"].get<std::string>().empty())
            return invalid(QStringLiteral("'method' must be a non-empty string"), usableId);
        if (node.contains("result") || node.contains("error"))
            return invalid(QStringLiteral("a request has no 'result' or 'error'"), usableId);
        message.method = node["method"].get<QString>();
        if (node.contains("params")) {
            if (!node["params"].is_object() && !node["params"].is_array())
                return invalid(QStringLiteral("'params' must be an object or an array, got %1")
                                   .arg(jsonTypeName(node["params"])),
                               usableId);
            message.params = node["params"];
        }
        message.kind = node.contains("id") ? Message::Kind::Request : Message::Kind::Notification;
        for (const auto &[key, value] : node.items())
            if (key != "jsonrpc" && key != "id" && key != "method" && key != "params")
                return invalid(QStringLiteral("'%1' is not a member of a request").arg(qs(key)),
                               usableId);
        return message;
    }
    // A response from the client (to a request the server sent).
    if (!node.contains("id"))
        return invalid(QStringLiteral("a message without 'method' is a response and needs 'id'"));
    if (node.contains("result") == node.contains("error"))
        return invalid(QStringLiteral("a response has either 'result' or 'error'"), usableId);
    message.kind = Message::Kind::Response;
    if (node.contains("result")) {
        message.result = node["result"];
    } else {
        const Json &error = node["error"];
        if (!error.is_object() || !error.contains("code") || !error["code"].is_number_integer()
            || !error.contains("message") || !error["message"].is_string())
            return invalid(QStringLiteral("'error' must be an object with an integer 'code' and "
                                          "a string 'message'"),
                           usableId);
        message.error = RpcError{error["code"].get<int>(), error["message"].get<QString>(),
                                 error.value("data", Json()), usableId};
    }
    return message;
}

} // namespace

std::variant<Incoming, RpcError> JsonRpc::read(const QByteArray &text, bool allowBatch)
{
    if (text.size() > kMaxMessageBytes)
        return invalid(QStringLiteral("the message is %1 bytes; the limit is %2")
                           .arg(text.size())
                           .arg(kMaxMessageBytes));
    if (jsonDepth(text) > kMaxJsonDepth)
        return invalid(
            QStringLiteral("the message is nested deeper than %1 levels").arg(kMaxJsonDepth));
    std::optional<Json> parsed = parseJson(text);
    if (!parsed)
        return RpcError{rpc::kParseError, QStringLiteral("the message is not valid JSON"), Json(),
                        nullptr};
    Incoming incoming;
    if (!parsed->is_array()) {
        std::variant<Message, RpcError> one = readOne(*parsed);
        if (std::holds_alternative<RpcError>(one))
            return std::get<RpcError>(one);
        incoming.messages.push_back(std::move(std::get<Message>(one)));
        return incoming;
    }
    if (!allowBatch)
        return invalid(QStringLiteral("batches are not part of this protocol version; send one "
                                      "message at a time"));
    if (parsed->empty())
        return invalid(QStringLiteral("an empty batch"));
    if (static_cast<int>(parsed->size()) > kMaxBatch)
        return invalid(QStringLiteral("a batch of %1 messages; the limit is %2")
                           .arg(parsed->size())
                           .arg(kMaxBatch));
    incoming.batch = true;
    for (const Json &node : *parsed) {
        std::variant<Message, RpcError> one = readOne(node);
        if (std::holds_alternative<RpcError>(one))
            incoming.invalid.push_back(std::move(std::get<RpcError>(one)));
        else
            incoming.messages.push_back(std::move(std::get<Message>(one)));
    }
    if (incoming.messages.empty())
        return incoming.invalid.front();
    return incoming;
}

Json JsonRpc::result(const Json &id, const Json &result)
{
    return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}};
}

Json JsonRpc::error(const RpcError &error)
{
    Json body{{"code", error.code}, {"message", error.message}};
    if (!error.data.is_null())
        body["data"] = error.data;
    return Json{{"jsonrpc", "2.0"}, {"id", error.id}, {"error", std::move(body)}};
}

Json JsonRpc::notification(const QString &method, const Json &params)
{
    Json message{{"jsonrpc", "2.0"}, {"method", method}};
    if (!params.is_null())
        message["params"] = params;
    return message;
}

} // namespace ordinaut::mcp
