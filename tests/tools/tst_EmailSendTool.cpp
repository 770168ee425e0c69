// email.send against a real SMTP server (aiosmtpd): what arrives (headers, encodings, MIME,
// envelope), at-most-once delivery through the side_effects table, and every refusal.
#include "support/SmtpSink.h"
#include "support/TempDataDir.h"

#include "core/Clock.h"
#include "core/JsonSchema.h"
#include "runtime/SideEffectRecords.h"
#include "secrets/SecretStore.h"
#include "store/Database.h"
#include "tools/EmailSendTool.h"
#include "tools/ToolEnvironment.h"

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTest>

using namespace ordinaut;

class tst_EmailSendTool final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void schemasAcceptGoodInputAndRefuseBadInput();
    void textMailArrivesWithHeadersAndBody();
    void htmlAndTextMakeMultipartAlternative();
    void htmlOnlyIsTextHtml();
    void bccIsOnlyInTheEnvelope();
    void sameStepTwiceSendsOneMail();
    void reservedButUnrecordedKeyIsConflictAndSendsNothing();
    void unreachableServerIsUnavailableAndReleasesKey();
    void refusedRecipientIsInvalidArgumentAndReleasesKey();
    void tlsAgainstPlainServerIsUnavailable_data();
    void tlsAgainstPlainServerIsUnavailable();
    void lineBreakInHeaderFieldIsRefused_data();
    void lineBreakInHeaderFieldIsRefused();
    void malformedAddressIsRefused_data();
    void malformedAddressIsRefused();
    void missingBodyNamesText();
    void missingSmtpSettingsIsAClearError_data();
    void missingSmtpSettingsIsAClearError();
    void loginUsesPasswordFromSecretStore();
    void wrongPasswordIsPermissionDeniedAndNeverShown();
    void missingPasswordIsAClearError();
    void timeoutAfterDataKeepsReservation();

private:
    Result<Json> send(const EmailSendTool &tool, const Json &input, const QString &stepId,
                      bool withLedger = true);
    bool isReserved(const QString &stepId);

    test::SmtpSink m_sink;
    std::unique_ptr<test::TempDataDir> m_dir;
    std::shared_ptr<Database> m_db;
    std::unique_ptr<SideEffectRecords> m_ledger;
};

namespace {

const QString kRunId = QStringLiteral("run-1");

std::shared_ptr<ToolEnvironment> environmentFor(quint16 port,
                                                const QString &security = QStringLiteral("none"),
                                                const QString &username = {})
{
    auto environment = std::make_shared<ToolEnvironment>();
    environment->setSettings(Json{{"tools.email.smtp",
                                   {{"host", "127.0.0.1"},
                                    {"port", port},
                                    {"security", security},
                                    {"username", username},
                                    {"from", "Ordinaut Bot <bot@example.org>"}}}});
    return environment;
}

Json simpleInput()
{
    return Json{{"to", "alice@example.org"}, {"subject", "Hello"}, {"text", "Hi Alice\n"}};
}

QString key(const QString &stepId)
{
    return QStringLiteral("email.send:%1:%2").arg(kRunId, stepId);
}

// A loopback port nobody listens on (just freed by the OS).
quint16 closedPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

// Why a result failed, for QVERIFY2 (which builds its message even when the check passes).
QString why(const Result<Json> &result)
{
    return result ? QString() : result.error().describe();
}

QString joined(const std::vector<SchemaViolation> &violations)
{
    QStringList list;
    for (const SchemaViolation &v : violations)
        list << v.path + QStringLiteral(": ") + v.message;
    return list.join(QStringLiteral("; "));
}

} // namespace

