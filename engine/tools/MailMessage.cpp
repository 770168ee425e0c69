// MailMessage: addresses are checked strictly enough that no value can end a header line, and
// everything non-ASCII is encoded so the message is 7-bit clean with lines near 78 characters.
#include "MailMessage.h"

#include <QDateTime>
#include <QLocale>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <algorithm>

namespace ordinaut {

namespace {

using Address = MailMessage::Address;

bool hasLineBreak(const QString &text)
{
    return text.contains(QLatin1Char('\r')) || text.contains(QLatin1Char('\n'))
           || text.contains(QChar(0));
}

QByteArray randomHex(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    for (char &c : raw)
        c = static_cast<char>(QRandomGenerator::system()->bounded(256));
    return raw.toHex();
}

// RFC 2047 encoded-words, each short enough to share a line with "Subject: " within 76 characters
// and never splitting a UTF-8 sequence; decoders ignore the folding whitespace between adjacent
// words.
QByteArray encodedWords(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    QList<QByteArray> words;
    for (qsizetype start = 0; start < utf8.size();) {
        qsizetype end = std::min<qsizetype>(start + 39, utf8.size());
        while (end < utf8.size() && (static_cast<uchar>(utf8[end]) & 0xC0) == 0x80)
            --end;
        words << "=?UTF-8?B?" + utf8.mid(start, end - start).toBase64() + "?=";
        start = end;
    }
    return words.join("\r\n ");
}

QByteArray headerText(const QString &text)
{
    static const QRegularExpression plain(QStringLiteral("^[\\t -~]{0,900}$"));
    if (plain.match(text).hasMatch() && !text.contains(QLatin1String("=?")))
        return text.toLatin1();
    return encodedWords(text);
}

// The Subject header's value: plain text folded at spaces so no line passes 78 characters
// where the words allow (RFC 5322 2.1.1); other text as encoded words, which fold themselves.
QByteArray subjectText(const QString &subject)
{
    const QByteArray text = headerText(subject);
    if (text.startsWith("=?UTF-8?"))
        return text;
    constexpr qsizetype kLimit = 78;
    QByteArray folded;
    qsizetype column = 9; // "Subject: "
    const QList<QByteArray> words = text.split(' ');
    for (qsizetype i = 0; i < words.size(); ++i) {
        if (i > 0) {
            if (column + 1 + words[i].size() > kLimit && column > 1) {
                folded += "\r\n";
                column = 0;
            }
            folded += ' ';
            ++column;
        }
        folded += words[i];
        column += words[i].size();
    }
    return folded;
}

QByteArray formatAddress(const Address &address)
{
    if (address.display.isEmpty())
        return address.mailbox.toLatin1();
    static const QRegularExpression atoms(QStringLiteral("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$"));
    QByteArray phrase;
    if (atoms.match(address.display).hasMatch())
        phrase = address.display.toLatin1();
    else if (QRegularExpression(QStringLiteral("^[ -~]+$")).match(address.display).hasMatch())
        phrase = '"' + address.display.toLatin1().replace('\\', "\\\\").replace('"', "\\\"") + '"';
    else
        phrase = encodedWords(address.display);
    return phrase + " <" + address.mailbox.toLatin1() + '>';
}

// "To: a, b" folded between addresses so lines stay near 78 characters.
QByteArray addressHeader(const char *name, const QList<Address> &addresses)
{
    QByteArray header = QByteArray(name) + ": ";
    qsizetype lineStart = 0;
    for (qsizetype i = 0; i < addresses.size(); ++i) {
        const QByteArray item = formatAddress(addresses[i]);
        if (i > 0) {
            header += ',';
            if (header.size() - lineStart + item.size() > 76) {
                header += "\r\n";
                lineStart = header.size();
            }
            header += ' ';
        }
        header += item;
    }
    return header + "\r\n";
}

// Quoted-printable with CRLF line ends: readable for mostly-ASCII text, exact for the rest,
// and never longer than 76 characters a line. Its output never contains "=_", which is why
// the multipart boundary starts with it.
QByteArray quotedPrintable(const QString &text)
{
    QList<QByteArray> lines = text.toUtf8().split('\n');
    if (lines.size() > 1 && lines.last().isEmpty())
        lines.removeLast();
    QByteArray out;
    for (QByteArray line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
        qsizetype column = 0;
        for (qsizetype i = 0; i < line.size(); ++i) {
            const auto c = static_cast<uchar>(line[i]);
            const bool blank = c == ' ' || c == '\t';
            QByteArray piece;
            if ((c >= 33 && c <= 126 && c != '=') || (blank && i + 1 < line.size()))
                piece = QByteArray(1, static_cast<char>(c));
            else
                piece = '=' + QByteArray(1, static_cast<char>(c)).toHex().toUpper();
            if (column + piece.size() > 75) {
                out += "=\r\n";
                column = 0;
            }
            out += piece;
            column += piece.size();
        }
        out += "\r\n";
    }
    return out;
}

QByteArray textPart(const char *subtype, const QString &content)
{
    return QByteArray("Content-Type: text/") + subtype
           + "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           + quotedPrintable(content);
}

QString idPart(const QString &text, const QString &fallback)
{
    QString part = text;
    part.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_-]")), QStringLiteral("-"));
    return part.isEmpty() ? fallback : part;
}

// parse() already refuses line breaks; these guard the members a caller filled in directly.
Status checkAddress(const QString &field, const Address &address)
{
    if (hasLineBreak(address.display) || hasLineBreak(address.mailbox))
        return Error::invalid(field, QStringLiteral("must not contain a line break"));
    return {};
}

Status checkAddresses(const QString &field, const QList<Address> &addresses)
{
    for (qsizetype i = 0; i < addresses.size(); ++i) {
        if (Status checked = checkAddress(field + QStringLiteral("[%1]").arg(i), addresses[i]);
            !checked)
            return checked;
    }
    return {};
}

} // namespace

