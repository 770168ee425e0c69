// tst_LlmChatTool: llm.chat against a stub provider on loopback — both wire formats, keys sent in
// headers but never echoed in messages, JSON replies checked against a schema, and the error
// codes that tell a step whether retrying can help.
#include "support/LlmStubServer.h"

#include "core/JsonSchema.h"
#include "secrets/SecretStore.h"
#include "tools/LlmChatTool.h"
#include "tools/ToolEnvironment.h"

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTest>

using namespace ordinaut;
using ordinaut::test::LlmStubScript;
using ordinaut::test::LlmStubServer;

class tst_LlmChatTool final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void inputSchemaRefusesWhatTheExecutorWouldRefuse_data();
    void inputSchemaRefusesWhatTheExecutorWouldRefuse();
    void openAiPromptReturnsTextUsageAndServerModel();
    void openAiSendsSystemFirstOptionsAndBearerKey();
    void anthropicMovesSystemToTopLevelAndSendsKeyHeaders();
    void noStoredKeyMeansNoAuthHeader_data();
    void noStoredKeyMeansNoAuthHeader();
    void baseUrlQueryStaysAfterThePath();
    void openAiJsonSchemaAsksForJsonAndParsesTheReply();
    void anthropicJsonSchemaInstructsAndParsesAFencedReply();
    void replyThatIsNotConformingJsonFails_data();
    void replyThatIsNotConformingJsonFails();
    void badInputIsRefusedBeforeAnyRequest_data();
    void badInputIsRefusedBeforeAnyRequest();
    void noProviderConfiguredSaysWhereToAddOne();
    void httpErrorsMapToCodes_data();
    void httpErrorsMapToCodes();
    void refusedKeyNeverAppearsInTheMessage();
    void refusalWithoutKeySaysWhereToStoreOne();
    void slowServerTimesOutAtTheDeadline_data();
    void slowServerTimesOutAtTheDeadline();
    void unreachableServerIsUnavailable();
    void unreadableReplyIsUnavailable_data();
    void unreadableReplyIsUnavailable();
    void oversizedReplyIsRefused();
    void outputConformsToOutputSchema_data();
    void outputConformsToOutputSchema();

private:
    Result<Json> invoke(const Json &input, int timeoutMs = 10000);
    void storeKey(const char *provider, const QByteArray &key);

    std::unique_ptr<LlmStubServer> m_server;
    std::shared_ptr<MemorySecretStore> m_secrets;
    std::shared_ptr<ToolEnvironment> m_environment;
    std::unique_ptr<LlmChatTool> m_tool;
};

namespace {

// For QVERIFY2: the error of a failed result, or a note that it unexpectedly succeeded.
QByteArray outcome(const Result<Json> &result)
{
    return result ? QByteArrayLiteral("succeeded: ") + dumpJson(*result)
                  : result.error().describe().toUtf8();
}

Json citySchema()
{
    return Json{
        {"type", "object"},
        {"required", {"city", "population"}},
        {"additionalProperties", false},
        {"properties", {{"city", {{"type", "string"}}}, {"population", {{"type", "integer"}}}}}};
}

QByteArray text(const Json &value)
{
    return QByteArray::fromStdString(value.dump());
}

} // namespace

void tst_LlmChatTool::init()
{
    m_server = std::make_unique<LlmStubServer>();
    m_secrets = std::make_shared<MemorySecretStore>();
    m_environment = std::make_shared<ToolEnvironment>();
    const std::string base = m_server->baseUrl().toStdString();
    m_environment->setSettings(
        Json{{"tools.llm.providers",
              {{"openai", {{"api", "openai"}, {"base_url", base}, {"model", "gpt-test"}}},
               {"claude", {{"api", "anthropic"}, {"base_url", base}, {"model", "claude-test"}}},
               {"local", {{"api", "openai"}, {"base_url", base}}}}}});
    m_environment->setSecrets(m_secrets);
    m_tool = std::make_unique<LlmChatTool>(m_environment);
}

