// ordinaut-server: the headless Ordinaut. `serve` runs the engine and the local API; `token
// create` makes a new agent and prints an access token for it. Links no QtWidgets/QtGui.
#include "McpCommand.h"
#include "ServerHost.h"
#include "SignalWatcher.h"

#include "api/Authenticator.h"
#include "api/HttpApi.h"
#include "api/OpenApi.h"
#include "core/Clock.h"
#include "core/Log.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "schedule/BusinessCalendar.h"
#include "secrets/SecretStore.h"
#include "secrets/SigningSecret.h"
#include "service/ScheduleService.h"
#include "service/Services.h"
#include "store/DataDir.h"
#include "tools/ToolEnvironment.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTextStream>

#include <cstdio>

using namespace ordinaut;

namespace {

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

void warn(const QString &message)
{
    err() << "warning: " << message << Qt::endl;
}

int fail(const QString &message, int code = 1)
{
    err() << "ordinaut-server: " << message << Qt::endl;
    return code;
}

const char *const kUsage = R"(Usage:
  ordinaut-server serve [--data-dir DIR] [--listen HOST:PORT] [--lease-ms N] [--allow-host NAME]
                        [--log-format text|json] [--log-level LEVEL] [--mcp-allow-anonymous]
  ordinaut-server token create [--data-dir DIR] [--name NAME]
  ordinaut-server secret set NAME [--data-dir DIR]   store a secret read from standard input:
                          email.smtp.password or llm.<provider>.api_key
  ordinaut-server preview --kind rrule|cron|once|event|manual [--expr EXPR] [--tz ZONE]
                          [--dtstart LOCAL] [--count N] [--after INSTANT] [--calendar FILE.ics]
  ordinaut-server run FILE.json [--data-dir DIR]   run a pipeline document once, print the run
  ordinaut-server openapi                          print the API's OpenAPI 3.1 document
  ordinaut-server mcp [--data-dir DIR]             MCP on stdin/stdout as the agent named by
                          ORDINAUT_AGENT_ID and ORDINAUT_AGENT_SECRET (forwards to a running
                          engine of that data folder, else hosts one)

The data folder defaults to $ORDINAUT_DATA_DIR, else the platform's application-data folder.
)";

// Below this a lease would run out between two renewals (every third of it) whenever a busy
// machine is a little late, and runs would be taken over while they go on.
constexpr qint64 kMinLeaseMs = 200;

int serve(const QCommandLineParser &parser, const QString &dataDir)
{
    Result<ListenAddress> address = ListenAddress::parse(parser.value(QStringLiteral("listen")));
    if (!address)
        return fail(address.error().describe(), 2);
    EngineOptions options;
    options.dataDir = dataDir;
    if (parser.isSet(QStringLiteral("lease-ms"))) {
        bool ok = false;
        const QString text = parser.value(QStringLiteral("lease-ms"));
        options.leaseMs = text.toLongLong(&ok);
        if (!ok || options.leaseMs < kMinLeaseMs)
            return fail(QStringLiteral("--lease-ms: '%1' is not a number of milliseconds of at "
                                       "least %2 (default %3)")
                            .arg(text)
                            .arg(kMinLeaseMs)
                            .arg(EngineOptions{}.leaseMs),
                        2);
    }
    // Logs: standard error and <data dir>/logs/ordinaut.log (rotated at 10 MiB, 5 kept).
    LogOptions logging;
    logging.directory = QDir(dataDir).filePath(QStringLiteral("logs"));
    const std::optional<LogFormat> format
        = Log::parseFormat(parser.value(QStringLiteral("log-format")));
    if (!format)
        return fail(QStringLiteral("--log-format: '%1' is neither text nor json")
                        .arg(parser.value(QStringLiteral("log-format"))),
                    2);
    logging.format = *format;
    const std::optional<LogLevel> level
        = Log::parseLevel(parser.value(QStringLiteral("log-level")));
    if (!level)
        return fail(QStringLiteral("--log-level: '%1' is not one of trace, debug, info, warn, "
                                   "error, critical, off")
                        .arg(parser.value(QStringLiteral("log-level"))),
                    2);
    logging.level = *level;
    if (Status logged = Log::setUp(logging); !logged)
        return fail(logged.error().describe());
    const auto closeLog = qScopeGuard([] { Log::shutDown(); });
    if (!address->host.isLoopback())
        warn(QStringLiteral(
                 "listening on %1, which other machines can reach; every /api/v1 route still "
                 "needs a token")
                 .arg(address->host.toString()));
    Result<std::unique_ptr<ServerHost>> host = ServerHost::create(options, warn);
    if (!host)
        return fail(host.error().describe());
    if (parser.isSet(QStringLiteral("mcp-allow-anonymous"))) {
        (*host)->api().allowAnonymousMcp(true);
        const QString loud = QStringLiteral(
            "--mcp-allow-anonymous: any program on this machine may use /mcp WITHOUT a token, as "
            "a read-only agent (tasks:read, runs:read). Meant for MCP test suites; do not leave "
            "it on.");
        warn(loud);
        Log::write(LogLevel::Warn, "mcp", loud, Json::object());
    }
    (*host)->startEngine();
    Result<quint16> port = (*host)->startApi(*address, parser.values(QStringLiteral("allow-host")));
    if (!port)
        return fail(port.error().describe());
    address->port = *port;

    QTextStream out(stdout);
    out << "Ordinaut is serving at " << address->url() << Qt::endl;
    err() << "Data folder: " << dataDir << Qt::endl
          << "Health: curl " << address->url() << "/health" << Qt::endl
          << "Get a token: " << QCoreApplication::applicationFilePath()
          << " token create --data-dir '" << dataDir << "' --name my-agent" << Qt::endl
          << "Then: curl -H \"Authorization: Bearer $TOKEN\" " << address->url() << "/api/v1/tasks"
          << Qt::endl;

    SignalWatcher watcher;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, qApp, &QCoreApplication::quit);
    const int code = QCoreApplication::exec();
    (*host)->stop();
    err() << "Ordinaut stopped." << Qt::endl;
    return code;
}

