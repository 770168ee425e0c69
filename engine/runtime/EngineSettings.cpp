// EngineSettings: keys, schemas and defaults.
#include "EngineSettings.h"

#include "core/JsonSchema.h"
#include "store/SettingsStore.h"

#include <QDir>

#include <vector>

namespace ordinaut {

namespace {

const char *const kRunAllCap = "scheduler.run_all_cap";

struct Definition
{
    const char *key;
    const char *description;
    Json defaultValue;
    JsonSchema schema;
};

JsonSchema compiled(const char *schema)
{
    Result<JsonSchema> result = JsonSchema::compile(Json::parse(schema));
    if (!result)
        qFatal("setting schema: %s", qPrintable(result.error().describe()));
    return *result;
}

const std::vector<Definition> &definitions()
{
    static const std::vector<Definition> table = {
        {kRunAllCap,
         "The most runs one task queues at once for occurrences missed under misfire policy "
         "run_all (the latest are kept).",
         10, compiled(R"({"type": "integer", "minimum": 1, "maximum": 1000})")},
        {"api.rate_limit",
         "How many API requests each agent may make: tokens come back at requests_per_second up "
         "to burst, and each request takes one (429 with Retry-After when none is left). "
         "requests_per_second 0 lifts the limit.",
         Json{{"requests_per_second", 50}, {"burst", 500}},
         compiled(R"({"type": "object", "additionalProperties": false,
           "required": ["requests_per_second", "burst"],
           "properties": {"requests_per_second": {"type": "number", "minimum": 0,
                                                  "maximum": 1000000},
                          "burst": {"type": "integer", "minimum": 1, "maximum": 1000000}}})")},
        {"api.agent_budgets",
         "What the tasks each agent creates may use per local day: runs queued (further "
         "occurrences are recorded skipped, run-now answers 429) and language-model tokens "
         "(llm.chat steps fail). 0 is no limit; 'agents' overrides either by agent id.",
         Json{{"runs_per_day", 0}, {"llm_tokens_per_day", 0}, {"agents", Json::object()}},
         compiled(R"({"type": "object", "additionalProperties": false,
           "required": ["runs_per_day", "llm_tokens_per_day", "agents"],
           "properties": {"runs_per_day": {"type": "integer", "minimum": 0},
                          "llm_tokens_per_day": {"type": "integer", "minimum": 0},
                          "agents": {"type": "object", "additionalProperties": {
                            "type": "object", "additionalProperties": false,
                            "properties": {"runs_per_day": {"type": "integer", "minimum": 0},
                                           "llm_tokens_per_day": {"type": "integer",
                                                                  "minimum": 0}}}}}})")},
        {"tools.shell.enabled", "Whether pipelines may run programs with shell.run.", false,
         compiled(R"({"type": "boolean"})")},
        {"tools.shell.allowed_programs",
         "Programs shell.run may start: absolute paths, or names looked up in PATH.", Json::array(),
         compiled(R"({"type": "array", "items": {"type": "string", "minLength": 1}})")},
        {"tools.files.allowed_folders",
         "Absolute folders under which file.read and file.write may work.", Json::array(),
         compiled(R"({"type": "array", "items": {"type": "string", "minLength": 1}})")},
        {"tools.email.smtp",
         "The SMTP server email.send uses. The password is kept in the keychain under "
         "'email.smtp.password', never here.",
         Json{
             {"host", ""}, {"port", 587}, {"security", "starttls"}, {"username", ""}, {"from", ""}},
         compiled(R"({"type": "object", "additionalProperties": false,
           "required": ["host", "port", "security", "username", "from"],
           "properties": {"host": {"type": "string"},
                          "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                          "security": {"enum": ["starttls", "tls", "none"]},
                          "username": {"type": "string"}, "from": {"type": "string"}}})")},
        {"tools.llm.providers",
         "Language-model providers for llm.chat by name. api 'openai' speaks OpenAI-compatible "
         "chat completions (OpenAI, Azure OpenAI, Ollama, llama.cpp, LM Studio), 'anthropic' the "
         "Messages API. A provider's key is kept in the keychain under 'llm.<name>.api_key'.",
         Json{{"ollama",
               {{"api", "openai"},
                {"base_url", "http://localhost:11434/v1"},
                {"model", "llama3.2"}}}},
         compiled(R"({"type": "object", "additionalProperties": {
           "type": "object", "additionalProperties": false, "required": ["api", "base_url"],
           "properties": {"api": {"enum": ["openai", "anthropic"]},
                          "base_url": {"type": "string", "minLength": 1},
                          "model": {"type": "string"}}}})")},
    };
    return table;
}

const Definition *definition(const std::string &key)
{
    for (const Definition &d : definitions())
        if (key == d.key)
            return &d;
    return nullptr;
}

QString knownKeys()
{
    QStringList keys;
    for (const Definition &d : definitions())
        keys << QString::fromLatin1(d.key);
    return keys.join(QStringLiteral(", "));
}

// What a schema cannot say.
Status checkMeaning(const std::string &key, const Json &value)
{
    if (key == "tools.files.allowed_folders") {
        for (size_t i = 0; i < value.size(); ++i)
            if (!QDir::isAbsolutePath(value[i].get<QString>()))
                return Error::invalid(qs(key) + QStringLiteral("[%1]").arg(i),
                                      QStringLiteral("must be an absolute folder, got '%1'")
                                          .arg(value[i].get<QString>()));
    }
    return {};
}

} // namespace

EngineSettings::EngineSettings()
    : m_values(Json::object())
{
    for (const Definition &d : definitions())
        m_values[d.key] = d.defaultValue;
}

Result<EngineSettings> EngineSettings::load(const Database &database)
{
    Result<Json> stored = SettingsStore(database).all();
    if (!stored)
        return stored.error();
    // Keys this version does not know (written by a newer one) are left alone.
    Json known = Json::object();
    for (const auto &[key, value] : stored->items())
        if (definition(key))
            known[key] = value;
    Result<EngineSettings> settings = EngineSettings{}.patched(known);
    if (!settings)
        return Error::internal(
            QStringLiteral("stored setting %1").arg(settings.error().describe()));
    return settings;
}

Result<EngineSettings> EngineSettings::patched(const Json &patch) const
{
    if (!patch.is_object())
        return Error{
            ErrorCode::MalformedInput,
            QStringLiteral("settings must be a JSON object, got %1").arg(jsonTypeName(patch)),
            {}};
    EngineSettings next = *this;
    for (const auto &[key, value] : patch.items()) {
        const Definition *d = definition(key);
        if (!d)
            return Error::invalid(qs(key),
                                  QStringLiteral("is not a setting (known: %1)").arg(knownKeys()));
        const std::vector<SchemaViolation> violations = d->schema.validate(value);
        if (!violations.empty())
            return Error::invalid(JsonSchema::joinPath(qs(key), violations.front().path),
                                  violations.front().message);
        if (Status meaningful = checkMeaning(key, value); !meaningful)
            return meaningful.error();
        next.m_values[key] = value;
    }
    next.runAllCap = next.m_values[kRunAllCap].get<int>();
    return next;
}

Json EngineSettings::catalog()
{
    Json list = Json::array();
    for (const Definition &d : definitions())
        list.push_back(Json{{"key", d.key},
                            {"description", d.description},
                            {"default", d.defaultValue},
                            {"schema", d.schema.document()}});
    return list;
}

} // namespace ordinaut
