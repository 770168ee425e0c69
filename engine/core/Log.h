// Log: the process's structured logs through spdlog — a size-rotated file in the data folder
// plus the console, as text or JSON lines — and Qt's own messages (qDebug … qFatal) routed
// into them. LogContext carries the request, run and task a thread works for into every line
// it writes, so one request id ties an API call to the runs it queued.
#pragma once

#include "Json.h"
#include "Result.h"

#include <QString>

#include <optional>

namespace ordinaut {

enum class LogFormat { Text, Json };
enum class LogLevel { Trace, Debug, Info, Warn, Error, Critical, Off };

struct LogOptions
{
    QString directory; // the file goes to <directory>/ordinaut.log; empty: no file
    LogFormat format = LogFormat::Text;
    LogLevel level = LogLevel::Info;
    bool console = true; // standard error
    qint64 maxFileBytes = 10 * 1024 * 1024;
    int maxFiles = 5; // rotated copies kept besides the current file
};

class Log final
{
public:
    static constexpr const char *kFileName = "ordinaut.log";

    // Replaces the sinks and installs the Qt message handler. Call from main() before other
    // threads log. Unavailable when the folder or file cannot be created.
    static Status setUp(const LogOptions &options);
    // Flushes, drops the sinks and gives Qt its own message handler back.
    static void shutDown();
    static void flush();
    // Whether a line at `level` would be written (false before setUp()).
    static bool enabled(LogLevel level);

    // A line from `logger` ("http", "worker"…) with extra fields (a JSON object: JSON members,
    // or key=value in text), besides the thread's LogContext. Any thread.
    static void write(LogLevel level, const char *logger, const QString &message,
                      const Json &fields = Json());

    // "trace" … "critical", "off" ("warning" too); nullopt for anything else.
    static std::optional<LogLevel> parseLevel(const QString &text);
    static std::optional<LogFormat> parseFormat(const QString &text);
};

// What the current thread works for, added to each line it logs while the context lives;
// nested contexts replace fields they set and restore them when they end.
class LogContext final
{
public:
    struct Fields
    {
        QString requestId;
        QString runId;
        QString taskId;
    };
    explicit LogContext(Fields fields);
    ~LogContext();
    Q_DISABLE_COPY_MOVE(LogContext)

    static const Fields &current();

private:
    Fields m_previous;
};

} // namespace ordinaut
