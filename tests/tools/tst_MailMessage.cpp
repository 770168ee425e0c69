// tst_MailMessage: the bytes email.send hands to the SMTP server, checked without one — encoded
// headers decode back, lines stay short, quoted-printable round-trips, Bcc stays out, and every
// refusal names its field.
#include "tools/MailMessage.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QTest>

using namespace ordinaut;

Q_DECLARE_METATYPE(ordinaut::MailMessage)

class tst_MailMessage final : public QObject
{
    Q_OBJECT

private slots:
    void addressParses_data();
    void addressParses();
    void malformedAddressNamesTheField_data();
    void malformedAddressNamesTheField();
    void lineBreakInAddressNamesTheField_data();
    void lineBreakInAddressNamesTheField();
    void lineBreakInSubjectNamesTheField_data();
    void lineBreakInSubjectNamesTheField();
    void composeRefusalNamesTheMember_data();
    void composeRefusalNamesTheMember();
    void headersComeInOrderWithDateAndMessageId();
    void messageIdNamesRunAndStep_data();
    void messageIdNamesRunAndStep();
    void subjectDecodesToTheOriginal_data();
    void subjectDecodesToTheOriginal();
    void displayNameDecodesToTheOriginal_data();
    void displayNameDecodesToTheOriginal();
    void headerLinesStayWithin78Characters_data();
    void headerLinesStayWithin78Characters();
    void quotedPrintableRoundTrips_data();
    void quotedPrintableRoundTrips();
    void bodiesChooseTheContentType_data();
    void bodiesChooseTheContentType();
    void bccIsNeverInTheHeaders();
};

namespace {

const QString kMessageId = QStringLiteral("<run-1.step-1.0123456789abcdef@ordinaut>");

MailMessage::Address address(const char *text)
{
    Result<MailMessage::Address> parsed
        = MailMessage::Address::parse(QStringLiteral("test"), QString::fromUtf8(text));
    if (!parsed)
        qFatal("bad test address %s: %s", text, qPrintable(parsed.error().describe()));
    return *parsed;
}

MailMessage simpleMessage()
{
    MailMessage message;
    message.from = address("Ordinaut Bot <bot@example.org>");
    message.to = {address("alice@example.org")};
    message.subject = QStringLiteral("Hello");
    message.text = QStringLiteral("Hi Alice\n");
    return message;
}

QByteArray compose(const MailMessage &message)
{
    const QDateTime date(QDate(2024, 3, 5), QTime(14, 7, 9), Qt::UTC);
    Result<QByteArray> composed = message.compose(kMessageId, date);
    if (!composed)
        qFatal("compose failed: %s", qPrintable(composed.error().describe()));
    return *composed;
}

QByteArray headerBlock(const QByteArray &message)
{
    return message.left(message.indexOf("\r\n\r\n") + 2);
}

QByteArray bodyOf(const QByteArray &part)
{
    return part.mid(part.indexOf("\r\n\r\n") + 4);
}

// Header fields of a header block, unfolded (RFC 5322 2.2.3: a CRLF before white space goes).
QList<QByteArray> unfoldedHeaders(const QByteArray &block)
{
    QList<QByteArray> fields;
    for (const QByteArray &line : block.split('\n')) {
        if (line.isEmpty())
            continue;
        const QByteArray content = line.endsWith('\r') ? line.chopped(1) : line;
        if (!fields.isEmpty() && (content.startsWith(' ') || content.startsWith('\t')))
            fields.last() += content;
        else
            fields << content;
    }
    return fields;
}

// The unfolded value of the first header `name`, or a null QByteArray.
QByteArray headerValue(const QByteArray &message, const QByteArray &name)
{
    for (const QByteArray &field : unfoldedHeaders(headerBlock(message))) {
        if (field.startsWith(QByteArray(name + ": ")))
            return field.mid(name.size() + 2);
    }
    return {};
}

// RFC 2047 for the "B" encoding of UTF-8, which is all MailMessage writes; white space between
// adjacent encoded words is dropped, as decoders must.
QString decodeWords(const QByteArray &value)
{
    static const QRegularExpression word(QStringLiteral("=\\?UTF-8\\?B\\?([A-Za-z0-9+/=]*)\\?="));
    const QString text = QString::fromLatin1(value);
    QByteArray decoded;
    qsizetype last = 0;
    bool afterWord = false;
    for (QRegularExpressionMatchIterator it = word.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch match = it.next();
        const QString between = text.mid(last, match.capturedStart() - last);
        if (!afterWord || !between.trimmed().isEmpty())
            decoded += between.toLatin1();
        decoded += QByteArray::fromBase64(match.captured(1).toLatin1());
        last = match.capturedEnd();
        afterWord = true;
    }
    decoded += text.mid(last).toLatin1();
    return QString::fromUtf8(decoded);
}

// The display name of "phrase <mailbox>": a quoted string, encoded words or plain atoms.
QString decodeDisplayName(const QByteArray &value)
{
    QByteArray phrase = value.left(value.lastIndexOf(" <"));
    if (phrase.startsWith('"') && phrase.endsWith('"')) {
        QByteArray unquoted;
        for (qsizetype i = 1; i + 1 < phrase.size(); ++i) {
            if (phrase[i] == '\\')
                ++i;
            unquoted += phrase[i];
        }
        return QString::fromLatin1(unquoted);
    }
    return decodeWords(phrase);
}

QByteArray decodeQuotedPrintable(const QByteArray &encoded)
{
    QByteArray decoded;
    for (qsizetype i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '=') {
            decoded += encoded[i];
        } else if (encoded.mid(i + 1, 2) == "\r\n") {
            i += 2; // a soft line break
        } else {
            decoded += QByteArray::fromHex(encoded.mid(i + 1, 2));
            i += 2;
        }
    }
    return decoded;
}

