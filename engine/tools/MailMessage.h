// MailMessage: one email as the bytes an SMTP server receives after DATA (RFC 5322 headers,
// RFC 2047 encoded words, quoted-printable MIME parts). No network here; email.send delivers it.
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

class QDateTime;

namespace ordinaut {

// A value: fill the members, then compose(). Copyable on purpose, like the draft it is.
struct MailMessage
{
    struct Address
    {
        QString display; // may be empty
        QString mailbox; // the bare addr-spec the envelope uses

        // Reads "name@example.org", "Name <name@example.org>" or "\"Name\" <name@example.org>".
        // Errors: InvalidArgument naming `field` when the text contains a line break (CR, LF or
        // NUL) or when the mailbox is not one '@' between printable ASCII without spaces.
        static Result<Address> parse(const QString &field, const QString &text);
    };

    Address from;
    QList<Address> to, cc;
    QList<Address> bcc; // only in the envelope (recipients()), never in the headers
    std::optional<Address> replyTo;
    QString subject;
    std::optional<QString> text, html; // at least one; both make multipart/alternative

    // Errors: InvalidArgument naming `field` when the subject contains a line break.
    static Status checkSubject(const QString &field, const QString &subject);

    // "<run.step.random@ordinaut>": unique, and tells a reader which run and step sent it.
    static QString newMessageId(const QString &runId, const QString &stepId);

    // Every mailbox of to, cc and bcc once (compared without case), in that order.
    QStringList recipients() const;

    // The whole message with CRLF line ends: Date (`date`, written in UTC), From, To, Cc,
    // Reply-To, Subject, Message-ID, MIME headers and the body. Bcc is left out.
    // Errors: InvalidArgument naming the member ("subject", "to[1]", "bcc[0]", "reply_to",
    // "message_id") when a value contains a line break, or "text" when there is neither text
    // nor html. Members filled by Address::parse and checkSubject never fail here.
    Result<QByteArray> compose(const QString &messageId, const QDateTime &date) const;
};

} // namespace ordinaut
