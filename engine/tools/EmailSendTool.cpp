// email.send: the input becomes a MailMessage, which is handed to libcurl's SMTP client; the
// side-effect ledger makes a step's mail go out at most once.
#include "EmailSendTool.h"

#include "MailMessage.h"
#include "SideEffectLedger.h"
#include "ToolEnvironment.h"

#include "secrets/SecretStore.h"

#include <QRegularExpression>
#include <QSysInfo>

#include <curl/curl.h>

#ifdef Q_OS_WIN
#include <winsock2.h>
#define SHUT_RDWR SD_BOTH
#else
#include <sys/socket.h>
#endif

#include <algorithm>
#include <cstring>
#include <mutex>

namespace ordinaut {

namespace {

using Address = MailMessage::Address;

struct Draft
{
    MailMessage message; // without From, which the settings give
    int timeoutMs = 0;
};

struct Server
{
    QString host, security, username;
    int port = 587;
    Address from;
    QByteArray password;
};

// A failed delivery and whether the mail certainly did not go out (so a retry may send it).
struct Failure
{
    Error error;
    bool certainlyNotSent = false;
};

Result<QList<Address>> parseAddresses(const Json &input, const char *name)
{
    QList<Address> list;
    if (!input.contains(name))
        return list;
    const Json &value = input[name];
    const QString field = QStringLiteral("with.") + QLatin1String(name);
    const Json items = value.is_string() ? Json::array({value}) : value;
    for (size_t i = 0; i < items.size(); ++i) {
        Result<Address> address = Address::parse(
            value.is_string() ? field : field + QStringLiteral("[%1]").arg(i), qs(items[i]));
        if (!address)
            return address.error();
        list << *address;
    }
    return list;
}

Result<Draft> parseInput(const Json &input, const ToolContext &context)
{
    Draft draft;
    MailMessage &message = draft.message;
    const std::pair<const char *, QList<Address> *> lists[]
        = {{"to", &message.to}, {"cc", &message.cc}, {"bcc", &message.bcc}};
    for (const auto &[name, list] : lists) {
        Result<QList<Address>> parsed = parseAddresses(input, name);
        if (!parsed)
            return parsed.error();
        *list = *parsed;
    }
    if (input.contains("reply_to")) {
        Result<Address> replyTo
            = Address::parse(QStringLiteral("with.reply_to"), qs(input["reply_to"]));
        if (!replyTo)
            return replyTo.error();
        message.replyTo = *replyTo;
    }
    message.subject = qs(input["subject"]);
    if (Status oneLine = MailMessage::checkSubject(QStringLiteral("with.subject"), message.subject);
        !oneLine)
        return oneLine.error();
    if (input.contains("text"))
        message.text = qs(input["text"]);
    if (input.contains("html"))
        message.html = qs(input["html"]);
    if (!message.text && !message.html)
        return Error::invalid(QStringLiteral("with.text"),
                              QStringLiteral("the message needs a body: give with.text, "
                                             "with.html or both"));
    draft.timeoutMs = context.timeoutMs;
    if (input.contains("timeout_seconds"))
        draft.timeoutMs = std::min(draft.timeoutMs,
                                   static_cast<int>(input["timeout_seconds"].get<double>() * 1000));
    // curl reads 0 as "no limit", so the smallest deadline is one millisecond.
    draft.timeoutMs = std::max(draft.timeoutMs, 1);
    return draft;
}

QString stringSetting(const Json &smtp, const char *key)
{
    return smtp.contains(key) && smtp[key].is_string() ? qs(smtp[key]) : QString();
}

// A server that is not set up is the user's configuration, not the step's input, so these are
// PermissionDenied (as Tool.h says: the settings forbid it) without a "with." field; a retry
// cannot help until someone changes the settings.
Error setupError(const QString &message)
{
    return Error{ErrorCode::PermissionDenied, message, {}};
}

Result<Server> serverSettings(const ToolEnvironment &environment)
{
    const Json smtp = environment.setting("tools.email.smtp");
    Server server;
    server.host = smtp.is_object() ? stringSetting(smtp, "host").trimmed() : QString();
    if (server.host.isEmpty())
        return setupError(QStringLiteral("email.send has no SMTP server: configure "
                                         "tools.email.smtp (host, port, security, username, "
                                         "from) in the settings"));
    static const QRegularExpression hostShape(QStringLiteral("^[A-Za-z0-9._:-]+$"));
    if (!hostShape.match(server.host).hasMatch())
        return setupError(QStringLiteral("tools.email.smtp.host '%1' is not a host name or "
                                         "address")
                              .arg(server.host));
    if (smtp.contains("port") && smtp["port"].is_number_integer())
        server.port = smtp["port"].get<int>();
    server.security = stringSetting(smtp, "security");
    server.username = stringSetting(smtp, "username");
    Result<Address> from
        = Address::parse(QStringLiteral("tools.email.smtp.from"), stringSetting(smtp, "from"));
    if (!from)
        return setupError(QStringLiteral("tools.email.smtp.from: ") + from.error().message);
    server.from = *from;
    if (server.username.isEmpty())
        return server;
    const std::shared_ptr<SecretStore> secrets = environment.secrets();
    if (!secrets)
        return setupError(QStringLiteral("tools.email.smtp.username is set but no secret store "
                                         "is available to hold its password ('%1')")
                              .arg(EmailSendTool::passwordKey()));
    Result<std::optional<QByteArray>> password = secrets->read(EmailSendTool::passwordKey());
    if (!password)
        return password.error();
    if (!*password)
        return setupError(QStringLiteral("tools.email.smtp.username is set but no password is "
                                         "stored under '%1' in %2")
                              .arg(EmailSendTool::passwordKey(), secrets->describe()));
    server.password = **password;
    return server;
}

struct Upload
{
    QByteArray data;
    qsizetype offset = 0;
    bool started = false; // curl reads the message only after the server agreed to DATA
};

size_t readMessage(char *buffer, size_t size, size_t count, void *userdata)
{
    auto *upload = static_cast<Upload *>(userdata);
    upload->started = true;
    const size_t n
        = std::min(size * count, static_cast<size_t>(upload->data.size() - upload->offset));
    std::memcpy(buffer, upload->data.constData() + upload->offset, n);
    upload->offset += static_cast<qsizetype>(n);
    return n;
}

Failure failure(ErrorCode code, const QString &message, bool certainlyNotSent)
{
    return {Error{code, message, {}}, certainlyNotSent};
}

Failure classify(CURLcode code, long reply, bool dataStarted, const QString &server,
                 const QString &detail)
{
    const QString maybeSent = QStringLiteral("; it may have been delivered, so it is not sent "
                                             "again");
    switch (code) {
    case CURLE_LOGIN_DENIED:
        return failure(ErrorCode::PermissionDenied,
                       QStringLiteral("the SMTP server %1 refused the login of "
                                      "tools.email.smtp.username (%2); check it and the "
                                      "password stored under '%3'")
                           .arg(server, detail, EmailSendTool::passwordKey()),
                       true);
    case CURLE_OPERATION_TIMEDOUT:
        return failure(
            ErrorCode::Timeout,
            QStringLiteral("the SMTP server %1 did not answer in time (%2)").arg(server, detail)
                + (dataStarted ? maybeSent : QString()),
            !dataStarted);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
        return failure(ErrorCode::Unavailable,
                       QStringLiteral("cannot reach the SMTP server %1: %2").arg(server, detail),
                       true);
    default:
        break;
    }
    // Before DATA nothing can have been delivered. After it, only an explicit negative reply
    // to the message itself is certain; a broken connection leaves the outcome unknown.
    if (!dataStarted || (code == CURLE_WEIRD_SERVER_REPLY && reply >= 400 && reply < 600))
        return failure(reply >= 500 && reply < 600 ? ErrorCode::InvalidArgument
                                                   : ErrorCode::Unavailable,
                       QStringLiteral("the SMTP server %1 refused the message (reply %2): %3")
                           .arg(server, QString::number(reply), detail),
                       true);
    return failure(ErrorCode::Unavailable,
                   QStringLiteral("the connection to the SMTP server %1 failed while the message "
                                  "was handed over (%2)")
                           .arg(server, detail)
                       + maybeSent,
                   false);
}

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using Recipients = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

std::variant<Json, Failure> deliver(const Draft &draft, const ToolEnvironment &environment,
                                    const ToolContext &context)
{
    Result<Server> server = serverSettings(environment);
    if (!server)
        return Failure{server.error(), true};
    const QString hostText = server->host.contains(QLatin1Char(':'))
                                 ? QStringLiteral("[%1]").arg(server->host)
                                 : server->host;
    const QString serverText = hostText + QStringLiteral(":%1").arg(server->port);

    MailMessage message = draft.message;
    message.from = server->from;
    const QString messageId = MailMessage::newMessageId(context.runId, context.stepId);
    // The Date is when the message leaves, as mail clients write it.
    Result<QByteArray> composed = message.compose(messageId, QDateTime::currentDateTimeUtc());
    if (!composed)
        return Failure{composed.error(), true};
    Upload upload{std::move(*composed)};

    // Bcc recipients are only here, in the envelope; duplicates get one copy.
    const QStringList envelope = message.recipients();
    Recipients recipients(nullptr, &curl_slist_free_all);
    for (const QString &mailbox : std::as_const(envelope)) {
        curl_slist *appended = curl_slist_append(recipients.get(), mailbox.toLatin1().constData());
        if (!appended)
            return Failure{Error::internal(QStringLiteral("out of memory")), true};
        recipients.release();
        recipients.reset(appended);
    }

    static std::once_flag curlReady;
    std::call_once(curlReady, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    Easy curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl)
        return Failure{Error::internal(QStringLiteral("libcurl could not start")), true};

    // The URL's path is the name curl greets the server with (EHLO).
    QString helo = QSysInfo::machineHostName();
    if (!QRegularExpression(QStringLiteral("^[A-Za-z0-9.-]+$")).match(helo).hasMatch())
        helo = QStringLiteral("localhost");
    const bool implicitTls = server->security == QLatin1String("tls");
    const QByteArray url
        = QString((implicitTls ? QStringLiteral("smtps://") : QStringLiteral("smtp://"))
                  + serverText + QLatin1Char('/') + helo)
              .toLatin1();
    const QByteArray from = server->from.mailbox.toLatin1();
    const QByteArray username = server->username.toUtf8();
    char errorBuffer[CURL_ERROR_SIZE] = {};
    CURL *easy = curl.get();
    curl_easy_setopt(easy, CURLOPT_URL, url.constData());
    curl_easy_setopt(easy, CURLOPT_MAIL_FROM, from.constData());
    curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, &readMessage);
    curl_easy_setopt(easy, CURLOPT_READDATA, &upload);
    // Anything but "tls" or "none" (also a missing setting) means STARTTLS, required.
    curl_easy_setopt(easy, CURLOPT_USE_SSL,
                     implicitTls || server->security == QLatin1String("none")
                         ? static_cast<long>(CURLUSESSL_NONE)
                         : static_cast<long>(CURLUSESSL_ALL));
    if (!username.isEmpty()) {
        curl_easy_setopt(easy, CURLOPT_USERNAME, username.constData());
        curl_easy_setopt(easy, CURLOPT_PASSWORD, server->password.constData());
    }
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(draft.timeoutMs));
    // Also bounds each reply, including the one to QUIT at cleanup, where the overall
    // deadline no longer applies.
    curl_easy_setopt(easy, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                     static_cast<long>((draft.timeoutMs + 999) / 1000));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min(draft.timeoutMs, 30000)));
    // Signals would interrupt other worker threads; without them curl times out on its own.
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errorBuffer);

    const CURLcode code = curl_easy_perform(easy);
    if (code != CURLE_OK) {
        // Cleanup would still say QUIT and wait for the answer, which a server busy with the
        // message gives only once it is done with it. The outcome is known; cut the line.
        curl_socket_t socket = CURL_SOCKET_BAD;
        if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK
            && socket != CURL_SOCKET_BAD)
            ::shutdown(socket, SHUT_RDWR);
        long reply = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply);
        const QString detail
            = QString::fromUtf8(errorBuffer[0] ? errorBuffer : curl_easy_strerror(code));
        return classify(code, reply, upload.started, serverText, detail);
    }
    Json accepted = Json::array();
    for (const QString &mailbox : std::as_const(envelope))
        accepted.push_back(mailbox);
    return Json{{"message_id", messageId},
                {"accepted", std::move(accepted)},
                {"server", serverText},
                {"sent_at", formatInstant(QDateTime::currentDateTimeUtc())}};
}

} // namespace