void tst_LlmChatTool::cleanup()
{
    m_tool.reset();
    m_server.reset();
}

Result<Json> tst_LlmChatTool::invoke(const Json &input, int timeoutMs)
{
    // Like the Executor: input is checked before the call and output after it, so no test can
    // pass input the engine would refuse, and every success has to conform.
    const Result<JsonSchema> inputSchema = JsonSchema::compile(m_tool->inputSchema());
    const Result<JsonSchema> outputSchema = JsonSchema::compile(m_tool->outputSchema());
    if (!inputSchema || !outputSchema)
        return Error::internal(QStringLiteral("a schema of llm.chat does not compile"));
    if (const auto violations = inputSchema->validate(input); !violations.empty())
        return Error::internal(QStringLiteral("test input breaks the input schema at '%1': %2")
                                   .arg(violations.front().path, violations.front().message));
    ToolContext context;
    context.runId = QStringLiteral("run-1");
    context.taskId = QStringLiteral("task-1");
    context.stepId = QStringLiteral("ask");
    context.timeoutMs = timeoutMs;
    context.now = QDateTime::currentDateTimeUtc();
    Result<Json> output = m_tool->invoke(input, context);
    if (output) {
        if (const auto violations = outputSchema->validate(*output); !violations.empty())
            return Error::internal(QStringLiteral("output breaks the output schema at '%1': %2")
                                       .arg(violations.front().path, violations.front().message));
    }
    return output;
}

void tst_LlmChatTool::storeKey(const char *provider, const QByteArray &key)
{
    const Status written
        = m_secrets->write(QStringLiteral("llm.%1.api_key").arg(QLatin1String(provider)), key);
    QVERIFY(written.ok());
}

void tst_LlmChatTool::inputSchemaRefusesWhatTheExecutorWouldRefuse_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("valid");
    const Json user = Json::array({{{"role", "user"}, {"content", "Hi"}}});
    QTest::newRow("minimal prompt") << text({{"provider", "openai"}, {"prompt", "Hi"}}) << true;
    QTest::newRow("everything") << text({{"provider", "openai"},
                                         {"model", "m"},
                                         {"messages", user},
                                         {"system", "s"},
                                         {"temperature", 2},
                                         {"max_tokens", 200000},
                                         {"json_schema", citySchema()},
                                         {"timeout_seconds", 3600}})
                                << true;
    QTest::newRow("no provider") << text({{"prompt", "Hi"}}) << false;
    QTest::newRow("temperature too high")
        << text({{"provider", "openai"}, {"prompt", "Hi"}, {"temperature", 2.5}}) << false;
    QTest::newRow("max_tokens zero")
        << text({{"provider", "openai"}, {"prompt", "Hi"}, {"max_tokens", 0}}) << false;
    QTest::newRow("timeout zero") << text(
        {{"provider", "openai"}, {"prompt", "Hi"}, {"timeout_seconds", 0}})
                                  << false;
    QTest::newRow("unknown role") << text(
        {{"provider", "openai"}, {"messages", Json::array({{{"role", "tool"}, {"content", "x"}}})}})
                                  << false;
    QTest::newRow("empty messages")
        << text({{"provider", "openai"}, {"messages", Json::array()}}) << false;
    QTest::newRow("unknown field")
        << text({{"provider", "openai"}, {"prompt", "Hi"}, {"stream", true}}) << false;
    QTest::newRow("schema not an object")
        << text({{"provider", "openai"}, {"prompt", "Hi"}, {"json_schema", "city"}}) << false;
}

void tst_LlmChatTool::inputSchemaRefusesWhatTheExecutorWouldRefuse()
{
    QFETCH(QByteArray, input);
    QFETCH(bool, valid);
    const Result<JsonSchema> schema = JsonSchema::compile(m_tool->inputSchema());
    QVERIFY(schema.ok());
    QCOMPARE(schema->validate(Json::parse(input.toStdString())).empty(), valid);
}