// Like the Executor: the input must conform to inputSchema() and a result to outputSchema();
// a test whose input breaks the schema fails instead of testing something unreachable.
Result<Json> tst_EmailSendTool::send(const EmailSendTool &tool, const Json &input,
                                     const QString &stepId, bool withLedger)
{
    const std::vector<SchemaViolation> bad
        = JsonSchema::compile(tool.inputSchema())->validate(input);
    if (!bad.empty())
        return Error::internal(QStringLiteral("test input breaks the schema: ") + joined(bad));
    ToolContext context;
    context.runId = kRunId;
    context.taskId = QStringLiteral("task-1");
    context.stepId = stepId;
    context.timeoutMs = 20000;
    context.now = QDateTime::currentDateTimeUtc();
    context.ledger = withLedger ? m_ledger.get() : nullptr;
    Result<Json> result = tool.invoke(input, context);
    if (result) {
        const std::vector<SchemaViolation> badOutput
            = JsonSchema::compile(tool.outputSchema())->validate(*result);
        if (!badOutput.empty())
            return Error::internal(QStringLiteral("output breaks the schema: ")
                                   + joined(badOutput));
    }
    return result;
}

// True when the step's key is held (reserved or recorded); probing frees a free key again.
bool tst_EmailSendTool::isReserved(const QString &stepId)
{
    Result<std::optional<Json>> probe = m_ledger->reserve(key(stepId), kRunId, stepId);
    if (probe && !*probe) {
        (void)m_ledger->release(key(stepId));
        return false;
    }
    return true;
}

void tst_EmailSendTool::initTestCase()
{
    QVERIFY2(m_sink.start(), qPrintable(m_sink.errorString()));
}

void tst_EmailSendTool::init()
{
    m_sink.clear();
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::shared_ptr<Database>> db = Database::open(m_dir->databaseFile());
    QVERIFY(db);
    m_db = *db;
    m_ledger = std::make_unique<SideEffectRecords>(*m_db, SystemClock::instance());
}

void tst_EmailSendTool::cleanup()
{
    m_ledger.reset();
    m_db.reset();
    m_dir.reset();
}

void tst_EmailSendTool::schemasAcceptGoodInputAndRefuseBadInput()
{
    const EmailSendTool tool(std::make_shared<ToolEnvironment>());
    QCOMPARE(tool.name(), QStringLiteral("email.send"));
    Result<JsonSchema> input = JsonSchema::compile(tool.inputSchema());
    QVERIFY(input);
    QVERIFY(JsonSchema::compile(tool.outputSchema()));
    QVERIFY(input->validate(simpleInput()).empty());
    QVERIFY(input
                ->validate(Json{{"to", Json::array({"a@example.org", "b@example.org"})},
                                {"cc", Json::array()},
                                {"subject", ""},
                                {"html", "<p>x</p>"},
                                {"timeout_seconds", 600}})
                .empty());
    const Json bad[] = {
        Json{{"to", Json::array()}, {"subject", "s"}, {"text", "t"}},
        Json{{"to", 5}, {"subject", "s"}, {"text", "t"}},
        Json{{"to", "a@example.org"}, {"text", "t"}},
        Json{{"to", "a@example.org"}, {"subject", "s"}, {"text", "t"}, {"from", "x@example.org"}},
        Json{{"to", "a@example.org"}, {"subject", "s"}, {"text", "t"}, {"timeout_seconds", 0}},
        Json{{"to", "a@example.org"}, {"subject", "s"}, {"text", "t"}, {"timeout_seconds", 601}},
    };
    for (const Json &value : bad)
        QVERIFY2(!input->validate(value).empty(), dumpJson(value).constData());
}

