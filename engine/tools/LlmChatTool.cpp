// llm.chat implementation: the provider from the settings and its key from the secret store, the
// two wire formats (OpenAI chat completions, Anthropic Messages), and one POST on the calling
// worker thread with its own event loop, bounded by the step's deadline.
#include "LlmChatTool.h"

#include "CancelWatch.h"

#include "ToolEnvironment.h"
#include "core/JsonSchema.h"
#include "secrets/SecretStore.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <optional>

namespace ordinaut {

namespace {

constexpr int kExcerptChars = 200;

struct Provider
{
    QString name;
    bool anthropic = false; // otherwise OpenAI-compatible
    QUrl baseUrl;
    QString model;
    QByteArray key; // empty: no credential is sent (local servers)
};

struct Request
{
    QUrl url;
    Json body;
    QList<std::pair<QByteArray, QByteArray>> headers;
};

Error failure(ErrorCode code, const QString &message)
{
    return Error{code, message, {}};
}

const Json *member(const Json &object, const char *key)
{
    if (!object.is_object())
        return nullptr;
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

QString stringMember(const Json &object, const char *key)
{
    const Json *value = member(object, key);
    return value && value->is_string() ? qs(value->get<std::string>()) : QString();
}

// Servers that report no usage (some local ones) count as zero rather than failing the step.
qint64 tokenCount(const Json &reply, const char *key)
{
    const Json *usage = member(reply, "usage");
    const Json *value = usage ? member(*usage, key) : nullptr;
    return value && value->is_number_integer() ? std::max<qint64>(0, value->get<qint64>()) : 0;
}

QString excerpt(const QByteArray &data)
{
    QString text = QString::fromUtf8(data.left(kExcerptChars * 4)).simplified();
    if (text.size() > kExcerptChars)
        text = text.left(kExcerptChars) + QStringLiteral("…");
    return text.isEmpty() ? QStringLiteral("(empty)") : QStringLiteral("'%1'").arg(text);
}

// A server may echo the key it refused; it must not reach a run record through our message.
QString redact(QString text, const QByteArray &key)
{
    if (!key.isEmpty())
        text.replace(QString::fromUtf8(key), QStringLiteral("[redacted]"));
    return text;
}

// OpenAI and Anthropic put the reason in error.message; Ollama and llama.cpp in error or
// message.
QString serverMessage(const QByteArray &body)
{
    if (const std::optional<Json> parsed = parseJson(body); parsed && parsed->is_object()) {
        const Json *error = member(*parsed, "error");
        if (error && error->is_string())
            return qs(error->get<std::string>());
        for (const QString &message : {error ? stringMember(*error, "message") : QString(),
                                       stringMember(*parsed, "message")})
            if (!message.isEmpty())
                return message;
    }
    return body.trimmed().isEmpty() ? QString() : excerpt(body);
}

Result<Provider> findProvider(const ToolEnvironment &environment, const QString &name)
{
    const Json providers = environment.setting("tools.llm.providers");
    const Json *entry = member(providers, name.toStdString().c_str());
    if (!entry) {
        QStringList configured;
        for (const auto &item : providers.items()) // none when the setting is null
            configured << qs(item.key());
        configured.sort();
        return Error::invalid(QStringLiteral("with.provider"),
                              QStringLiteral("'%1' is not a configured provider; configured: %2")
                                  .arg(name, configured.isEmpty()
                                                 ? QStringLiteral("none yet (add one to the "
                                                                  "setting tools.llm.providers)")
                                                 : configured.join(QStringLiteral(", "))));
    }
    // Settings are checked against their schema when saved; a URL's shape is what it cannot say.
    Provider provider{name,
                      stringMember(*entry, "api") == QLatin1String("anthropic"),
                      QUrl(stringMember(*entry, "base_url"), QUrl::StrictMode),
                      stringMember(*entry, "model"),
                      {}};
    const QUrl &url = provider.baseUrl;
    if (!url.isValid() || url.host().isEmpty()
        || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
        return Error::invalid(QStringLiteral("with.provider"),
                              QStringLiteral("the base_url '%1' of provider '%2' is not an "
                                             "http(s) URL; correct it in tools.llm.providers")
                                  .arg(stringMember(*entry, "base_url"), name));
    // No secret store yet, or no key in it: fine for local servers; a server that wants one
    // answers 401, and that message says where the key belongs.
    if (const std::shared_ptr<SecretStore> secrets = environment.secrets()) {
        Result<std::optional<QByteArray>> stored
            = secrets->read(QStringLiteral("llm.%1.api_key").arg(name));
        if (!stored)
            return failure(ErrorCode::Unavailable,
                           QStringLiteral("the API key of provider '%1' cannot be read from %2: %3")
                               .arg(name, secrets->describe(), stored.error().message));
        if (*stored)
            provider.key = (*stored)->trimmed();
    }
    return provider;
}

// base_url may carry a query (Azure OpenAI's api-version), which has to stay after the path.
QUrl endpoint(const Provider &provider, const QString &path)
{
    QUrl url = provider.baseUrl;
    QString base = url.path();
    while (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + path);
    return url;
}

QString describe(const Provider &provider, const QUrl &url)
{
    return QStringLiteral("provider '%1' at %2")
        .arg(provider.name, url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery));
}

// The step's messages, or its prompt as one user message, with its system text first.
Json conversation(const Json &input)
{
    Json messages = Json::array();
    if (input.contains("system") && !input["system"].get<std::string>().empty())
        messages.push_back(Json{{"role", "system"}, {"content", input["system"]}});
    if (input.contains("prompt"))
        messages.push_back(Json{{"role", "user"}, {"content", input["prompt"]}});
    else
        for (const Json &message : input["messages"])
            messages.push_back(Json{{"role", message["role"]}, {"content", message["content"]}});
    return messages;
}

Request openAiRequest(const Provider &provider, const QString &model, const Json &input)
{
    Request request{endpoint(provider, QStringLiteral("/chat/completions")),
                    Json{{"model", model}, {"messages", conversation(input)}},
                    {}};
    for (const char *key : {"temperature", "max_tokens"})
        if (input.contains(key))
            request.body[key] = input[key];
    if (input.contains("json_schema"))
        request.body["response_format"]
            = {{"type", "json_schema"},
               {"json_schema",
                {{"name", "output"}, {"schema", input["json_schema"]}, {"strict", true}}}};
    if (!provider.key.isEmpty())
        request.headers.append({"Authorization", QByteArray("Bearer " + provider.key)});
    return request;
}

// The Messages API takes the system text as a top-level field, not as a message, and has no
// JSON mode: the schema becomes an instruction.
Result<Request> anthropicRequest(const Provider &provider, const QString &model, const Json &input)
{
    QStringList system;
    Json turns = Json::array();
    for (const Json &message : conversation(input)) {
        if (message["role"] == "system")
            system << qs(message["content"].get<std::string>());
        else
            turns.push_back(message);
    }
    if (turns.empty())
        return Error::invalid(QStringLiteral("with.messages"),
                              QStringLiteral("Anthropic needs at least one user message besides "
                                             "the system ones"));
    if (input.contains("json_schema"))
        system << QStringLiteral("Answer with only a JSON value that conforms to this JSON "
                                 "Schema, with no other text and no code fence:\n")
                      + QString::fromUtf8(dumpJson(input["json_schema"]));
    Request request{
        endpoint(provider, QStringLiteral("/messages")),
        Json{{"model", model},
             {"max_tokens", input.value("max_tokens", LlmChatTool::kDefaultAnthropicMaxTokens)},
             {"messages", std::move(turns)}},
        {{"anthropic-version", "2023-06-01"}}};
    if (!system.isEmpty())
        request.body["system"] = system.join(QStringLiteral("\n\n"));
    if (input.contains("temperature"))
        request.body["temperature"] = input["temperature"];
    if (!provider.key.isEmpty())
        request.headers.append({"x-api-key", provider.key});
    return request;
}

// The reply in the tool's output shape, whichever API produced it; nullopt when it is not a
// chat completion at all.
std::optional<Json> parseCompletion(const Json &reply, bool anthropic, const QString &model)
{
    QString text;
    const Json *finish = nullptr;
    if (anthropic) {
        const Json *content = member(reply, "content");
        if (!content || !content->is_array())
            return std::nullopt;
        for (const Json &block : *content)
            if (stringMember(block, "type") == QLatin1String("text"))
                text += stringMember(block, "text");
        finish = member(reply, "stop_reason");
    } else {
        const Json *choices = member(reply, "choices");
        const Json *message = choices && choices->is_array() && !choices->empty()
                                  ? member(choices->front(), "message")
                                  : nullptr;
        if (!message)
            return std::nullopt;
        // A refusal comes without content; its wording is the answer the step gets.
        text = stringMember(*message, "content");
        if (text.isEmpty())
            text = stringMember(*message, "refusal");
        finish = member(choices->front(), "finish_reason");
    }
    const QString reported = stringMember(reply, "model");
    return Json{{"text", text},
                {"model", reported.isEmpty() ? model : reported},
                {"finish_reason", finish && finish->is_string() ? *finish : Json()},
                {"usage",
                 {{"input_tokens", tokenCount(reply, anthropic ? "input_tokens" : "prompt_tokens")},
                  {"output_tokens",
                   tokenCount(reply, anthropic ? "output_tokens" : "completion_tokens")}}}};
}

Error statusError(const Provider &provider, const QUrl &url, int status, const QByteArray &body)
{
    const QString where = describe(provider, url);
    const QString code = QString::number(status);
    const QString reason = redact(serverMessage(body), provider.key);
    const QString detail = reason.isEmpty() ? QString() : QStringLiteral(": ") + reason;
    const QString keyName = QStringLiteral("llm.%1.api_key").arg(provider.name);
    if ((status == 401 || status == 403) && provider.key.isEmpty())
        return failure(ErrorCode::PermissionDenied,
                       QStringLiteral("%1 refused the request (HTTP %2) and no API key is stored "
                                      "for it; store one under '%3'%4")
                           .arg(where, code, keyName, detail));
    if (status == 401 || status == 403)
        return failure(ErrorCode::PermissionDenied,
                       QStringLiteral("the provider '%1' refused the API key stored under '%2' "
                                      "(HTTP %3 from %4)%5")
                           .arg(provider.name, keyName, code,
                                url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery),
                                detail));
    // Overload, rate limits and server faults pass; a retry of the step can help.
    if (status == 408 || status == 429 || status >= 500)
        return failure(ErrorCode::Unavailable,
                       QStringLiteral("%1 is unavailable (HTTP %2)%3").arg(where, code, detail));
    if (status >= 300 && status < 400)
        return failure(ErrorCode::Unavailable,
                       QStringLiteral("%1 answered with a redirect (HTTP %2); set its base_url to "
                                      "the final address")
                           .arg(where, code));
    // Any other refusal is about the request itself (unknown model, too many tokens, …).
    return failure(ErrorCode::InvalidArgument,
                   QStringLiteral("%1 refused the request (HTTP %2)%3").arg(where, code, detail));
}

// One POST with its own manager and event loop. Returns the parsed JSON body of a 2xx reply.
Result<Json> post(const Provider &provider, const Request &call, int timeoutMs,
                  const ToolContext &context)
{
    const QString where = describe(provider, call.url);
    QNetworkRequest request(call.url);
    // An API endpoint does not redirect; following one could carry the key to another host.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto &[name, value] : call.headers)
        request.setRawHeader(name, value);

    QNetworkAccessManager manager;
    std::unique_ptr<QNetworkReply> reply(manager.post(request, dumpJson(call.body)));
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    bool timedOut = false;
    bool tooLarge = false;
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        reply->abort();
    });
    QObject::connect(reply.get(), &QNetworkReply::downloadProgress, &loop,
                     [&](qint64 received, qint64) {
                         if (received > LlmChatTool::kMaxResponseBytes) {
                             tooLarge = true;
                             reply->abort();
                         }
                     });
    const CancelWatch cancel(context, [&reply] { reply->abort(); });
    deadline.start(std::max(timeoutMs, 0));
    if (!reply->isFinished())
        loop.exec();