void tst_LlmChatTool::openAiPromptReturnsTextUsageAndServerModel()
{
    LlmStubScript script;
    script.text = QStringLiteral("Paris is the capital of France.");
    script.model = QStringLiteral("gpt-test-2025-01-01");
    script.inputTokens = 12;
    script.outputTokens = 5;
    m_server->setScript(script);

    const Result<Json> output = invoke({{"provider", "openai"}, {"prompt", "Capital of France?"}});
    QVERIFY2(output.ok(), outcome(output).constData());
    QVERIFY((*output)["text"] == "Paris is the capital of France.");
    QVERIFY((*output)["model"] == "gpt-test-2025-01-01");
    QVERIFY((*output)["provider"] == "openai");
    QVERIFY((*output)["finish_reason"] == "stop");
    QVERIFY((*output)["usage"] == Json({{"input_tokens", 12}, {"output_tokens", 5}}));
    QVERIFY(!output->contains("json"));

    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), 1);
    QCOMPARE(requests[0].method, QByteArray("POST"));
    QCOMPARE(requests[0].path(), QByteArray("/v1/chat/completions"));
    QVERIFY(requests[0].header("content-type").startsWith("application/json"));
    QVERIFY(!requests[0].hasHeader("authorization"));
    const Json body = requests[0].json();
    QVERIFY(body["model"] == "gpt-test");
    QVERIFY(body["messages"]
            == Json::array({{{"role", "user"}, {"content", "Capital of France?"}}}));
    QVERIFY(!body.contains("temperature"));
    QVERIFY(!body.contains("max_tokens"));
    QVERIFY(!body.contains("response_format"));
}

void tst_LlmChatTool::openAiSendsSystemFirstOptionsAndBearerKey()
{
    storeKey("openai", "sk-test-openai-123");
    const Json conversation = Json::array({{{"role", "user"}, {"content", "Hi"}},
                                           {{"role", "assistant"}, {"content", "Hello!"}},
                                           {{"role", "user"}, {"content", "Weather?"}}});
    const Result<Json> output = invoke({{"provider", "openai"},
                                        {"model", "gpt-other"},
                                        {"system", "Be brief."},
                                        {"messages", conversation},
                                        {"temperature", 0.25},
                                        {"max_tokens", 50}});
    QVERIFY2(output.ok(), outcome(output).constData());
    QVERIFY((*output)["model"] == "gpt-other"); // the stub reports the requested model

    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), 1);
    QCOMPARE(requests[0].header("authorization"), QByteArray("Bearer sk-test-openai-123"));
    QVERIFY(!requests[0].hasHeader("x-api-key"));
    const Json body = requests[0].json();
    QVERIFY(body["model"] == "gpt-other");
    Json expected = Json::array({{{"role", "system"}, {"content", "Be brief."}}});
    expected.insert(expected.end(), conversation.begin(), conversation.end());
    QVERIFY(body["messages"] == expected);
    QVERIFY(body["temperature"] == 0.25);
    QVERIFY(body["max_tokens"] == 50);
}

void tst_LlmChatTool::anthropicMovesSystemToTopLevelAndSendsKeyHeaders()
{
    storeKey("claude", "sk-ant-test-456");
    LlmStubScript script;
    script.text = QStringLiteral("Bonjour !");
    script.finishReason = QStringLiteral("end_turn");
    script.inputTokens = 20;
    script.outputTokens = 3;
    m_server->setScript(script);

    const Result<Json> output
        = invoke({{"provider", "claude"},
                  {"system", "Be brief."},
                  {"messages", Json::array({{{"role", "system"}, {"content", "Answer in French."}},
                                            {{"role", "user"}, {"content", "Hello"}}})}});
    QVERIFY2(output.ok(), outcome(output).constData());
    QVERIFY((*output)["text"] == "Bonjour !");
    QVERIFY((*output)["model"] == "claude-test");
    QVERIFY((*output)["provider"] == "claude");
    QVERIFY((*output)["finish_reason"] == "end_turn");
    QVERIFY((*output)["usage"] == Json({{"input_tokens", 20}, {"output_tokens", 3}}));

    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), 1);
    QCOMPARE(requests[0].path(), QByteArray("/v1/messages"));
    QCOMPARE(requests[0].header("x-api-key"), QByteArray("sk-ant-test-456"));
    QCOMPARE(requests[0].header("anthropic-version"), QByteArray("2023-06-01"));
    QVERIFY(!requests[0].hasHeader("authorization"));
    const Json body = requests[0].json();
    QVERIFY(body["model"] == "claude-test");
    QVERIFY(body["system"] == "Be brief.\n\nAnswer in French.");
    QVERIFY(body["messages"] == Json::array({{{"role", "user"}, {"content", "Hello"}}}));
    QVERIFY(body["max_tokens"] == LlmChatTool::kDefaultAnthropicMaxTokens);
}