void tst_EmailSendTool::textMailArrivesWithHeadersAndBody()
{
    const EmailSendTool tool(environmentFor(m_sink.port()));
    const QString subject
        = QStringLiteral("Grüße — wöchentlicher Bericht für die Woche 47 ✓ (automatisch erstellt)");
    const QString text = QStringLiteral("Hello Zoë,\n.a line starting with a dot\n")
                         + QString(150, QLatin1Char('x'))
                         + QStringLiteral("\ntrailing space \n= sign and\ttab\n€ end\n");
    const Json input{{"to", Json::array({"Zoë Example <zoe@example.org>", "bob@example.org"})},
                     {"cc", "\"Carol, Accounts\" <carol@example.org>"},
                     {"reply_to", "replies@example.org"},
                     {"subject", subject},
                     {"text", text}};
    Result<Json> result = send(tool, input, QStringLiteral("notify"));
    QVERIFY2(result, qPrintable(why(result)));

    const std::vector<Json> messages = m_sink.messages();
    QCOMPARE(messages.size(), size_t(1));
    const Json &m = messages[0];
    QCOMPARE(qs(m["mail_from"]), QStringLiteral("bot@example.org"));
    QVERIFY(m["rcpt_tos"]
            == Json::array({"zoe@example.org", "bob@example.org", "carol@example.org"}));
    const Json &h = m["headers"];
    QCOMPARE(qs(h["from"][0]), QStringLiteral("Ordinaut Bot <bot@example.org>"));
    QCOMPARE(qs(h["to"][0]), QStringLiteral("Zoë Example <zoe@example.org>, bob@example.org"));
    QCOMPARE(qs(h["cc"][0]), QStringLiteral("\"Carol, Accounts\" <carol@example.org>"));
    QCOMPARE(qs(h["reply-to"][0]), QStringLiteral("replies@example.org"));
    QCOMPARE(qs(h["subject"][0]), subject);
    QCOMPARE(qs(h["mime-version"][0]), QStringLiteral("1.0"));
    QCOMPARE(qs(h["message-id"][0]), qs((*result)["message_id"]));
    QVERIFY(h.contains("date"));
    QVERIFY(qs(m["raw"]).contains(QLatin1String("Subject: =?UTF-8?B?")));
    QVERIFY2(m["defects"].empty(), dumpJson(m["defects"]).constData());
    // No header line is longer than RFC 5322's recommended 78 characters.
    const QString raw = qs(m["raw"]);
    for (const QString &line : raw.split(QStringLiteral("\r\n")))
        QVERIFY2(line.size() <= 78, qPrintable(line));

    QCOMPARE(qs(m["content_type"]), QStringLiteral("text/plain"));
    QCOMPARE(m["parts"].size(), size_t(1));
    QCOMPARE(qs(m["parts"][0]["content"]), text);

    QVERIFY((*result)["accepted"]
            == Json::array({"zoe@example.org", "bob@example.org", "carol@example.org"}));
    QCOMPARE(qs((*result)["server"]), QStringLiteral("127.0.0.1:%1").arg(m_sink.port()));
    QVERIFY(parseInstant(qs((*result)["sent_at"])));
    const QString messageId = qs((*result)["message_id"]);
    QVERIFY2(messageId.startsWith(QLatin1String("<run-1.notify."))
                 && messageId.endsWith(QLatin1String("@ordinaut>")),
             qPrintable(messageId));
}

void tst_EmailSendTool::htmlAndTextMakeMultipartAlternative()
{
    const EmailSendTool tool(environmentFor(m_sink.port()));
    const QString text = QStringLiteral("Plain version — ünïcode\n");
    const QString html = QStringLiteral("<html><body><p style=\"color: red\">HTML "
                                        "version — ünïcode</p></body></html>\n");
    Json input = simpleInput();
    input["text"] = text;
    input["html"] = html;
    Result<Json> result = send(tool, input, QStringLiteral("both"));
    QVERIFY2(result, qPrintable(why(result)));
    const std::vector<Json> messages = m_sink.messages();
    QCOMPARE(messages.size(), size_t(1));
    QCOMPARE(qs(messages[0]["content_type"]), QStringLiteral("multipart/alternative"));
    const Json &parts = messages[0]["parts"];
    QCOMPARE(parts.size(), size_t(2));
    QCOMPARE(qs(parts[0]["type"]), QStringLiteral("text/plain"));
    QCOMPARE(qs(parts[0]["content"]), text);
    QCOMPARE(qs(parts[1]["type"]), QStringLiteral("text/html"));
    QCOMPARE(qs(parts[1]["content"]), html);
    QVERIFY2(messages[0]["defects"].empty(), dumpJson(messages[0]["defects"]).constData());
}