    if (cancel.fired())
        return context.cancellation->error();
    if (timedOut)
        return failure(ErrorCode::Timeout, QStringLiteral("%1 gave no complete reply within %2 ms")
                                               .arg(where, QString::number(timeoutMs)));
    if (tooLarge)
        return failure(ErrorCode::PayloadTooLarge,
                       QStringLiteral("the reply of %1 is larger than %2 bytes")
                           .arg(where, QString::number(LlmChatTool::kMaxResponseBytes)));
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid())
        return failure(ErrorCode::Unavailable,
                       QStringLiteral("%1 cannot be reached: %2")
                           .arg(where, redact(reply->errorString(), provider.key)));
    const QByteArray data = reply->readAll();
    if (status.toInt() < 200 || status.toInt() >= 300)
        return statusError(provider, call.url, status.toInt(), data);
    std::optional<Json> parsed = parseJson(data);
    if (!parsed || !parsed->is_object())
        return failure(ErrorCode::Unavailable,
                       QStringLiteral("the reply of %1 is not a JSON object: %2")
                           .arg(where, redact(excerpt(data), provider.key)));
    return std::move(*parsed);
}

// Models often wrap JSON in a Markdown code fence even when told not to; the fence is not part
// of the answer.
QByteArray withoutCodeFence(const QString &text)
{
    const QString trimmed = text.trimmed();
    const qsizetype firstLineEnd = trimmed.indexOf(u'\n');
    if (!trimmed.startsWith(QLatin1String("```")) || !trimmed.endsWith(QLatin1String("```"))
        || firstLineEnd < 0 || firstLineEnd > trimmed.size() - 3)
        return trimmed.toUtf8();
    return trimmed.mid(firstLineEnd + 1, trimmed.size() - 3 - (firstLineEnd + 1)).toUtf8();
}