void tst_LlmChatTool::noStoredKeyMeansNoAuthHeader_data()
{
    QTest::addColumn<QString>("provider");
    QTest::newRow("openai") << QStringLiteral("openai");
    QTest::newRow("anthropic") << QStringLiteral("claude");
}

void tst_LlmChatTool::noStoredKeyMeansNoAuthHeader()
{
    QFETCH(QString, provider);
    storeKey("another", "sk-of-another-provider");
    const Result<Json> output = invoke({{"provider", provider}, {"prompt", "Hi"}});
    QVERIFY2(output.ok(), outcome(output).constData());
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), 1);
    QVERIFY(!requests[0].hasHeader("authorization"));
    QVERIFY(!requests[0].hasHeader("x-api-key"));
    QCOMPARE(requests[0].hasHeader("anthropic-version"), provider == QLatin1String("claude"));
}

void tst_LlmChatTool::baseUrlQueryStaysAfterThePath()
{
    // Azure OpenAI's deployment URLs carry the API version as a query.
    const QString base
        = QStringLiteral("http://127.0.0.1:%1/v1/?api-version=2024-06-01").arg(m_server->port());
    m_environment->setSettings(
        Json{{"tools.llm.providers",
              {{"azure", {{"api", "openai"}, {"base_url", base}, {"model", "gpt-deployment"}}}}}});
    const Result<Json> output = invoke({{"provider", "azure"}, {"prompt", "Hi"}});
    QVERIFY2(output.ok(), outcome(output).constData());
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), 1);
    QCOMPARE(requests[0].target, QByteArray("/v1/chat/completions?api-version=2024-06-01"));
}

void tst_LlmChatTool::openAiJsonSchemaAsksForJsonAndParsesTheReply()
{
    LlmStubScript script;
    script.text = QString::fromUtf8(text({{"city", "Paris"}, {"population", 2100000}}));
    m_server->setScript(script);

    const Result<Json> output = invoke({{"provider", "openai"},
                                        {"prompt", "Largest French city?"},
                                        {"json_schema", citySchema()}});
    QVERIFY2(output.ok(), outcome(output).constData());
    QVERIFY((*output)["json"] == Json({{"city", "Paris"}, {"population", 2100000}}));
    QVERIFY((*output)["text"] == script.text.toStdString());

    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), 1);
    const Json expected{
        {"type", "json_schema"},
        {"json_schema", {{"name", "output"}, {"schema", citySchema()}, {"strict", true}}}};
    QVERIFY(requests[0].json()["response_format"] == expected);
}