void tst_EmailSendTool::htmlOnlyIsTextHtml()
{
    const EmailSendTool tool(environmentFor(m_sink.port()));
    Json input = simpleInput();
    input.erase("text");
    input["html"] = "<p>only html</p>";
    Result<Json> result = send(tool, input, QStringLiteral("html"));
    QVERIFY2(result, qPrintable(why(result)));
    const std::vector<Json> messages = m_sink.messages();
    QCOMPARE(messages.size(), size_t(1));
    QCOMPARE(qs(messages[0]["content_type"]), QStringLiteral("text/html"));
    QCOMPARE(qs(messages[0]["parts"][0]["content"]), QStringLiteral("<p>only html</p>\n"));
}

void tst_EmailSendTool::bccIsOnlyInTheEnvelope()
{
    const EmailSendTool tool(environmentFor(m_sink.port()));
    Json input = simpleInput();
    input["to"] = "a@example.org";
    input["bcc"] = Json::array({"hidden@example.org", "A@example.org"});
    Result<Json> result = send(tool, input, QStringLiteral("bcc"));
    QVERIFY2(result, qPrintable(why(result)));
    const std::vector<Json> messages = m_sink.messages();
    QCOMPARE(messages.size(), size_t(1));
    // The duplicate (same address, other case) gets no second copy.
    QVERIFY(messages[0]["rcpt_tos"] == Json::array({"a@example.org", "hidden@example.org"}));
    QVERIFY(!messages[0]["headers"].contains("bcc"));
    QVERIFY(!qs(messages[0]["raw"]).contains(QLatin1String("hidden")));
    QVERIFY((*result)["accepted"] == Json::array({"a@example.org", "hidden@example.org"}));
}

void tst_EmailSendTool::sameStepTwiceSendsOneMail()
{
    const EmailSendTool tool(environmentFor(m_sink.port()));
    Result<Json> first = send(tool, simpleInput(), QStringLiteral("once"));
    QVERIFY2(first, qPrintable(why(first)));
    Result<Json> second = send(tool, simpleInput(), QStringLiteral("once"));
    QVERIFY2(second, qPrintable(why(second)));
    QVERIFY(*second == *first);
    QCOMPARE(m_sink.messages().size(), size_t(1));
    // Another step of the same run is another mail.
    QVERIFY(send(tool, simpleInput(), QStringLiteral("other")));
    QCOMPARE(m_sink.messages().size(), size_t(2));
}

void tst_EmailSendTool::reservedButUnrecordedKeyIsConflictAndSendsNothing()
{
    const EmailSendTool tool(environmentFor(m_sink.port()));
    Result<std::optional<Json>> reserved
        = m_ledger->reserve(key(QStringLiteral("crashed")), kRunId, QStringLiteral("crashed"));
    QVERIFY(reserved && !*reserved);
    Result<Json> result = send(tool, simpleInput(), QStringLiteral("crashed"));
    QVERIFY(!result);
    QVERIFY(result.error().code == ErrorCode::Conflict);
    QVERIFY(m_sink.messages().empty());
}

void tst_EmailSendTool::unreachableServerIsUnavailableAndReleasesKey()
{
    const quint16 port = closedPort();
    QVERIFY(port != 0);
    Result<Json> failed
        = send(EmailSendTool(environmentFor(port)), simpleInput(), QStringLiteral("retry"));
    QVERIFY(!failed);
    QVERIFY2(failed.error().code == ErrorCode::Unavailable, qPrintable(failed.error().describe()));
    QVERIFY(failed.error().message.contains(QStringLiteral("127.0.0.1:%1").arg(port)));

    // The retry reaches a server and sends: the failed attempt left no reservation.
    Result<Json> retried = send(EmailSendTool(environmentFor(m_sink.port())), simpleInput(),
                                QStringLiteral("retry"));
    QVERIFY2(retried, qPrintable(why(retried)));
    QCOMPARE(m_sink.messages().size(), size_t(1));
}

