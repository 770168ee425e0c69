// SmtpSink: the server is a short Python script; it reports its port on stdout once it accepts
// connections and appends each message as one JSON line to a file the test reads.
#include "SmtpSink.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QStandardPaths>

namespace ordinaut::test {

namespace {

// argv: log file, then "user:password" when AUTH is required. Runs until stdin closes.
const char kScript[] = R"PY(
import asyncio, email, email.policy, json, logging, socket, sys, warnings
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# Tests provoke refusals on purpose (no AUTH over TLS, TLS hellos to a plain server).
warnings.simplefilter('ignore')
logging.getLogger('mail.log').setLevel(logging.ERROR)

log_path = sys.argv[1]
credentials = sys.argv[2].encode() if len(sys.argv) > 2 else b''

def parts_of(message):
    for part in message.walk():
        if not part.is_multipart():
            content = part.get_content()
            if isinstance(content, str):
                content = content.replace('\r\n', '\n')
            else:
                content = content.decode('utf-8', 'replace')
            yield {'type': part.get_content_type(), 'content': content}

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith('refused'):
            return '550 5.1.1 no such mailbox here'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        if b'slow-reply-please' in envelope.content:
            await asyncio.sleep(5)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        headers = {}
        for name, value in message.items():
            headers.setdefault(name.lower(), []).append(str(value))
        record = {'mail_from': envelope.mail_from, 'rcpt_tos': envelope.rcpt_tos,
                  'raw': envelope.content.decode('utf-8', 'replace'),
                  'content_type': message.get_content_type(), 'headers': headers,
                  'parts': list(parts_of(message)),
                  'defects': [type(d).__name__ for d in message.defects]}
        with open(log_path, 'a', encoding='utf-8') as log:
            log.write(json.dumps(record) + '\n')
        return '250 2.0.0 accepted'

def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and \
        auth_data.login + b':' + auth_data.password == credentials
    return AuthResult(success=ok, handled=False)

probe = socket.socket()
probe.bind(('127.0.0.1', 0))
port = probe.getsockname()[1]
probe.close()
options = {}
if credentials:
    options = dict(authenticator=authenticate, auth_required=True, auth_require_tls=False)
controller = Controller(Handler(), hostname='127.0.0.1', port=port, **options)
controller.start()
print('listening', port, flush=True)
sys.stdin.read()
controller.stop()
)PY";

} // namespace

SmtpSink::SmtpSink() = default;

SmtpSink::~SmtpSink()
{
    stop();
}

QString SmtpSink::python()
{
    static const QString found = [] {
        QStringList candidates{qEnvironmentVariable("ORDINAUT_TEST_PYTHON"),
                               QStandardPaths::findExecutable(QStringLiteral("python3")),
                               QStringLiteral("/usr/bin/python3")};
        for (const QString &candidate : std::as_const(candidates)) {
            if (candidate.isEmpty())
                continue;
            QProcess probe;
            probe.start(candidate, {QStringLiteral("-c"), QStringLiteral("import aiosmtpd")});
            if (probe.waitForFinished(15000) && probe.exitStatus() == QProcess::NormalExit
                && probe.exitCode() == 0)
                return candidate;
        }
        return QString();
    }();
    return found;
}

bool SmtpSink::start()
{
    return start(Credentials{});
}

bool SmtpSink::start(const Credentials &credentials)
{
    stop();
    const QString interpreter = python();
    if (interpreter.isEmpty()) {
        m_error = QStringLiteral("no Python 3 with aiosmtpd found; install python3-aiosmtpd or "
                                 "set ORDINAUT_TEST_PYTHON");
        return false;
    }
    QStringList arguments{QStringLiteral("-c"), QString::fromUtf8(kScript),
                          QDir(m_dir.path()).filePath(QStringLiteral("messages.jsonl"))};
    if (!credentials.username.isEmpty())
        arguments << credentials.username + QLatin1Char(':') + credentials.password;
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.start(interpreter, arguments);
    if (!m_process.waitForStarted(10000)) {
        m_error = QStringLiteral("cannot start %1: %2").arg(interpreter, m_process.errorString());
        return false;
    }
    QDeadlineTimer deadline(20000);
    while (!m_process.canReadLine() && !deadline.hasExpired()
           && m_process.state() == QProcess::Running)
        m_process.waitForReadyRead(static_cast<int>(deadline.remainingTime()));
    const QList<QByteArray> words = m_process.readLine().trimmed().split(' ');
    if (words.size() != 2 || words[0] != "listening" || words[1].toUShort() == 0) {
        m_error = QStringLiteral("the SMTP sink did not start listening");
        stop();
        return false;
    }
    m_port = words[1].toUShort();
    return true;
}

void SmtpSink::stop()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(3000)) {
            m_process.kill();
            m_process.waitForFinished(3000);
        }
    }
    m_port = 0;
}

std::vector<Json> SmtpSink::messages() const
{
    std::vector<Json> list;
    QFile file(QDir(m_dir.path()).filePath(QStringLiteral("messages.jsonl")));
    if (!file.open(QIODevice::ReadOnly))
        return list;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        std::optional<Json> parsed = parseJson(line);
        list.push_back(parsed ? std::move(*parsed) : Json(nullptr));
    }
    return list;
}

void SmtpSink::clear()
{
    QFile::remove(QDir(m_dir.path()).filePath(QStringLiteral("messages.jsonl")));
}

} // namespace ordinaut::test