void tst_LlmChatTool::anthropicJsonSchemaInstructsAndParsesAFencedReply()
{
    LlmStubScript script;
    script.text = QStringLiteral("```json\n")
                  + QString::fromUtf8(text({{"city", "Lyon"}, {"population", 520000}}))
                  + QStringLiteral("\n```");
    m_server->setScript(script);

    const Result<Json> output = invoke({{"provider", "claude"},
                                        {"system", "You are a geographer."},
                                        {"prompt", "Second French city?"},
                                        {"max_tokens", 300},
                                        {"json_schema", citySchema()}});
    QVERIFY2(output.ok(), outcome(output).constData());
    QVERIFY((*output)["json"] == Json({{"city", "Lyon"}, {"population", 520000}}));

    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), 1);
    const Json body = requests[0].json();
    const QString system = QString::fromStdString(body["system"].get<std::string>());
    QVERIFY2(system.startsWith(QLatin1String("You are a geographer.\n\n")), qPrintable(system));
    QVERIFY2(system.contains(QLatin1String("only a JSON value")), qPrintable(system));
    QVERIFY2(system.contains(QString::fromUtf8(dumpJson(citySchema()))), qPrintable(system));
    QVERIFY(!body.contains("response_format"));
    QVERIFY(body["max_tokens"] == 300);
}

void tst_LlmChatTool::replyThatIsNotConformingJsonFails_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("reply");
    QTest::addColumn<QString>("fragment");
    const auto row
        = [](const char *name, const char *provider, const QString &reply, const char *fragment) {
              QTest::newRow(name) << QString::fromLatin1(provider) << reply
                                  << QString::fromLatin1(fragment);
          };
    const auto json = [](const Json &value) { return QString::fromUtf8(text(value)); };
    row("prose", "openai", QStringLiteral("The largest city is Paris."), "is not the JSON");
    row("truncated", "claude", QStringLiteral("{\"city\": \"Par"), "is not the JSON");
    row("wrong type", "openai", json({{"city", 5}, {"population", 1}}), "'city': must be a string");
    row("missing property", "claude", json({{"city", "Paris"}}), "'population': is required");
    row("extra property", "openai", json({{"city", "Paris"}, {"population", 1}, {"mayor", "x"}}),
        "'mayor'");
}

void tst_LlmChatTool::replyThatIsNotConformingJsonFails()
{
    QFETCH(QString, provider);
    QFETCH(QString, reply);
    QFETCH(QString, fragment);
    LlmStubScript script;
    script.text = reply;
    m_server->setScript(script);

    const Result<Json> output
        = invoke({{"provider", provider}, {"prompt", "City?"}, {"json_schema", citySchema()}});
    QVERIFY2(!output.ok(), outcome(output).constData());
    QVERIFY(output.error().code == ErrorCode::Unavailable);
    QVERIFY2(output.error().message.contains(QLatin1String("with.json_schema")),
             qPrintable(output.error().message));
    QVERIFY2(output.error().message.contains(fragment), qPrintable(output.error().message));
}

void tst_LlmChatTool::badInputIsRefusedBeforeAnyRequest_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("fragment");
    const Json user = Json::array({{{"role", "user"}, {"content", "Hi"}}});
    QTest::newRow("unknown provider")
        << text({{"provider", "gemini"}, {"prompt", "Hi"}}) << QStringLiteral("with.provider")
        << QStringLiteral("'gemini' is not a configured provider; configured: claude, local, "
                          "openai");
    QTest::newRow("no model anywhere")
        << text({{"provider", "local"}, {"prompt", "Hi"}}) << QStringLiteral("with.model")
        << QStringLiteral("provider 'local' has no default model");
    QTest::newRow("prompt and messages")
        << text({{"provider", "openai"}, {"prompt", "Hi"}, {"messages", user}})
        << QStringLiteral("with.prompt") << QStringLiteral("not both");
    QTest::newRow("neither prompt nor messages")
        << text({{"provider", "openai"}, {"system", "Be brief."}})
        << QStringLiteral("with.messages") << QStringLiteral("with.prompt");
    QTest::newRow("anthropic temperature above 1")
        << text({{"provider", "claude"}, {"prompt", "Hi"}, {"temperature", 1.5}})
        << QStringLiteral("with.temperature") << QStringLiteral("0 to 1");
    QTest::newRow("anthropic with only system messages")
        << text({{"provider", "claude"},
                 {"messages", Json::array({{{"role", "system"}, {"content", "Be brief."}}})}})
        << QStringLiteral("with.messages") << QStringLiteral("at least one user message");
    QTest::newRow("unusable json_schema")
        << text({{"provider", "openai"},
                 {"prompt", "Hi"},
                 {"json_schema", {{"type", "object"}, {"properties", 5}}}})
        << QStringLiteral("with.json_schema") << QStringLiteral("JSON Schema");
}