void tst_EmailSendTool::refusedRecipientIsInvalidArgumentAndReleasesKey()
{
    const EmailSendTool tool(environmentFor(m_sink.port()));
    Json input = simpleInput();
    input["to"] = Json::array({"ok@example.org", QString(test::SmtpSink::refusedPrefix()
                                                         + QLatin1String("@example.org"))});
    Result<Json> result = send(tool, input, QStringLiteral("refused"));
    QVERIFY(!result);
    QVERIFY2(result.error().code == ErrorCode::InvalidArgument,
             qPrintable(result.error().describe()));
    QVERIFY2(result.error().message.contains(QLatin1String("550")),
             qPrintable(result.error().message));
    QVERIFY(m_sink.messages().empty());
    QVERIFY(!isReserved(QStringLiteral("refused")));
}

void tst_EmailSendTool::tlsAgainstPlainServerIsUnavailable_data()
{
    QTest::addColumn<QString>("security");
    QTest::newRow("starttls") << QStringLiteral("starttls");
    QTest::newRow("tls") << QStringLiteral("tls");
}

void tst_EmailSendTool::tlsAgainstPlainServerIsUnavailable()
{
    // The sink offers no TLS: a mail that must be encrypted is not sent in the clear.
    QFETCH(QString, security);
    Result<Json> result = send(EmailSendTool(environmentFor(m_sink.port(), security)),
                               simpleInput(), QStringLiteral("tls"));
    QVERIFY(!result);
    QVERIFY2(result.error().code == ErrorCode::Unavailable, qPrintable(result.error().describe()));
    QVERIFY(m_sink.messages().empty());
    QVERIFY(!isReserved(QStringLiteral("tls")));
}

void tst_EmailSendTool::lineBreakInHeaderFieldIsRefused_data()
{
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QString>("field");
    const auto row = [](const char *name, const Json &patch, const char *field) {
        QTest::newRow(name) << dumpJson(patch) << QString::fromLatin1(field);
    };
    row("subject CRLF", {{"subject", "Hi\r\nBcc: evil@example.org"}}, "with.subject");
    row("subject LF", {{"subject", "Hi\nX-Evil: 1"}}, "with.subject");
    row("subject CR", {{"subject", "Hi\rX-Evil: 1"}}, "with.subject");
    row("to", {{"to", "a@example.org\r\nBcc: evil@example.org"}}, "with.to");
    row("cc item", {{"cc", Json::array({"a@example.org", "b@example.org\nX: y"})}}, "with.cc[1]");
    row("bcc", {{"bcc", "Name\r\n <b@example.org>"}}, "with.bcc");
    row("reply_to", {{"reply_to", "r@example.org\r\nX: y"}}, "with.reply_to");
}

void tst_EmailSendTool::lineBreakInHeaderFieldIsRefused()
{
    QFETCH(QByteArray, patch);
    QFETCH(QString, field);
    Json input = simpleInput();
    input.merge_patch(*parseJson(patch));
    Result<Json> result
        = send(EmailSendTool(environmentFor(m_sink.port())), input, QStringLiteral("inject"));
    QVERIFY(!result);
    QVERIFY2(result.error().code == ErrorCode::InvalidArgument,
             qPrintable(result.error().describe()));
    QCOMPARE(result.error().field, field);
    QVERIFY(result.error().message.contains(QLatin1String("line break")));
    QVERIFY(m_sink.messages().empty());
    QVERIFY(!isReserved(QStringLiteral("inject")));
}