Result<Address> Address::parse(const QString &field, const QString &text)
{
    // Header injection must be impossible: no value may end a header line.
    if (hasLineBreak(text))
        return Error::invalid(field, QStringLiteral("must not contain a line break"));
    Address address{{}, text.trimmed()};
    const qsizetype open = address.mailbox.lastIndexOf(QLatin1Char('<'));
    if (open >= 0 && address.mailbox.endsWith(QLatin1Char('>'))) {
        address.display = address.mailbox.left(open).trimmed();
        if (address.display.size() >= 2 && address.display.startsWith(QLatin1Char('"'))
            && address.display.endsWith(QLatin1Char('"')))
            address.display = address.display.mid(1, address.display.size() - 2);
        address.mailbox = address.mailbox.mid(open + 1, address.mailbox.size() - open - 2);
    }
    // Deliberately minimal: one '@' with something on both sides, printable ASCII, and none of
    // the characters that would end an address or a header. The server judges the rest.
    static const QRegularExpression mailbox(
        QStringLiteral("^[!#-'*+\\-./0-9=?A-Z^-~]+@[!#-'*+\\-./0-9=?A-Z^-~]+$"));
    if (!mailbox.match(address.mailbox).hasMatch())
        return Error::invalid(field,
                              QStringLiteral("'%1' is not an email address; write "
                                             "name@example.org or Name <name@example.org>, and "
                                             "several recipients as an array")
                                  .arg(text));
    return address;
}

Status MailMessage::checkSubject(const QString &field, const QString &subject)
{
    if (hasLineBreak(subject))
        return Error::invalid(field, QStringLiteral("must be one line; it contains a line break"));
    return {};
}

QString MailMessage::newMessageId(const QString &runId, const QString &stepId)
{
    return QStringLiteral("<%1.%2.%3@ordinaut>")
        .arg(idPart(runId, QStringLiteral("run")), idPart(stepId, QStringLiteral("step")),
             QString::fromLatin1(randomHex(8)));
}

QStringList MailMessage::recipients() const
{
    QStringList envelope;
    for (const QList<Address> *list : {&to, &cc, &bcc}) {
        for (const Address &address : *list) {
            if (!envelope.contains(address.mailbox, Qt::CaseInsensitive))
                envelope << address.mailbox;
        }
    }
    return envelope;
}

Result<QByteArray> MailMessage::compose(const QString &messageId, const QDateTime &date) const
{
    const Status checks[] = {
        checkAddress(QStringLiteral("from"), from),
        checkAddresses(QStringLiteral("to"), to),
        checkAddresses(QStringLiteral("cc"), cc),
        // Not a header, but the envelope's RCPT commands end at a line break just the same.
        checkAddresses(QStringLiteral("bcc"), bcc),
        replyTo ? checkAddress(QStringLiteral("reply_to"), *replyTo) : Status(),
        checkSubject(QStringLiteral("subject"), subject),
    };
    for (const Status &check : checks) {
        if (!check)
            return check.error();
    }
    if (hasLineBreak(messageId))
        return Error::invalid(QStringLiteral("message_id"),
                              QStringLiteral("must not contain a line break"));
    if (!text && !html)
        return Error::invalid(QStringLiteral("text"),
                              QStringLiteral("the message needs a body: text, html or both"));

    // RFC 5322 wants English day and month names whatever the locale.
    QByteArray message
        = "Date: "
          + QLocale::c()
                .toString(date.toUTC(), QStringLiteral("ddd, dd MMM yyyy HH:mm:ss +0000"))
                .toLatin1()
          + "\r\n" + addressHeader("From", {from}) + addressHeader("To", to);
    if (!cc.isEmpty())
        message += addressHeader("Cc", cc);
    if (replyTo)
        message += addressHeader("Reply-To", {*replyTo});
    // Auto-Submitted (RFC 3834) keeps vacation responders from answering an automaton.
    message += "Subject: " + subjectText(subject) + "\r\nMessage-ID: " + messageId.toLatin1()
               + "\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n";
    if (text && html) {
        const QByteArray boundary = "=_ordinaut_" + randomHex(12);
        message += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n--"
                   + boundary + "\r\n" + textPart("plain", *text) + "\r\n--" + boundary + "\r\n"
                   + textPart("html", *html) + "\r\n--" + boundary + "--\r\n";
        return message;
    }
    message += text ? textPart("plain", *text) : textPart("html", *html);
    return message;
}

} // namespace ordinaut