void tst_LlmChatTool::badInputIsRefusedBeforeAnyRequest()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, field);
    QFETCH(QString, fragment);
    const Result<Json> output = invoke(Json::parse(input.toStdString()));
    QVERIFY2(!output.ok(), outcome(output).constData());
    QVERIFY2(output.error().code == ErrorCode::InvalidArgument, outcome(output).constData());
    QCOMPARE(output.error().field, field);
    QVERIFY2(output.error().message.contains(fragment), qPrintable(output.error().message));
    QVERIFY(m_server->requests().isEmpty());
}

void tst_LlmChatTool::noProviderConfiguredSaysWhereToAddOne()
{
    m_environment->setSettings(Json::object());
    const Result<Json> output = invoke({{"provider", "openai"}, {"prompt", "Hi"}});
    QVERIFY2(!output.ok(), outcome(output).constData());
    QVERIFY(output.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(output.error().field, QStringLiteral("with.provider"));
    QVERIFY2(output.error().message.contains(QLatin1String("configured: none yet")),
             qPrintable(output.error().message));
    QVERIFY2(output.error().message.contains(QLatin1String("tools.llm.providers")),
             qPrintable(output.error().message));
}

void tst_LlmChatTool::httpErrorsMapToCodes_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("fragment");
    const auto row = [](const char *name, const char *provider, int status, const Json &body,
                        ErrorCode code, const char *fragment) {
        QTest::newRow(name) << QString::fromLatin1(provider) << status
                            << (body.is_string()
                                    ? QByteArray::fromStdString(body.get<std::string>())
                                    : text(body))
                            << static_cast<int>(code) << QString::fromLatin1(fragment);
    };
    const auto openAiError = [](const char *message) {
        return Json{{"error", {{"message", message}, {"type", "x"}}}};
    };
    const auto anthropicError = [](const char *type, const char *message) {
        return Json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}};
    };
    row("401", "openai", 401, openAiError("Incorrect API key provided"),
        ErrorCode::PermissionDenied, "refused the API key stored under 'llm.openai.api_key'");
    row("403", "claude", 403, anthropicError("permission_error", "Key lacks permission"),
        ErrorCode::PermissionDenied, "Key lacks permission");
    row("429", "openai", 429, openAiError("Rate limit reached for requests"),
        ErrorCode::Unavailable, "HTTP 429): Rate limit reached for requests");
    row("529 overloaded", "claude", 529, anthropicError("overloaded_error", "Overloaded"),
        ErrorCode::Unavailable, "HTTP 529): Overloaded");
    row("500 plain text", "openai", 500, Json("upstream crashed"), ErrorCode::Unavailable,
        "upstream crashed");
    row("503 ollama style", "openai", 503, Json{{"error", "model is loading"}},
        ErrorCode::Unavailable, "model is loading");
    row("400", "openai", 400, openAiError("max_tokens is too large"), ErrorCode::InvalidArgument,
        "refused the request (HTTP 400): max_tokens is too large");
    row("404 unknown model", "claude", 404, anthropicError("not_found_error", "model: nope"),
        ErrorCode::InvalidArgument, "model: nope");
}

void tst_LlmChatTool::httpErrorsMapToCodes()
{
    QFETCH(QString, provider);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(int, code);
    QFETCH(QString, fragment);
    storeKey("openai", "sk-openai-key");
    storeKey("claude", "sk-claude-key");
    LlmStubScript script;
    script.status = status;
    script.body = body;
    m_server->setScript(script);

    const Result<Json> output = invoke({{"provider", provider}, {"prompt", "Hi"}});
    QVERIFY2(!output.ok(), outcome(output).constData());
    QCOMPARE(static_cast<int>(output.error().code), code);
    QVERIFY2(output.error().message.contains(fragment), qPrintable(output.error().message));
    QCOMPARE(m_server->requests().size(), 1);
}