QString EmailSendTool::title() const
{
    return QStringLiteral("Send email");
}

QString EmailSendTool::description() const
{
    return QStringLiteral("Sends one email (plain text, HTML or both) through the SMTP server "
                          "set up in the settings. A step sends its mail at most once, even "
                          "when it is retried.");
}

Json EmailSendTool::inputSchema() const
{
    // "text or html" is checked by invoke() so that its message can name with.text.
    return Json::parse(R"({
      "type": "object", "required": ["to", "subject"], "additionalProperties": false,
      "definitions": {
        "address": {"type": "string", "minLength": 3,
                    "description": "name@example.org or Name <name@example.org>"}},
      "properties": {
        "to": {"oneOf": [{"$ref": "#/definitions/address"},
                         {"type": "array", "minItems": 1,
                          "items": {"$ref": "#/definitions/address"}}]},
        "cc": {"oneOf": [{"$ref": "#/definitions/address"},
                         {"type": "array", "items": {"$ref": "#/definitions/address"}}]},
        "bcc": {"oneOf": [{"$ref": "#/definitions/address"},
                          {"type": "array", "items": {"$ref": "#/definitions/address"}}]},
        "subject": {"type": "string"},
        "text": {"type": "string", "description": "plain-text body"},
        "html": {"type": "string", "description": "HTML body"},
        "reply_to": {"$ref": "#/definitions/address"},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 600}
      }})");
}

