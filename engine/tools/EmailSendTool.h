// email.send: one email through the SMTP server in the setting "tools.email.smtp" (its password
// in the secret store under "email.smtp.password"). Input: to, cc, bcc, subject, text and/or html,
// reply_to, timeout_seconds. Output: message_id, accepted, server, sent_at. At most once per step.
#pragma once

#include "EnvironmentTool.h"

#include <memory>

namespace ordinaut {

class EmailSendTool final : public EnvironmentTool
{
public:
    // Where the SMTP password is kept; never in the settings.
    static QString passwordKey() { return QStringLiteral("email.smtp.password"); }

    using EnvironmentTool::EnvironmentTool;
    Q_DISABLE_COPY_MOVE(EmailSendTool)

    QString name() const override { return QStringLiteral("email.send"); }
    QString title() const override;
    QString description() const override;
    Json inputSchema() const override;
    Json outputSchema() const override;
    // Sends the message, or returns the result recorded when this run's step already sent it.
    // Errors: InvalidArgument naming the field (a bad address, a line break in a header, no
    // body) or when the server refuses the message for good (5xx); PermissionDenied when
    // "tools.email.smtp" is not set up or the server refuses the login; Unavailable when the
    // server cannot be reached or refuses for now (4xx); Timeout; Conflict when an earlier
    // attempt of this step may have sent the mail (it is not sent twice).
    Result<Json> invoke(const Json &input, ToolContext &context) const override;
};

} // namespace ordinaut
