// http.request: one HTTP call. Input: method, url, headers, body (text, or JSON when an object
// or array), timeout_seconds. Output: status, headers, body (parsed when the reply is JSON), url.
#pragma once

#include "Tool.h"

namespace ordinaut {

class HttpRequestTool final : public Tool
{
public:
    // Replies larger than this are refused instead of filling memory.
    static constexpr qint64 kMaxResponseBytes = 16 * 1024 * 1024;

    QString name() const override { return QStringLiteral("http.request"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, const ToolContext &context) const override;
};

} // namespace ordinaut