// Unavailable rather than InvalidArgument: the step's input was fine, and models are not
// deterministic, so another attempt may well conform.
Result<Json> structuredReply(const QString &text, const JsonSchema &schema, const QString &where)
{
    std::optional<Json> value = parseJson(withoutCodeFence(text));
    if (!value)
        return failure(ErrorCode::Unavailable,
                       QStringLiteral("the reply of %1 is not the JSON that with.json_schema asks "
                                      "for: %2")
                           .arg(where, excerpt(text.toUtf8())));
    if (const auto violations = schema.validate(*value); !violations.empty()) {
        const SchemaViolation &first = violations.front();
        return failure(ErrorCode::Unavailable,
                       QStringLiteral("the JSON reply of %1 breaks with.json_schema at %2: %3")
                           .arg(where,
                                first.path.isEmpty() ? QStringLiteral("the top level")
                                                     : QStringLiteral("'%1'").arg(first.path),
                                first.message));
    }
    return std::move(*value);
}

} // namespace

QString LlmChatTool::title() const
{
    return QStringLiteral("Ask a language model");
}

QString LlmChatTool::description() const
{
    return QStringLiteral(
        "Sends a prompt or a conversation to a language model and returns its reply, the model "
        "that answered and the tokens used. Providers are configured in the setting "
        "tools.llm.providers: OpenAI-compatible servers (OpenAI; Azure OpenAI with base_url set "
        "to the deployment URL; Ollama, llama.cpp, LM Studio) or Anthropic. A provider's API key "
        "is read from the keychain under llm.<provider>.api_key; local servers need none. With "
        "json_schema the model is asked for JSON that conforms to it, and the parsed reply is "
        "returned in json (OpenAI's strict mode wants every property required and "
        "additionalProperties false).");
}