void tst_LlmChatTool::refusedKeyNeverAppearsInTheMessage()
{
    const QByteArray key = "sk-live-SECRET-987";
    storeKey("openai", key);
    LlmStubScript script;
    script.status = 401;
    // Servers may quote the key they refused.
    script.body
        = text({{"error", {{"message", "Incorrect API key provided: " + key.toStdString()}}}});
    m_server->setScript(script);

    const Result<Json> output = invoke({{"provider", "openai"}, {"prompt", "Hi"}});
    QVERIFY2(!output.ok(), outcome(output).constData());
    QVERIFY(output.error().code == ErrorCode::PermissionDenied);
    const QString described = output.error().describe();
    QVERIFY2(!described.contains(QString::fromLatin1(key)), qPrintable(described));
    QVERIFY2(!described.contains(QLatin1String("SECRET")), qPrintable(described));
    QVERIFY2(described.contains(QLatin1String("Incorrect API key provided")),
             qPrintable(described));
    QCOMPARE(m_server->requests().value(0).header("authorization"), QByteArray("Bearer " + key));
}

void tst_LlmChatTool::refusalWithoutKeySaysWhereToStoreOne()
{
    LlmStubScript script;
    script.status = 401;
    script.body = text({{"error", {{"message", "You didn't provide an API key."}}}});
    m_server->setScript(script);

    const Result<Json> output = invoke({{"provider", "openai"}, {"prompt", "Hi"}});
    QVERIFY2(!output.ok(), outcome(output).constData());
    QVERIFY(output.error().code == ErrorCode::PermissionDenied);
    QVERIFY2(output.error().message.contains(QLatin1String("no API key is stored")),
             qPrintable(output.error().message));
    QVERIFY2(output.error().message.contains(QLatin1String("'llm.openai.api_key'")),
             qPrintable(output.error().message));
}

void tst_LlmChatTool::slowServerTimesOutAtTheDeadline_data()
{
    QTest::addColumn<double>("timeoutSeconds"); // 0: not given
    QTest::addColumn<int>("stepTimeoutMs");
    QTest::newRow("timeout_seconds") << 0.5 << 30000;
    QTest::newRow("step deadline") << 0.0 << 500;
    QTest::newRow("smaller of both") << 30.0 << 500;
}

void tst_LlmChatTool::slowServerTimesOutAtTheDeadline()
{
    QFETCH(double, timeoutSeconds);
    QFETCH(int, stepTimeoutMs);
    LlmStubScript script;
    script.delayMs = 10000;
    m_server->setScript(script);
    Json input{{"provider", "openai"}, {"prompt", "Hi"}};
    if (timeoutSeconds > 0)
        input["timeout_seconds"] = timeoutSeconds;

    QElapsedTimer elapsed;
    elapsed.start();
    const Result<Json> output = invoke(input, stepTimeoutMs);
    const qint64 elapsedMs = elapsed.elapsed();
    QVERIFY2(!output.ok(), outcome(output).constData());
    QVERIFY2(output.error().code == ErrorCode::Timeout, outcome(output).constData());
    QVERIFY2(output.error().message.contains(QLatin1String("within 500 ms")),
             qPrintable(output.error().message));
    QVERIFY2(elapsedMs >= 450 && elapsedMs < 3000, QByteArray::number(elapsedMs).constData());
}