void tst_EmailSendTool::malformedAddressIsRefused_data()
{
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QString>("field");
    const auto row = [](const char *name, const Json &patch, const char *field) {
        QTest::newRow(name) << dumpJson(patch) << QString::fromLatin1(field);
    };
    row("no at sign", {{"to", "alice.example.org"}}, "with.to");
    row("two at signs", {{"to", "a@b@example.org"}}, "with.to");
    row("comma list", {{"to", "a@example.org, b@example.org"}}, "with.to");
    row("space", {{"to", "al ice@example.org"}}, "with.to");
    row("empty local part", {{"to", "@example.org"}}, "with.to");
    row("non-ASCII mailbox", {{"to", "zoë@example.org"}}, "with.to");
    row("cc item", {{"cc", Json::array({"ok@example.org", "Name <broken>"})}}, "with.cc[1]");
    row("reply_to", {{"reply_to", "nobody"}}, "with.reply_to");
}

void tst_EmailSendTool::malformedAddressIsRefused()
{
    QFETCH(QByteArray, patch);
    QFETCH(QString, field);
    Json input = simpleInput();
    input.merge_patch(*parseJson(patch));
    Result<Json> result
        = send(EmailSendTool(environmentFor(m_sink.port())), input, QStringLiteral("address"));
    QVERIFY(!result);
    QVERIFY2(result.error().code == ErrorCode::InvalidArgument,
             qPrintable(result.error().describe()));
    QCOMPARE(result.error().field, field);
    QVERIFY(m_sink.messages().empty());
}