// What a quoted-printable body stands for: the text with CRLF line ends and a final line end.
QByteArray asCrlfLines(const QString &text)
{
    QByteArray utf8 = text.toUtf8().replace("\r\n", "\n");
    if (!utf8.endsWith('\n'))
        utf8 += '\n';
    return utf8.replace("\n", "\r\n");
}

qsizetype longestLine(const QByteArray &bytes)
{
    qsizetype longest = 0;
    for (const QByteArray &line : bytes.split('\n'))
        longest = std::max(longest, line.endsWith('\r') ? line.size() - 1 : line.size());
    return longest;
}

bool onlyCrlfLineEnds(const QByteArray &bytes)
{
    return bytes.count('\n') == bytes.count("\r\n") && bytes.count('\r') == bytes.count("\r\n");
}

} // namespace

void tst_MailMessage::addressParses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("display");
    QTest::addColumn<QString>("mailbox");
    QTest::newRow("bare") << QStringLiteral("alice@example.org") << QString()
                          << QStringLiteral("alice@example.org");
    QTest::newRow("name") << QStringLiteral("Alice Liddell <alice@example.org>")
                          << QStringLiteral("Alice Liddell") << QStringLiteral("alice@example.org");
    QTest::newRow("quoted name") << QStringLiteral("\"Liddell, Alice\" <alice@example.org>")
                                 << QStringLiteral("Liddell, Alice")
                                 << QStringLiteral("alice@example.org");
    QTest::newRow("non-ASCII name, padded")
        << QStringLiteral("  Zoë Müller <zoe@example.org>  ") << QStringLiteral("Zoë Müller")
        << QStringLiteral("zoe@example.org");
    QTest::newRow("plus and subdomain") << QStringLiteral("<a.b+tag@mail.example.org>") << QString()
                                        << QStringLiteral("a.b+tag@mail.example.org");
}

void tst_MailMessage::addressParses()
{
    QFETCH(QString, text);
    QFETCH(QString, display);
    QFETCH(QString, mailbox);
    Result<MailMessage::Address> parsed
        = MailMessage::Address::parse(QStringLiteral("with.to"), text);
    QVERIFY(parsed);
    QCOMPARE(parsed->display, display);
    QCOMPARE(parsed->mailbox, mailbox);
}