Json EmailSendTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["message_id", "accepted", "server", "sent_at"],
      "properties": {"message_id": {"type": "string"},
                     "accepted": {"type": "array", "items": {"type": "string"}},
                     "server": {"type": "string"}, "sent_at": {"type": "string"}}})");
}

Result<Json> EmailSendTool::invoke(const Json &input, ToolContext &context) const
{
    Result<Draft> draft = parseInput(input, context);
    if (!draft)
        return draft.error();
    if (!context.ledger) {
        auto sent = deliver(*draft, environment(), context);
        if (auto *failure = std::get_if<Failure>(&sent))
            return failure->error;
        return std::get<Json>(std::move(sent));
    }

    const QString key
        = QStringLiteral("email.send:%1:%2")
              .arg(context.effectScope.isEmpty() ? context.runId : context.effectScope,
                   context.stepId);
    Result<std::optional<Json>> reserved
        = context.ledger->reserve(key, context.runId, context.stepId);
    if (!reserved)
        return reserved.error();
    if (*reserved)
        return std::move(**reserved);
    auto sent = deliver(*draft, environment(), context);
    if (auto *failure = std::get_if<Failure>(&sent)) {
        if (failure->certainlyNotSent) {
            if (Status released = context.ledger->release(key); !released)
                qWarning("email.send: could not release %s: %s", qPrintable(key),
                         qPrintable(released.error().describe()));
        }
        return failure->error;
    }
    // The mail is out: report it even if the record fails. The reservation stays, so a retry
    // finds a Conflict instead of sending it again.
    Json output = std::get<Json>(std::move(sent));
    if (Status recorded = context.ledger->record(key, output); !recorded)
        qWarning("email.send: sent %s but could not record it: %s", qPrintable(key),
                 qPrintable(recorded.error().describe()));
    return output;
}

} // namespace ordinaut