Json LlmChatTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["provider"], "additionalProperties": false,
      "properties": {
        "provider": {"type": "string", "minLength": 1,
                     "description": "name of a provider in the setting tools.llm.providers"},
        "model": {"type": "string", "minLength": 1, "description": "defaults to the provider's"},
        "messages": {"type": "array", "minItems": 1, "description": "instead of prompt",
          "items": {"type": "object", "required": ["role", "content"],
                    "additionalProperties": false,
                    "properties": {"role": {"enum": ["system", "user", "assistant"]},
                                   "content": {"type": "string"}}}},
        "prompt": {"type": "string", "description": "one user message, instead of messages"},
        "system": {"type": "string", "description": "instructions ahead of the conversation"},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "max_tokens": {"type": "integer", "minimum": 1, "maximum": 200000},
        "json_schema": {"type": "object",
                        "description": "JSON Schema the reply must conform to; parsed into json"},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600}
      }})");
}

Json LlmChatTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "additionalProperties": false,
      "required": ["text", "model", "provider", "finish_reason", "usage"],
      "properties": {
        "text": {"type": "string"}, "json": {}, "model": {"type": "string"},
        "provider": {"type": "string"}, "finish_reason": {"type": ["string", "null"]},
        "usage": {"type": "object", "required": ["input_tokens", "output_tokens"],
                  "properties": {"input_tokens": {"type": "integer", "minimum": 0},
                                 "output_tokens": {"type": "integer", "minimum": 0}}}}})");
}

