// shell.run: permission check, then QProcess driven by its blocking waits on the worker thread.
#include "ShellRunTool.h"

#include "CancelWatch.h"

#include "ToolEnvironment.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace ordinaut {

namespace {

// Resolves `program` to an executable if the allow-list names it: either the same absolute
// path, or the same bare name (looked up in PATH). A bare name in the input must be allowed as
// that name; an absolute path must be allowed as that path or be what an allowed name resolves
// to, so "/tmp/evil/ls" never passes for "ls".
Result<QString> allowedExecutable(const ToolEnvironment &environment, const QString &program)
{
    if (!environment.setting("tools.shell.enabled").is_boolean()
        || !environment.setting("tools.shell.enabled").get<bool>())
        return Error{ErrorCode::PermissionDenied,
                     QStringLiteral("shell.run is turned off; turn on the setting "
                                    "tools.shell.enabled and list the program in "
                                    "tools.shell.allowed_programs"),
                     {}};
    const Json allowed = environment.setting("tools.shell.allowed_programs");
    QStringList names;
    for (const Json &entry : allowed.is_array() ? allowed : Json::array()) {
        const QString name = entry.get<QString>();
        names << name;
        const QString resolved
            = QDir::isAbsolutePath(name) ? name : QStandardPaths::findExecutable(name);
        if (resolved.isEmpty())
            continue;
        const bool matches = program == name
                             || (QDir::isAbsolutePath(program)
                                 && QFileInfo(program).canonicalFilePath()
                                        == QFileInfo(resolved).canonicalFilePath());
        if (!matches)
            continue;
        if (!QFileInfo(resolved).isExecutable())
            return Error::invalid(QStringLiteral("with.program"),
                                  QStringLiteral("'%1' is not an executable file").arg(resolved));
        return resolved;
    }
    return Error{ErrorCode::PermissionDenied,
                 QStringLiteral("'%1' is not in tools.shell.allowed_programs (%2)")
                     .arg(program, names.isEmpty() ? QStringLiteral("empty")
                                                   : names.join(QStringLiteral(", "))),
                 QStringLiteral("with.program")};
}

// Appends what is available to `buffer`, keeping at most `cap` bytes.
void take(QByteArray *buffer, const QByteArray &data, qint64 cap, bool *truncated)
{
    const qint64 room = cap - buffer->size();
    if (data.size() > room) {
        *truncated = true;
        buffer->append(data.left(std::max<qint64>(room, 0)));
    } else {
        buffer->append(data);
    }
}

} // namespace

QString ShellRunTool::title() const
{
    return QStringLiteral("Run a program");
}

QString ShellRunTool::description() const
{
    return QStringLiteral(
        "Starts an allowed program with arguments (no shell), optional working folder, "
        "environment and standard input; returns exit code, stdout and stderr. A non-zero exit "
        "fails the step unless check is false. Turned off until enabled in the settings.");
}

Json ShellRunTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["program"], "additionalProperties": false,
      "properties": {
        "program": {"type": "string", "minLength": 1},
        "args": {"type": "array", "items": {"type": "string"}},
        "cwd": {"type": "string", "minLength": 1},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "stdin": {"type": "string"},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
        "max_output_bytes": {"type": "integer", "minimum": 1, "maximum": 67108864},
        "check": {"type": "boolean", "default": true}
      }})");
}

Json ShellRunTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["exit_code", "stdout", "stderr", "truncated", "duration_ms"],
      "properties": {"exit_code": {"type": "integer"}, "stdout": {"type": "string"},
                     "stderr": {"type": "string"}, "truncated": {"type": "boolean"},
                     "duration_ms": {"type": "integer"}}})");
}

Result<Json> ShellRunTool::invoke(const Json &input, ToolContext &context) const
{
    Result<QString> program = allowedExecutable(environment(), input["program"].get<QString>());
    if (!program)
        return program.error();
    QStringList args;
    for (const Json &arg : input.value("args", Json::array()))
        args << arg.get<QString>();
    int timeoutMs = context.timeoutMs;
    if (input.contains("timeout_seconds"))
        timeoutMs
            = std::min(timeoutMs, static_cast<int>(input["timeout_seconds"].get<double>() * 1000));
    const qint64 cap = input.value("max_output_bytes", kDefaultMaxOutputBytes);

    QProcess process;
    process.setProgram(*program);
    process.setArguments(args);
    if (input.contains("cwd")) {
        const QString cwd = input["cwd"].get<QString>();
        if (!QFileInfo(cwd).isDir())
            return Error::invalid(QStringLiteral("with.cwd"),
                                  QStringLiteral("'%1' is not a folder").arg(cwd));
        process.setWorkingDirectory(cwd);
    }
    if (input.contains("env")) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const auto &[key, value] : input["env"].items())
            env.insert(qs(key), value.get<QString>());
        process.setProcessEnvironment(env);
    }
    QDeadlineTimer deadline(timeoutMs);
    process.start();
    if (!process.waitForStarted(static_cast<int>(std::max<qint64>(deadline.remainingTime(), 1))))
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot start '%1': %2").arg(*program, process.errorString()),
                     QStringLiteral("with.program")};
    if (input.contains("stdin"))
        process.write(input["stdin"].get<QString>().toUtf8());
    process.closeWriteChannel();

    QByteArray out;
    QByteArray err;
    bool truncated = false;
    bool timedOut = false;
    bool canceled = false;
    while (process.state() != QProcess::NotRunning) {
        canceled = context.isCanceled();
        if (canceled || deadline.hasExpired()) {
            timedOut = !canceled;
            process.kill();
            process.waitForFinished(5000);
            break;
        }
        process.waitForReadyRead(
            static_cast<int>(std::min<qint64>(deadline.remainingTime(), CancelWatch::kPollMs)));
        take(&out, process.readAllStandardOutput(), cap, &truncated);
        take(&err, process.readAllStandardError(), cap, &truncated);
    }
    take(&out, process.readAllStandardOutput(), cap, &truncated);
    take(&err, process.readAllStandardError(), cap, &truncated);
    const qint64 durationMs = timeoutMs - std::max<qint64>(deadline.remainingTime(), 0);

    if (canceled)
        return context.cancellation->error();
    if (timedOut)
        return Error{ErrorCode::Timeout,
                     QStringLiteral("'%1' did not finish within %2 ms and was stopped")
                         .arg(*program)
                         .arg(timeoutMs),
                     {}};
    const int exitCode = process.exitStatus() == QProcess::CrashExit ? -1 : process.exitCode();
    if (input.value("check", true) && exitCode != 0) {
        QString excerpt = QString::fromUtf8(err.right(500)).trimmed();
        return Error{ErrorCode::Unavailable,
                     process.exitStatus() == QProcess::CrashExit
                         ? QStringLiteral("'%1' crashed").arg(*program)
                         : QStringLiteral("'%1' exited with code %2%3")
                               .arg(*program)
                               .arg(exitCode)
                               .arg(excerpt.isEmpty() ? QString() : QStringLiteral(": ") + excerpt),
                     {}};
    }
    return Json{{"exit_code", exitCode},
                {"stdout", QString::fromUtf8(out)},
                {"stderr", QString::fromUtf8(err)},
                {"truncated", truncated},
                {"duration_ms", durationMs}};
}

} // namespace ordinaut