void tst_MailMessage::malformedAddressNamesTheField_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("text");
    QTest::newRow("no at sign") << QStringLiteral("with.to") << QStringLiteral("alice.example.org");
    QTest::newRow("two at signs") << QStringLiteral("with.cc[2]")
                                  << QStringLiteral("a@b@example.org");
    QTest::newRow("non-ASCII local part")
        << QStringLiteral("with.bcc") << QStringLiteral("zoë@example.org");
    QTest::newRow("non-ASCII domain")
        << QStringLiteral("with.reply_to") << QStringLiteral("Zoë <zoe@exämple.org>");
    QTest::newRow("empty local part")
        << QStringLiteral("with.to") << QStringLiteral("@example.org");
    QTest::newRow("empty domain") << QStringLiteral("with.to") << QStringLiteral("alice@");
    QTest::newRow("space") << QStringLiteral("with.to") << QStringLiteral("al ice@example.org");
    QTest::newRow("comma list") << QStringLiteral("with.to")
                                << QStringLiteral("a@example.org, b@example.org");
    QTest::newRow("name without address")
        << QStringLiteral("tools.email.smtp.from") << QStringLiteral("Name <broken>");
    QTest::newRow("empty") << QStringLiteral("with.to") << QString();
}

void tst_MailMessage::malformedAddressNamesTheField()
{
    QFETCH(QString, field);
    QFETCH(QString, text);
    Result<MailMessage::Address> parsed = MailMessage::Address::parse(field, text);
    QVERIFY(!parsed);
    QVERIFY(parsed.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(parsed.error().field, field);
    // The person sees what they wrote and what would be right.
    QVERIFY2(parsed.error().message.contains(QLatin1Char('\'') + text + QLatin1Char('\'')),
             qPrintable(parsed.error().message));
    QVERIFY(parsed.error().message.contains(QLatin1String("name@example.org")));
}

void tst_MailMessage::lineBreakInAddressNamesTheField_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("text");
    QTest::newRow("CRLF after address")
        << QStringLiteral("with.to") << QStringLiteral("a@example.org\r\nBcc: evil@example.org");
    QTest::newRow("LF in name") << QStringLiteral("with.cc[1]")
                                << QStringLiteral("Name\n <b@example.org>");
    QTest::newRow("CR in address")
        << QStringLiteral("with.bcc") << QStringLiteral("b@exa\rmple.org");
    QTest::newRow("NUL") << QStringLiteral("with.reply_to")
                         << (QStringLiteral("r@example.org") + QChar(0));
    QTest::newRow("CRLF in from") << QStringLiteral("tools.email.smtp.from")
                                  << QStringLiteral("Bot\r\n <bot@example.org>");
}

