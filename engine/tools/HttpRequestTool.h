// http.request: one HTTP call. Input: method, url, headers, body (text, or JSON when an object
// or array), timeout_seconds, max_redirects, max_response_bytes. Output: status, headers, body
// (parsed when the reply is JSON), url.
#pragma once

#include "Tool.h"

namespace ordinaut {

class HttpRequestTool final : public Tool
{
public:
    // Replies larger than this (or the step's max_response_bytes) are refused instead of
    // filling memory.
    static constexpr qint64 kMaxResponseBytes = 16 * 1024 * 1024;
    static constexpr int kDefaultMaxRedirects = 10;

    QString name() const override { return QStringLiteral("http.request"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