// Reads a secret from standard input (so it never shows in the process list or shell history)
// and stores it for the tools: email.smtp.password or llm.<provider>.api_key.
int setSecret(const QString &name, const QString &dataDir)
{
    Result<std::unique_ptr<Engine>> engine = Engine::create(EngineOptions{dataDir, 1, nullptr});
    if (!engine)
        return fail(engine.error().describe());
    (*engine)->toolEnvironment().setSecrets(openSecretStore(dataDir, warn));
    Services services(**engine);
    QFile input;
    if (!input.open(stdin, QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot read standard input"));
    QByteArray value = input.readAll();
    while (value.endsWith('\n') || value.endsWith('\r'))
        value.chop(1);
    if (Status stored = services.secrets.set(name, value, QStringLiteral("cli")); !stored)
        return fail(stored.error().describe(), 2);
    err() << "Stored " << name << " in " << (*engine)->toolEnvironment().secrets()->describe()
          << "." << Qt::endl;
    return 0;
}

int createToken(const QCommandLineParser &parser, const QString &dataDir)
{
    Result<std::unique_ptr<Engine>> engine = Engine::create(EngineOptions{dataDir, 1, nullptr});
    if (!engine)
        return fail(engine.error().describe());
    Result<QByteArray> secret = SigningSecret::loadOrCreate(dataDir, warn);
    if (!secret)
        return fail(QStringLiteral("cannot keep the token signing key: ")
                    + secret.error().describe());
    Services services(**engine);
    const QString name = parser.isSet(QStringLiteral("name")) ? parser.value(QStringLiteral("name"))
                                                              : QStringLiteral("cli-agent");
    Result<Agent> agent
        = services.agents.create(name, {QStringLiteral("*")}, QStringLiteral("cli"));
    if (!agent)
        return fail(agent.error().describe(), 2);
    Authenticator auth((*engine)->database(), services.agents, *secret, (*engine)->clock());
    Result<QString> agentSecret = auth.newSecret(agent->id, QStringLiteral("cli"));
    if (!agentSecret)
        return fail(agentSecret.error().describe(), 2);
    Result<Authenticator::Tokens> tokens = auth.issue(*agent);
    if (!tokens)
        return fail(tokens.error().describe(), 2);
    err() << "Created agent '" << agent->name << "' (" << agent->id << ") with full rights in "
          << dataDir << "." << Qt::endl
          << "Its secret (shown only now): " << *agentSecret << Qt::endl
          << "The access token below works for " << Authenticator::kAccessSeconds / 60
          << " minutes; send it as: Authorization: Bearer <token>. Then get new ones with "
             "POST /auth/token {\"agent_id\": \""
          << agent->id << "\", \"secret\": \"…\"}, or POST /auth/refresh with this refresh "
          << "token: " << tokens->refreshToken << Qt::endl;
    QTextStream(stdout) << tokens->accessToken << Qt::endl;
    return 0;
}

// Runs a pipeline document once on a whole engine and prints the run record as JSON: the data
// folder keeps it when given, a temporary one is used otherwise. Exit 0 only if it succeeded.
int runOnce(const QString &file, const QString &dataDirOption)
{
    QFile input(file);
    if (!input.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("%1: %2").arg(file, input.errorString()), 2);
    const auto document = parseJson(input.readAll());
    if (!document || !document->is_object())
        return fail(QStringLiteral("%1: not a JSON object (a pipeline document: "
                                   "{\"params\": {…}, \"pipeline\": [{\"id\", \"uses\", "
                                   "\"with\"}, …]})")
                        .arg(file),
                    2);
    QTemporaryDir scratch;
    const QString dataDir = dataDirOption.isEmpty() ? scratch.path() : dataDirOption;
    Result<std::unique_ptr<Engine>> engine = Engine::create(EngineOptions{dataDir, 1, nullptr});
    if (!engine)
        return fail(engine.error().describe());
    // With --data-dir the user's own settings and secrets apply (SMTP, LLM keys, allowed
    // folders); a scratch folder has the defaults.
    (*engine)->toolEnvironment().setSecrets(openSecretStore(
        dataDir, [](const QString &message) { qWarning("%s", qPrintable(message)); }));
    Services services(**engine);
    // A task document ({"title", "payload", …}) runs as it is; a bare pipeline document becomes
    // the payload of a manual task named after the file.
    Json task = document->contains("payload") ? *document : Json{{"payload", *document}};
    task["schedule_kind"] = "manual";
    task.erase("schedule_expr");
    if (!task.contains("title"))
        task["title"] = QFileInfo(file).completeBaseName();
    Result<Task> created = services.tasks.create(task, QStringLiteral("cli"));
    if (!created)
        return fail(QStringLiteral("%1: %2").arg(file, created.error().describe()), 2);

    QEventLoop loop;
    QString runId;
    QObject::connect(&(*engine)->eventBus(), &EventBus::eventPublished, &loop,
                     [&](const Event &event) {
                         if (event.payload.value("run_id", std::string()) != runId.toStdString())
                             return;
                         // A short time.wait is waited out; a person's approval cannot come
                         // in a one-off run, so the run is reported as it stands.
                         if (event.topic == QLatin1String("run.finished")
                             || event.topic == QLatin1String("approval.requested"))
                             loop.quit();
                     });
    (*engine)->start();
    Result<Run> queued
        = services.runs.runNow(created->id, RunTrigger::Manual, QStringLiteral("cli"));
    if (!queued)
        return fail(queued.error().describe());
    runId = queued->id;
    // The run may have finished before the connection saw it: look once, then wait.
    if (Result<Run> now = services.runs.get(runId, false);
        !now || (!now->isFinished() && now->status != RunStatus::WaitingApproval))
        loop.exec();
    (*engine)->stop();
    Result<Run> run = services.runs.get(runId, true);
    if (!run)
        return fail(run.error().describe());
    QTextStream(stdout) << QString::fromUtf8(dumpJson(run->toJson(true))) << Qt::endl;
    return run->status == RunStatus::Succeeded ? 0 : 1;
}

// Prints the next occurrences of a schedule as JSON, exactly as POST /api/v1/schedules/preview
// answers. Needs no data folder.
int preview(const QCommandLineParser &parser)
{
    Json body = Json::object();
    const std::pair<const char *, const char *> fields[] = {{"kind", "schedule_kind"},
                                                            {"expr", "schedule_expr"},
                                                            {"tz", "timezone"},
                                                            {"dtstart", "dtstart"},
                                                            {"after", "after"}};
    for (const auto &[option, field] : fields) {
        if (parser.isSet(QString::fromLatin1(option)))
            body[field] = parser.value(QString::fromLatin1(option));
    }
    if (parser.isSet(QStringLiteral("count"))) {
        bool ok = false;
        const int count = parser.value(QStringLiteral("count")).toInt(&ok);
        if (!ok)
            return fail(QStringLiteral("--count: '%1' is not a number")
                            .arg(parser.value(QStringLiteral("count"))),
                        2);
        body["count"] = count;
    }
    // --calendar FILE.ics: a business calendar read from the file, named after it
    // ("us-holidays.ics" is the calendar "us-holidays", as if imported under that name).
    ScheduleService::CalendarLookup calendars;
    if (parser.isSet(QStringLiteral("calendar"))) {
        const QString path = parser.value(QStringLiteral("calendar"));
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return fail(
                QStringLiteral("--calendar: cannot read '%1': %2").arg(path, file.errorString()),
                2);
        const QString name = QFileInfo(path).completeBaseName();
        Result<BusinessCalendar> calendar = BusinessCalendar::fromIcs(name, file.readAll());
        if (!calendar)
            return fail(QStringLiteral("--calendar: %1: %2").arg(path, calendar.error().describe()),
                        2);
        body["calendar"] = name;
        calendars = [calendar = *calendar](const QString &) { return calendar; };
    }
    Result<SchedulePreview> result
        = ScheduleService(SystemClock::instance(), calendars).preview(body);
    if (!result) {
        // Name the option, not the API field, on the command line.
        Error error = result.error();
        static const QHash<QString, QString> kOptions
            = {{QStringLiteral("schedule_kind"), QStringLiteral("--kind")},
               {QStringLiteral("schedule_expr"), QStringLiteral("--expr")},
               {QStringLiteral("timezone"), QStringLiteral("--tz")},
               {QStringLiteral("dtstart"), QStringLiteral("--dtstart")},
               {QStringLiteral("count"), QStringLiteral("--count")},
               {QStringLiteral("after"), QStringLiteral("--after")},
               {QStringLiteral("calendar"), QStringLiteral("--calendar")}};
        error.field = kOptions.value(error.field, error.field);
        return fail(error.describe(), 2);
    }
    QTextStream(stdout) << QString::fromUtf8(dumpJson(result->toJson())) << Qt::endl;
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Ordinaut"));
    QCoreApplication::setApplicationName(QStringLiteral("Ordinaut"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ORDINAUT_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Ordinaut headless server"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("command"),
        QStringLiteral(
            "serve | mcp | token create | secret set NAME | preview | run FILE.json | openapi"));
    parser.addOption(
        {QStringLiteral("data-dir"), QStringLiteral("Data folder."), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("listen"),
                      QStringLiteral("Address to serve on (default 127.0.0.1:8080)."),
                      QStringLiteral("HOST:PORT"), QStringLiteral("127.0.0.1:8080")});
    parser.addOption(
        {QStringLiteral("name"), QStringLiteral("Name of the new agent."), QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("allow-host"),
                      QStringLiteral("serve: a name clients may use to reach the API besides "
                                     "localhost and 127.0.0.1 (requests naming any other host "
                                     "are refused). Repeatable."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("mcp-allow-anonymous"),
                      QStringLiteral("serve: let loopback clients without a token use /mcp as a "
                                     "read-only agent (for MCP test suites; off by default).")});
    parser.addOption({QStringLiteral("lease-ms"),
                      QStringLiteral("serve: how long a run's lease lasts without renewal, so how "
                                     "soon another engine takes over the runs of one that died "
                                     "(default %1, at least %2).")
                          .arg(EngineOptions{}.leaseMs)
                          .arg(kMinLeaseMs),
                      QStringLiteral("N")});
    parser.addOption({QStringLiteral("log-format"),
                      QStringLiteral("serve: log lines as text or json (JSON lines with ts, level, "
                                     "logger, msg, request_id, run_id, task_id)."),
                      QStringLiteral("text|json"), QStringLiteral("text")});
    parser.addOption({QStringLiteral("log-level"),
                      QStringLiteral("serve: the least severe level logged: trace, debug, info, "
                                     "warn, error, critical or off (default info)."),
                      QStringLiteral("LEVEL"), QStringLiteral("info")});
    const std::pair<const char *, const char *> previewOptions[]
        = {{"kind", "preview: schedule kind (rrule, cron, once, event, manual)"},
           {"expr", "preview: the RRULE, cron line, instant or topic"},
           {"tz", "preview: IANA time zone (default UTC)"},
           {"dtstart", "preview: local start of an RRULE, e.g. 2026-03-07T02:30:00"},
           {"count", "preview: how many occurrences (1-100, default 10)"},
           {"after", "preview: list occurrences from this instant (default now)"},
           {"calendar", "preview: an .ics file of days off to skip"}};
    for (const auto &[name, help] : previewOptions)
        parser.addOption(
            {QString::fromLatin1(name), QString::fromLatin1(help), QStringLiteral("VALUE")});
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    if (args == QStringList{QStringLiteral("preview")})
        return preview(parser);
    if (args == QStringList{QStringLiteral("openapi")}) {
        const Result<Json> &document = OpenApi::document();
        if (!document)
            return fail(document.error().describe());
        const QByteArray text = dumpJson(*document) + '\n';
        std::fwrite(text.constData(), 1, static_cast<size_t>(text.size()), stdout);
        return 0;
    }
    if (args.size() == 2 && args[0] == QLatin1String("run"))
        return runOnce(args[1], parser.isSet(QStringLiteral("data-dir"))
                                    ? resolveDataDir(parser.value(QStringLiteral("data-dir")))
                                    : QString());
    const QString dataDir = resolveDataDir(parser.value(QStringLiteral("data-dir")));
    if (dataDir.isEmpty())
        return fail(QStringLiteral("no data folder: pass --data-dir DIR or set ORDINAUT_DATA_DIR"),
                    2);
    if (args == QStringList{QStringLiteral("serve")})
        return serve(parser, dataDir);
    if (args == QStringList{QStringLiteral("mcp")})
        return runMcpStdio(dataDir);
    if (args == QStringList{QStringLiteral("token"), QStringLiteral("create")})
        return createToken(parser, dataDir);
    if (args.size() == 3 && args[0] == QLatin1String("secret") && args[1] == QLatin1String("set"))
        return setSecret(args[2], dataDir);
    err() << QString::fromLatin1(kUsage);
    return 2;
}