void tst_LlmChatTool::unreachableServerIsUnavailable()
{
    quint16 port = 0;
    {
        QTcpServer probe; // a port that was free a moment ago, and is closed now
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    const QString base = QStringLiteral("http://127.0.0.1:%1/v1").arg(port);
    m_environment->setSettings(
        Json{{"tools.llm.providers",
              {{"gone", {{"api", "openai"}, {"base_url", base}, {"model", "m"}}}}}});

    const Result<Json> output = invoke({{"provider", "gone"}, {"prompt", "Hi"}});
    QVERIFY2(!output.ok(), outcome(output).constData());
    QVERIFY(output.error().code == ErrorCode::Unavailable);
    QVERIFY2(output.error().message.contains(QLatin1String("cannot be reached")),
             qPrintable(output.error().message));
}

void tst_LlmChatTool::unreadableReplyIsUnavailable_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("html") << QStringLiteral("openai")
                          << QByteArray("<html><body>Bad gateway</body></html>")
                          << QStringLiteral("is not a JSON object: '<html><body>Bad gateway");
    QTest::newRow("openai without choices")
        << QStringLiteral("openai") << text({{"object", "list"}, {"data", Json::array()}})
        << QStringLiteral("is not a chat completion");
    QTest::newRow("anthropic without content")
        << QStringLiteral("claude") << text({{"type", "message"}, {"model", "claude-test"}})
        << QStringLiteral("is not a chat completion");
}

void tst_LlmChatTool::unreadableReplyIsUnavailable()
{
    QFETCH(QString, provider);
    QFETCH(QByteArray, body);
    QFETCH(QString, fragment);
    LlmStubScript script;
    script.body = body;
    m_server->setScript(script);

    const Result<Json> output = invoke({{"provider", provider}, {"prompt", "Hi"}});
    QVERIFY2(!output.ok(), outcome(output).constData());
    QVERIFY(output.error().code == ErrorCode::Unavailable);
    QVERIFY2(output.error().message.contains(fragment), qPrintable(output.error().message));
}

void tst_LlmChatTool::oversizedReplyIsRefused()
{
    LlmStubScript script;
    script.body = QByteArray(LlmChatTool::kMaxResponseBytes + 1024, 'x');
    m_server->setScript(script);

    const Result<Json> output = invoke({{"provider", "openai"}, {"prompt", "Hi"}});
    QVERIFY2(!output.ok(), outcome(output).constData());
    QVERIFY(output.error().code == ErrorCode::PayloadTooLarge);
}

void tst_LlmChatTool::outputConformsToOutputSchema_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<bool>("withSchema");
    QTest::addColumn<bool>("finishReason");
    QTest::newRow("openai") << QStringLiteral("openai") << false << true;
    QTest::newRow("openai json") << QStringLiteral("openai") << true << true;
    QTest::newRow("anthropic json") << QStringLiteral("claude") << true << true;
    QTest::newRow("openai no finish reason") << QStringLiteral("openai") << false << false;
    QTest::newRow("anthropic no finish reason") << QStringLiteral("claude") << false << false;
}

void tst_LlmChatTool::outputConformsToOutputSchema()
{
    QFETCH(QString, provider);
    QFETCH(bool, withSchema);
    QFETCH(bool, finishReason);
    LlmStubScript script;
    script.text = QString::fromUtf8(text({{"city", "Nice"}, {"population", 340000}}));
    if (!finishReason)
        script.finishReason = QString();
    m_server->setScript(script);
    Json input{{"provider", provider}, {"prompt", "City?"}};
    if (withSchema)
        input["json_schema"] = citySchema();

    // Called directly so that this test checks the output schema itself, not through invoke().
    ToolContext context;
    const Result<Json> output = m_tool->invoke(input, context);
    QVERIFY2(output.ok(), outcome(output).constData());
    const Result<JsonSchema> schema = JsonSchema::compile(m_tool->outputSchema());
    QVERIFY(schema.ok());
    const auto violations = schema->validate(*output);
    QVERIFY2(violations.empty(),
             qPrintable(violations.empty() ? QString()
                                           : violations.front().path + QStringLiteral(": ")
                                                 + violations.front().message));
    QCOMPARE(output->contains("json"), withSchema);
    QCOMPARE((*output)["finish_reason"].is_null(), !finishReason);
}

QTEST_GUILESS_MAIN(tst_LlmChatTool)
#include "tst_LlmChatTool.moc"