Result<Json> LlmChatTool::invoke(const Json &input, ToolContext &context) const
{
    // The input already conforms to inputSchema(); what a schema cannot say is checked here.
    const bool hasMessages = input.contains("messages");
    if (hasMessages == input.contains("prompt"))
        return hasMessages ? Error::invalid(QStringLiteral("with.prompt"),
                                            QStringLiteral("give with.messages or with.prompt, "
                                                           "not both"))
                           : Error::invalid(QStringLiteral("with.messages"),
                                            QStringLiteral("give with.messages (a conversation) "
                                                           "or with.prompt (one user message)"));
    Result<Provider> provider = findProvider(environment(), input["provider"].get<QString>());
    if (!provider)
        return provider.error();
    if (Status admitted = environment().admitLlm(context.taskId); !admitted)
        return admitted.error();
    const QString model = input.contains("model") ? input["model"].get<QString>() : provider->model;
    if (model.isEmpty())
        return Error::invalid(QStringLiteral("with.model"),
                              QStringLiteral("provider '%1' has no default model; name one in "
                                             "with.model or in tools.llm.providers")
                                  .arg(provider->name));
    std::optional<JsonSchema> schema;
    if (input.contains("json_schema")) {
        Result<JsonSchema> compiled = JsonSchema::compile(input["json_schema"]);
        if (!compiled)
            return Error::invalid(QStringLiteral("with.json_schema"), compiled.error().message);
        schema.emplace(std::move(*compiled));
    }
    if (provider->anthropic && input.value("temperature", 0.0) > 1.0)
        return Error::invalid(QStringLiteral("with.temperature"),
                              QStringLiteral("Anthropic accepts a temperature from 0 to 1"));
    int timeoutMs = context.timeoutMs;
    if (input.contains("timeout_seconds"))
        timeoutMs
            = std::min(timeoutMs, static_cast<int>(input["timeout_seconds"].get<double>() * 1000));

    Result<Request> request = provider->anthropic ? anthropicRequest(*provider, model, input)
                                                  : openAiRequest(*provider, model, input);
    if (!request)
        return request.error();
    Result<Json> reply = post(*provider, *request, timeoutMs, context);
    if (!reply)
        return reply.error();
    const QString where = describe(*provider, request->url);
    std::optional<Json> output = parseCompletion(*reply, provider->anthropic, model);
    if (!output)
        return failure(ErrorCode::Unavailable,
                       QStringLiteral("the reply of %1 is not a chat completion: %2")
                           .arg(where, redact(excerpt(dumpJson(*reply)), provider->key)));
    (*output)["provider"] = provider->name;
    if (schema) {
        Result<Json> structured = structuredReply((*output)["text"].get<QString>(), *schema, where);
        if (!structured)
            return structured.error();
        (*output)["json"] = std::move(*structured);
    }
    return std::move(*output);
}

} // namespace ordinaut