void tst_EmailSendTool::missingBodyNamesText()
{
    Json input = simpleInput();
    input.erase("text");
    Result<Json> result
        = send(EmailSendTool(environmentFor(m_sink.port())), input, QStringLiteral("nobody"));
    QVERIFY(!result);
    QVERIFY(result.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(result.error().field, QStringLiteral("with.text"));
    QVERIFY(m_sink.messages().empty());
}

void tst_EmailSendTool::missingSmtpSettingsIsAClearError_data()
{
    QTest::addColumn<QByteArray>("settings");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("absent") << QByteArray("{}") << QStringLiteral("configure tools.email.smtp");
    QTest::newRow("defaults") << dumpJson(Json{
        {"tools.email.smtp",
         {{"host", ""}, {"port", 587}, {"security", "starttls"}, {"username", ""}, {"from", ""}}}})
                              << QStringLiteral("configure tools.email.smtp");
    QTest::newRow("no from") << dumpJson(Json{{"tools.email.smtp",
                                               {{"host", "127.0.0.1"},
                                                {"port", 25},
                                                {"security", "none"},
                                                {"username", ""},
                                                {"from", ""}}}})
                             << QStringLiteral("tools.email.smtp.from");
}

void tst_EmailSendTool::missingSmtpSettingsIsAClearError()
{
    QFETCH(QByteArray, settings);
    QFETCH(QString, mentions);
    auto environment = std::make_shared<ToolEnvironment>();
    environment->setSettings(*parseJson(settings));
    Result<Json> result = send(EmailSendTool(environment), simpleInput(), QStringLiteral("unset"));
    QVERIFY(!result);
    QVERIFY2(result.error().code == ErrorCode::PermissionDenied,
             qPrintable(result.error().describe()));
    QVERIFY2(result.error().message.contains(mentions), qPrintable(result.error().message));
    QVERIFY(!isReserved(QStringLiteral("unset")));
    // Without a ledger the same error comes back.
    Result<Json> plain
        = send(EmailSendTool(environment), simpleInput(), QStringLiteral("unset"), false);
    QVERIFY(!plain && plain.error().code == ErrorCode::PermissionDenied);
}

void tst_EmailSendTool::loginUsesPasswordFromSecretStore()
{
    test::SmtpSink sink;
    QVERIFY2(sink.start({QStringLiteral("mailer"), QStringLiteral("s3cret-pässword")}),
             qPrintable(sink.errorString()));
    auto environment
        = environmentFor(sink.port(), QStringLiteral("none"), QStringLiteral("mailer"));
    auto secrets = std::make_shared<MemorySecretStore>();
    QVERIFY(
        secrets->write(EmailSendTool::passwordKey(), QStringLiteral("s3cret-pässword").toUtf8()));
    environment->setSecrets(secrets);
    Result<Json> result = send(EmailSendTool(environment), simpleInput(), QStringLiteral("auth"));
    QVERIFY2(result, qPrintable(why(result)));
    QCOMPARE(sink.messages().size(), size_t(1));
}

void tst_EmailSendTool::wrongPasswordIsPermissionDeniedAndNeverShown()
{
    test::SmtpSink sink;
    QVERIFY2(sink.start({QStringLiteral("mailer"), QStringLiteral("right-password")}),
             qPrintable(sink.errorString()));
    auto environment
        = environmentFor(sink.port(), QStringLiteral("none"), QStringLiteral("mailer"));
    auto secrets = std::make_shared<MemorySecretStore>();
    QVERIFY(secrets->write(EmailSendTool::passwordKey(), "wrong-password"));
    environment->setSecrets(secrets);
    const EmailSendTool tool(environment);
    Result<Json> result = send(tool, simpleInput(), QStringLiteral("auth"));
    QVERIFY(!result);
    QVERIFY2(result.error().code == ErrorCode::PermissionDenied,
             qPrintable(result.error().describe()));
    QVERIFY(result.error().message.contains(EmailSendTool::passwordKey()));
    QVERIFY(!result.error().describe().contains(QLatin1String("wrong-password")));
    QVERIFY(sink.messages().empty());

    // The refusal released the key: with the right password the same step sends.
    QVERIFY(secrets->write(EmailSendTool::passwordKey(), "right-password"));
    Result<Json> retried = send(tool, simpleInput(), QStringLiteral("auth"));
    QVERIFY2(retried, qPrintable(why(retried)));
    QVERIFY(!dumpJson(*retried).contains("right-password"));
    QCOMPARE(sink.messages().size(), size_t(1));
}

void tst_EmailSendTool::missingPasswordIsAClearError()
{
    auto environment
        = environmentFor(m_sink.port(), QStringLiteral("none"), QStringLiteral("mailer"));
    Result<Json> noStore = send(EmailSendTool(environment), simpleInput(), QStringLiteral("pw"));
    QVERIFY(!noStore);
    QVERIFY(noStore.error().code == ErrorCode::PermissionDenied);
    QVERIFY(noStore.error().message.contains(EmailSendTool::passwordKey()));

    environment->setSecrets(std::make_shared<MemorySecretStore>());
    Result<Json> noSecret = send(EmailSendTool(environment), simpleInput(), QStringLiteral("pw"));
    QVERIFY(!noSecret);
    QVERIFY(noSecret.error().code == ErrorCode::PermissionDenied);
    QVERIFY2(noSecret.error().message.contains(EmailSendTool::passwordKey()),
             qPrintable(noSecret.error().message));
    QVERIFY(m_sink.messages().empty());
    QVERIFY(!isReserved(QStringLiteral("pw")));
}

void tst_EmailSendTool::timeoutAfterDataKeepsReservation()
{
    // The server has the whole message but has not confirmed it when the deadline passes: it
    // may deliver it, so the step must not send it again.
    test::SmtpSink sink;
    QVERIFY2(sink.start(), qPrintable(sink.errorString()));
    Json input = simpleInput();
    input["text"] = test::SmtpSink::slowMarker();
    input["timeout_seconds"] = 1;
    QElapsedTimer timer;
    timer.start();
    Result<Json> result
        = send(EmailSendTool(environmentFor(sink.port())), input, QStringLiteral("slow"));
    QVERIFY(!result);
    QVERIFY2(result.error().code == ErrorCode::Timeout, qPrintable(result.error().describe()));
    QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY(isReserved(QStringLiteral("slow")));
    Result<Json> again
        = send(EmailSendTool(environmentFor(sink.port())), input, QStringLiteral("slow"));
    QVERIFY(!again);
    QVERIFY(again.error().code == ErrorCode::Conflict);
}

QTEST_GUILESS_MAIN(tst_EmailSendTool)
#include "tst_EmailSendTool.moc"