void tst_MailMessage::lineBreakInAddressNamesTheField()
{
    QFETCH(QString, field);
    QFETCH(QString, text);
    Result<MailMessage::Address> parsed = MailMessage::Address::parse(field, text);
    QVERIFY(!parsed);
    QVERIFY(parsed.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(parsed.error().field, field);
    QVERIFY2(parsed.error().message.contains(QLatin1String("line break")),
             qPrintable(parsed.error().message));
}

void tst_MailMessage::lineBreakInSubjectNamesTheField_data()
{
    QTest::addColumn<QString>("subject");
    QTest::newRow("CRLF") << QStringLiteral("Hi\r\nBcc: evil@example.org");
    QTest::newRow("LF") << QStringLiteral("Hi\nX-Evil: 1");
    QTest::newRow("CR") << QStringLiteral("Hi\rX-Evil: 1");
    QTest::newRow("trailing LF") << QStringLiteral("Grüße\n");
}

void tst_MailMessage::lineBreakInSubjectNamesTheField()
{
    QFETCH(QString, subject);
    Status checked = MailMessage::checkSubject(QStringLiteral("with.subject"), subject);
    QVERIFY(!checked);
    QVERIFY(checked.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(checked.error().field, QStringLiteral("with.subject"));
    QVERIFY(checked.error().message.contains(QLatin1String("line break")));
    QVERIFY(MailMessage::checkSubject(QStringLiteral("with.subject"), QStringLiteral("Grüße")));
}

void tst_MailMessage::composeRefusalNamesTheMember_data()
{
    // Members set directly, bypassing parse(): compose() must still refuse to write them.
    QTest::addColumn<MailMessage>("message");
    QTest::addColumn<QString>("messageId");
    QTest::addColumn<QString>("field");
    const MailMessage::Address injected{QString(),
                                        QStringLiteral("x@example.org\r\nBcc: evil@example.org")};
    MailMessage message = simpleMessage();
    message.subject = QStringLiteral("Hi\r\nBcc: evil@example.org");
    QTest::newRow("subject") << message << kMessageId << QStringLiteral("subject");
    message = simpleMessage();
    message.from.display = QStringLiteral("Bot\nX-Evil: 1");
    QTest::newRow("from display") << message << kMessageId << QStringLiteral("from");
    message = simpleMessage();
    message.to << injected;
    QTest::newRow("second to mailbox") << message << kMessageId << QStringLiteral("to[1]");
    message = simpleMessage();
    message.cc = {MailMessage::Address{QStringLiteral("C\rC"), QStringLiteral("c@example.org")}};
    QTest::newRow("cc display") << message << kMessageId << QStringLiteral("cc[0]");
    message = simpleMessage();
    message.bcc = {injected};
    QTest::newRow("bcc mailbox") << message << kMessageId << QStringLiteral("bcc[0]");
    message = simpleMessage();
    message.replyTo = injected;
    QTest::newRow("reply_to mailbox") << message << kMessageId << QStringLiteral("reply_to");
    QTest::newRow("message id") << simpleMessage()
                                << QStringLiteral("<id@ordinaut>\r\nBcc: evil@example.org")
                                << QStringLiteral("message_id");
    message = simpleMessage();
    message.text.reset();
    QTest::newRow("no body") << message << kMessageId << QStringLiteral("text");
}

void tst_MailMessage::composeRefusalNamesTheMember()
{
    QFETCH(MailMessage, message);
    QFETCH(QString, messageId);
    QFETCH(QString, field);
    Result<QByteArray> composed = message.compose(messageId, QDateTime::currentDateTimeUtc());
    QVERIFY(!composed);
    QVERIFY(composed.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(composed.error().field, field);
    QVERIFY(composed.error().message.contains(field == QLatin1String("text")
                                                  ? QLatin1String("needs a body")
                                                  : QLatin1String("line break")));
}

void tst_MailMessage::headersComeInOrderWithDateAndMessageId()
{
    MailMessage message = simpleMessage();
    message.cc = {address("Bob <bob@example.org>")};
    message.replyTo = address("Desk <desk@example.org>");
    // A date in another zone is written in UTC: 15:07:09 +01:00 is 14:07:09 +0000.
    const QDateTime date(QDate(2024, 3, 5), QTime(15, 7, 9), Qt::OffsetFromUTC, 3600);
    Result<QByteArray> composed = message.compose(kMessageId, date);
    QVERIFY(composed);
    const QByteArray expected = "Date: Tue, 05 Mar 2024 14:07:09 +0000\r\n"
                                "From: Ordinaut Bot <bot@example.org>\r\n"
                                "To: alice@example.org\r\n"
                                "Cc: Bob <bob@example.org>\r\n"
                                "Reply-To: Desk <desk@example.org>\r\n"
                                "Subject: Hello\r\n"
                                "Message-ID: "
                                + kMessageId.toLatin1()
                                + "\r\n"
                                  "MIME-Version: 1.0\r\n"
                                  "Auto-Submitted: auto-generated\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n"
                                  "Content-Transfer-Encoding: quoted-printable\r\n"
                                  "\r\n"
                                  "Hi Alice\r\n";
    QCOMPARE(*composed, expected);

    // Without cc and reply_to neither header appears, not even empty.
    const QByteArray plain = compose(simpleMessage());
    QVERIFY(!plain.contains("\r\nCc:"));
    QVERIFY(!plain.contains("\r\nReply-To:"));
}

void tst_MailMessage::messageIdNamesRunAndStep_data()
{
    QTest::addColumn<QString>("runId");
    QTest::addColumn<QString>("stepId");
    QTest::addColumn<QString>("prefix");
    QTest::newRow("plain") << QStringLiteral("run-1") << QStringLiteral("step_a")
                           << QStringLiteral("<run-1.step_a.");
    QTest::newRow("odd characters")
        << QStringLiteral("r 1/ü") << QStringLiteral("s.<2>") << QStringLiteral("<r-1--.s--2-.");
    QTest::newRow("empty") << QString() << QString() << QStringLiteral("<run.step.");
}

void tst_MailMessage::messageIdNamesRunAndStep()
{
    QFETCH(QString, runId);
    QFETCH(QString, stepId);
    QFETCH(QString, prefix);
    const QString id = MailMessage::newMessageId(runId, stepId);
    QVERIFY2(id.startsWith(prefix), qPrintable(id));
    QVERIFY2(QRegularExpression(QStringLiteral("\\.[0-9a-f]{16}@ordinaut>$")).match(id).hasMatch(),
             qPrintable(id));
    QVERIFY(id != MailMessage::newMessageId(runId, stepId));
}

void tst_MailMessage::subjectDecodesToTheOriginal_data()
{
    QTest::addColumn<QString>("subject");
    QTest::addColumn<bool>("encoded");
    QTest::newRow("ASCII") << QStringLiteral("Weekly report: 3 new items") << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("German") << QStringLiteral("Grüße aus Köln") << true;
    QTest::newRow("Japanese") << QStringLiteral("週間レポートの件名") << true;
    QTest::newRow("emoji") << QStringLiteral("Build passed 🎉 on main") << true;
    QTest::newRow("euro") << QStringLiteral("Invoice: 120 €") << true;
    QTest::newRow("looks encoded") << QStringLiteral("Literal =?UTF-8?B?SGk=?= text") << true;
    QTest::newRow("long non-ASCII") << QStringLiteral("Ünïcödé ").repeated(30) << true;
    QTest::newRow("ASCII over 900") << QStringLiteral("a").repeated(901) << true;
}

void tst_MailMessage::subjectDecodesToTheOriginal()
{
    QFETCH(QString, subject);
    QFETCH(bool, encoded);
    MailMessage message = simpleMessage();
    message.subject = subject;
    const QByteArray bytes = compose(message);
    const QByteArray value = headerValue(bytes, "Subject");
    QVERIFY(!value.isNull());
    QCOMPARE(value.contains("=?UTF-8?B?"), encoded);
    QCOMPARE(decodeWords(value), subject);
    // Headers are 7-bit whatever the subject.
    for (const char c : headerBlock(bytes))
        QVERIFY(static_cast<uchar>(c) < 128);
}

void tst_MailMessage::displayNameDecodesToTheOriginal_data()
{
    QTest::addColumn<QString>("display");
    QTest::addColumn<QByteArray>("phraseStart");
    QTest::newRow("atoms") << QStringLiteral("Alice Liddell") << QByteArray("Alice Liddell <");
    QTest::newRow("comma quoted") << QStringLiteral("Liddell, Alice")
                                  << QByteArray("\"Liddell, Alice\" <");
    QTest::newRow("quotes and backslash escaped")
        << QStringLiteral("Al \"The\" \\ Li") << QByteArray("\"Al \\\"The\\\" \\\\ Li\" <");
    QTest::newRow("German") << QStringLiteral("Zoë Müller") << QByteArray("=?UTF-8?B?");
    QTest::newRow("Chinese") << QStringLiteral("张伟") << QByteArray("=?UTF-8?B?");
    QTest::newRow("long non-ASCII")
        << QStringLiteral("Ørsted ").repeated(12) << QByteArray("=?UTF-8?B?");
}

void tst_MailMessage::displayNameDecodesToTheOriginal()
{
    QFETCH(QString, display);
    QFETCH(QByteArray, phraseStart);
    MailMessage message = simpleMessage();
    message.to = {MailMessage::Address{display, QStringLiteral("to@example.org")}};
    message.from = MailMessage::Address{display, QStringLiteral("from@example.org")};
    message.replyTo = MailMessage::Address{display, QStringLiteral("reply@example.org")};
    const QByteArray bytes = compose(message);
    for (const QByteArray &name : {QByteArray("From"), QByteArray("To"), QByteArray("Reply-To")}) {
        const QByteArray value = headerValue(bytes, name);
        QVERIFY2(value.startsWith(phraseStart), value.constData());
        QVERIFY2(value.endsWith('>'), value.constData());
        QCOMPARE(decodeDisplayName(value), display);
    }
}

void tst_MailMessage::headerLinesStayWithin78Characters_data()
{
    QTest::addColumn<QString>("subject");
    QTest::addColumn<int>("recipients");
    QTest::newRow("long German subject")
        << QStringLiteral("Straßenbahnhaltestelle ").repeated(12) << 1;
    QTest::newRow("long emoji subject") << QStringLiteral("🎉").repeated(100) << 1;
    QTest::newRow("long mixed subject")
        << QStringLiteral("Status for € accounts — ").repeated(10) << 1;
    QTest::newRow("twenty recipients") << QStringLiteral("Hello") << 20;
    QTest::newRow("plain ASCII subject, 150 characters")
        << QStringLiteral("report ").repeated(21) + QStringLiteral("end") << 1;
}

void tst_MailMessage::headerLinesStayWithin78Characters()
{
    QFETCH(QString, subject);
    QFETCH(int, recipients);
    MailMessage message = simpleMessage();
    message.subject = subject;
    message.to.clear();
    for (int i = 0; i < recipients; ++i)
        message.to << MailMessage::Address{QStringLiteral("Recipient %1").arg(i),
                                           QStringLiteral("recipient.%1@example.org").arg(i)};
    const QByteArray bytes = compose(message);
    QVERIFY(onlyCrlfLineEnds(bytes));
    QCOMPARE(decodeWords(headerValue(bytes, "Subject")), subject);
    QCOMPARE(headerValue(bytes, "To").count('@'), recipients);
    QVERIFY2(longestLine(headerBlock(bytes)) <= 78, headerBlock(bytes).constData());
}

void tst_MailMessage::quotedPrintableRoundTrips_data()
{
    QTest::addColumn<QString>("body");
    QTest::newRow("leading dots") << QStringLiteral(".\n.hidden line\n..two dots\nend.\n");
    QTest::newRow("equals signs") << QStringLiteral("a=b\n==\n=3D is not decoded twice\n=\n");
    QTest::newRow("trailing spaces and tabs")
        << QStringLiteral("spaces   \ntab\t\nboth \t \n   \n");
    QTest::newRow("euro sign") << QStringLiteral("Total: 120 €\n€\n");
    QTest::newRow("150-character line") << QStringLiteral("0123456789").repeated(15);
    QTest::newRow("150 euro signs") << QStringLiteral("€").repeated(150);
    QTest::newRow("equals at the soft break") << QStringLiteral("x").repeated(74)
                                                     + QStringLiteral("=y and ")
                                                     + QStringLiteral("z").repeated(80);
    QTest::newRow("space at the soft break")
        << QStringLiteral("x").repeated(74) + QStringLiteral(" y");
    QTest::newRow("CRLF input") << QStringLiteral("one\r\ntwo\r\n");
    QTest::newRow("lone CR kept as data") << QStringLiteral("carriage\rreturn\n");
    QTest::newRow("no final line end") << QStringLiteral("last line");
    QTest::newRow("blank lines") << QStringLiteral("\n\nafter two blank lines\n\n");
    QTest::newRow("underscore after equals") << QStringLiteral("=_ordinaut_ is the boundary\n");
}

void tst_MailMessage::quotedPrintableRoundTrips()
{
    QFETCH(QString, body);
    MailMessage message = simpleMessage();
    message.text = body;
    const QByteArray encoded = bodyOf(compose(message));
    QVERIFY(onlyCrlfLineEnds(encoded));
    QVERIFY2(longestLine(encoded) <= 76, encoded.constData());
    // No line may end in white space (transports strip it), and "=_" would end the boundary.
    QVERIFY2(!encoded.contains(" \r\n") && !encoded.contains("\t\r\n"), encoded.constData());
    QVERIFY(!encoded.contains("=_"));
    for (const char c : encoded)
        QVERIFY(c == '\r' || c == '\n' || c == '\t' || (c >= ' ' && c <= '~'));
    QCOMPARE(decodeQuotedPrintable(encoded), asCrlfLines(body));
}

void tst_MailMessage::bodiesChooseTheContentType_data()
{
    QTest::addColumn<bool>("hasText");
    QTest::addColumn<bool>("hasHtml");
    QTest::addColumn<QByteArray>("contentType");
    QTest::newRow("text") << true << false << QByteArray("text/plain; charset=utf-8");
    QTest::newRow("html") << false << true << QByteArray("text/html; charset=utf-8");
    QTest::newRow("both") << true << true << QByteArray("multipart/alternative; boundary=\"");
}

void tst_MailMessage::bodiesChooseTheContentType()
{
    QFETCH(bool, hasText);
    QFETCH(bool, hasHtml);
    QFETCH(QByteArray, contentType);
    const QString text = QStringLiteral("Plain: 5 € =\n");
    const QString html = QStringLiteral("<p style=\"color:red\">5 €</p>\n");
    MailMessage message = simpleMessage();
    message.text.reset();
    if (hasText)
        message.text = text;
    if (hasHtml)
        message.html = html;
    const QByteArray bytes = compose(message);
    const QByteArray type = headerValue(bytes, "Content-Type");
    QVERIFY2(type.startsWith(contentType), type.constData());
    if (!(hasText && hasHtml)) {
        QCOMPARE(headerValue(bytes, "Content-Transfer-Encoding"), QByteArray("quoted-printable"));
        QCOMPARE(decodeQuotedPrintable(bodyOf(bytes)), asCrlfLines(hasText ? text : html));
        return;
    }
    const QRegularExpressionMatch match
        = QRegularExpression(QStringLiteral("boundary=\"(=_ordinaut_[0-9a-f]{24})\"$"))
              .match(QString::fromLatin1(type));
    QVERIFY2(match.hasMatch(), type.constData());
    const QByteArray boundary = match.captured(1).toLatin1();
    QByteArray body = bodyOf(bytes);
    QVERIFY(body.startsWith(QByteArray("--" + boundary + "\r\n")));
    QVERIFY(body.endsWith(QByteArray("\r\n--" + boundary + "--\r\n")));
    body = body.mid(boundary.size() + 4).chopped(boundary.size() + 8);
    const QByteArray separator = "\r\n--" + boundary + "\r\n";
    const qsizetype at = body.indexOf(separator);
    QVERIFY(at > 0);
    QVERIFY(body.indexOf(separator, at + 1) < 0);
    const QByteArray plainPart = body.left(at);
    const QByteArray htmlPart = body.mid(at + separator.size());
    // Plain text first: clients show the last part they understand.
    QCOMPARE(headerValue(plainPart, "Content-Type"), QByteArray("text/plain; charset=utf-8"));
    QCOMPARE(headerValue(htmlPart, "Content-Type"), QByteArray("text/html; charset=utf-8"));
    QCOMPARE(headerValue(plainPart, "Content-Transfer-Encoding"), QByteArray("quoted-printable"));
    QCOMPARE(decodeQuotedPrintable(bodyOf(plainPart)), asCrlfLines(text));
    QCOMPARE(decodeQuotedPrintable(bodyOf(htmlPart)), asCrlfLines(html));
}

void tst_MailMessage::bccIsNeverInTheHeaders()
{
    MailMessage message = simpleMessage();
    message.cc = {address("Carol <carol@example.org>")};
    message.bcc = {address("Secret Boss <boss@hidden.example>"), address("ALICE@example.org"),
                   address("auditor@hidden.example")};
    const QByteArray bytes = compose(message);
    QVERIFY(!bytes.contains("hidden.example"));
    QVERIFY(!bytes.contains("Secret Boss"));
    for (const QByteArray &field : unfoldedHeaders(headerBlock(bytes)))
        QVERIFY2(!field.toLower().startsWith("bcc"), field.constData());
    // They are only in the envelope, and a mailbox already in To is not added again.
    QCOMPARE(message.recipients(),
             QStringList({QStringLiteral("alice@example.org"), QStringLiteral("carol@example.org"),
                          QStringLiteral("boss@hidden.example"),
                          QStringLiteral("auditor@hidden.example")}));
}

QTEST_GUILESS_MAIN(tst_MailMessage)
#include "tst_MailMessage.moc"
