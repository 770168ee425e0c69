// llm.chat: one chat completion from a language-model provider named in the setting
// "tools.llm.providers" (OpenAI-compatible chat completions or the Anthropic Messages API),
// optionally constrained to JSON that conforms to a given schema.
#pragma once

#include "EnvironmentTool.h"

#include <memory>

namespace ordinaut {

class LlmChatTool final : public EnvironmentTool
{
public:
    // Chat replies are small; anything past this is a misbehaving server, refused rather than
    // held in memory.
    static constexpr qint64 kMaxResponseBytes = 8 * 1024 * 1024;
    // The Messages API requires max_tokens; this is used when the step gives none.
    static constexpr int kDefaultAnthropicMaxTokens = 1024;

    using EnvironmentTool::EnvironmentTool;
    Q_DISABLE_COPY_MOVE(LlmChatTool)

    QString name() const override { return QStringLiteral("llm.chat"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    // Errors: InvalidArgument (with.provider unknown, with.model missing, with.messages /
    // with.prompt both or neither, with.json_schema unusable, or the provider refused the
    // request as malformed), PermissionDenied (HTTP 401/403), Unavailable (connection failed,
    // HTTP 429 or 5xx, an unreadable reply, or a reply that is not JSON matching
    // with.json_schema), Timeout, PayloadTooLarge (reply over kMaxResponseBytes).
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
