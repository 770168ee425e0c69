// Log: spdlog sinks, the line formats and the Qt message handler.
#include "Log.h"

#include <QDir>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

namespace ordinaut {

namespace {

constexpr const char *kDefaultLogger = "ordinaut";

// What the calling thread adds to the line being formatted: the sinks are synchronous, so the
// formatter runs on the thread that logs and reads these.
thread_local LogContext::Fields t_context;
thread_local const char *t_logger = nullptr;
thread_local const Json *t_fields = nullptr;

// Every logger set up stays alive until the process ends: a write on another thread may still
// hold one that setUp() or shutDown() just replaced (a few, in tests; one in the apps).
std::vector<std::shared_ptr<spdlog::logger>> g_loggers;
std::atomic<spdlog::logger *> g_logger{nullptr};
std::atomic<int> g_level{int(LogLevel::Off)};
QtMessageHandler g_previousHandler = nullptr;
std::atomic_bool g_handlerInstalled{false};

const char *levelName(spdlog::level::level_enum level)
{
    switch (level) {
    case spdlog::level::trace:
        return "trace";
    case spdlog::level::debug:
        return "debug";
    case spdlog::level::info:
        return "info";
    case spdlog::level::warn:
        return "warn";
    case spdlog::level::err:
        return "error";
    case spdlog::level::critical:
        return "critical";
    default:
        return "off";
    }
}

// 2026-06-10T12:00:00.123Z
void appendTimestamp(spdlog::memory_buf_t &dest, spdlog::log_clock::time_point time)
{
    const auto since = time.time_since_epoch();
    const qint64 ms = std::chrono::duration_cast<std::chrono::milliseconds>(since).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
#ifdef Q_OS_WIN
    gmtime_s(&utc, &seconds);
#else
    gmtime_r(&seconds, &utc);
#endif
    char text[32];
    const int length = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                                     utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                                     utc.tm_min, utc.tm_sec, int(ms % 1000));
    dest.append(text, text + std::max(0, length));
}

void append(spdlog::memory_buf_t &dest, std::string_view text)
{
    dest.append(text.data(), text.data() + text.size());
}

class LineFormatter final : public spdlog::formatter
{
public:
    explicit LineFormatter(LogFormat format)
        : m_format(format)
    {}

    void format(const spdlog::details::log_msg &msg, spdlog::memory_buf_t &dest) override
    {
        const char *logger = t_logger ? t_logger : kDefaultLogger;
        const std::string_view text(msg.payload.data(), msg.payload.size());
        if (m_format == LogFormat::Json)
            formatJson(msg, logger, text, dest);
        else
            formatText(msg, logger, text, dest);
    }
    std::unique_ptr<spdlog::formatter> clone() const override
    {
        return std::make_unique<LineFormatter>(m_format);
    }

private:
    static void formatJson(const spdlog::details::log_msg &msg, const char *logger,
                           std::string_view text, spdlog::memory_buf_t &dest)
    {
        Json line = Json::object();
        std::string ts;
        {
            spdlog::memory_buf_t stamp;
            appendTimestamp(stamp, msg.time);
            ts.assign(stamp.data(), stamp.size());
        }
        line["ts"] = ts;
        line["level"] = levelName(msg.level);
        line["logger"] = logger;
        line["msg"] = std::string(text);
        if (!t_context.requestId.isEmpty())
            line["request_id"] = t_context.requestId.toStdString();
        if (!t_context.runId.isEmpty())
            line["run_id"] = t_context.runId.toStdString();
        if (!t_context.taskId.isEmpty())
            line["task_id"] = t_context.taskId.toStdString();
        if (t_fields && t_fields->is_object())
            for (const auto &[key, value] : t_fields->items())
                line[key] = value;
        // Invalid UTF-8 in a message (a tool's output) is replaced, never a thrown exception.
        append(dest, line.dump(-1, ' ', false, Json::error_handler_t::replace));
        dest.push_back('\n');
    }

    static void formatText(const spdlog::details::log_msg &msg, const char *logger,
                           std::string_view text, spdlog::memory_buf_t &dest)
    {
        appendTimestamp(dest, msg.time);
        dest.push_back(' ');
        append(dest, levelName(msg.level));
        append(dest, " [");
        append(dest, logger);
        append(dest, "] ");
        append(dest, text);
        auto field = [&](std::string_view key, const std::string &value) {
            dest.push_back(' ');
            append(dest, key);
            dest.push_back('=');
            append(dest, value);
        };
        if (!t_context.requestId.isEmpty())
            field("request_id", t_context.requestId.toStdString());
        if (!t_context.runId.isEmpty())
            field("run_id", t_context.runId.toStdString());
        if (!t_context.taskId.isEmpty())
            field("task_id", t_context.taskId.toStdString());
        if (t_fields && t_fields->is_object())
            for (const auto &[key, value] : t_fields->items())
                field(key, value.is_string() ? value.get<std::string>() : value.dump());
        dest.push_back('\n');
    }

    LogFormat m_format;
};

LogLevel levelOf(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return LogLevel::Debug;
    case QtInfoMsg:
        return LogLevel::Info;
    case QtWarningMsg:
        return LogLevel::Warn;
    case QtCriticalMsg:
        return LogLevel::Error;
    case QtFatalMsg:
        return LogLevel::Critical;
    }
    return LogLevel::Info;
}

void qtMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (!g_logger.load()) {
        if (g_previousHandler)
            g_previousHandler(type, context, message);
        else
            std::fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, message)));
        return;
    }
    // Qt's "default" category is the engine's own qWarning()/qInfo() lines.
    const char *category = context.category && std::strcmp(context.category, "default") != 0
                               ? context.category
                               : kDefaultLogger;
    Log::write(levelOf(type), category, message);
    if (type == QtFatalMsg)
        Log::flush(); // Qt aborts next
}

} // namespace

Status Log::setUp(const LogOptions &options)
{
    std::vector<spdlog::sink_ptr> sinks;
    if (options.console)
        sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    if (!options.directory.isEmpty()) {
        if (!QDir().mkpath(options.directory))
            return Error{ErrorCode::Unavailable,
                         QStringLiteral("cannot create the log folder %1").arg(options.directory),
                         {}};
        const QString file = QDir(options.directory).filePath(QLatin1String(kFileName));
        try {
            sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                QDir::toNativeSeparators(file).toStdString(),
                static_cast<std::size_t>(std::max<qint64>(options.maxFileBytes, 1024)),
                static_cast<std::size_t>(std::max(options.maxFiles, 0))));
        } catch (const spdlog::spdlog_ex &error) {
            return Error{ErrorCode::Unavailable,
                         QStringLiteral("cannot open the log file %1: %2")
                             .arg(file, QString::fromLocal8Bit(error.what())),
                         {}};
        }
    }
    for (const spdlog::sink_ptr &sink : sinks)
        sink->set_formatter(std::make_unique<LineFormatter>(options.format));
    auto logger = std::make_shared<spdlog::logger>(kDefaultLogger, sinks.begin(), sinks.end());
    logger->set_level(static_cast<spdlog::level::level_enum>(options.level));
    // Warnings reach the file at once; the rest within a second (no write per line to disk).
    logger->flush_on(spdlog::level::warn);
    spdlog::drop(kDefaultLogger);
    spdlog::register_logger(logger);
    spdlog::flush_every(std::chrono::seconds(1));

    if (spdlog::logger *previous = g_logger.exchange(nullptr))
        previous->flush();
    g_level = int(options.level);
    g_loggers.push_back(logger);
    g_logger = logger.get();
    if (!g_handlerInstalled.exchange(true))
        g_previousHandler = qInstallMessageHandler(qtMessage);
    return {};
}

void Log::shutDown()
{
    if (spdlog::logger *logger = g_logger.exchange(nullptr))
        logger->flush();
    g_level = int(LogLevel::Off);
    spdlog::drop(kDefaultLogger);
    if (g_handlerInstalled.exchange(false))
        qInstallMessageHandler(g_previousHandler);
}

void Log::flush()
{
    if (spdlog::logger *logger = g_logger.load())
        logger->flush();
}

bool Log::enabled(LogLevel level)
{
    return level != LogLevel::Off && int(level) >= g_level.load(std::memory_order_relaxed)
           && g_logger.load(std::memory_order_relaxed);
}

void Log::write(LogLevel level, const char *logger, const QString &message, const Json &fields)
{
    spdlog::logger *target = g_logger.load();
    if (!target || !enabled(level))
        return;
    const char *previousLogger = std::exchange(t_logger, logger);
    const Json *previousFields = std::exchange(t_fields, &fields);
    target->log(static_cast<spdlog::level::level_enum>(level), "{}", message.toStdString());
    t_logger = previousLogger;
    t_fields = previousFields;
}

std::optional<LogLevel> Log::parseLevel(const QString &text)
{
    const QString name = text.trimmed().toLower();
    if (name == QLatin1String("trace"))
        return LogLevel::Trace;
    if (name == QLatin1String("debug"))
        return LogLevel::Debug;
    if (name == QLatin1String("info"))
        return LogLevel::Info;
    if (name == QLatin1String("warn") || name == QLatin1String("warning"))
        return LogLevel::Warn;
    if (name == QLatin1String("error"))
        return LogLevel::Error;
    if (name == QLatin1String("critical"))
        return LogLevel::Critical;
    if (name == QLatin1String("off"))
        return LogLevel::Off;
    return std::nullopt;
}

std::optional<LogFormat> Log::parseFormat(const QString &text)
{
    const QString name = text.trimmed().toLower();
    if (name == QLatin1String("text"))
        return LogFormat::Text;
    if (name == QLatin1String("json"))
        return LogFormat::Json;
    return std::nullopt;
}

LogContext::LogContext(Fields fields)
    : m_previous(t_context)
{
    // Only the fields given replace the outer context's.
    if (!fields.requestId.isEmpty())
        t_context.requestId = std::move(fields.requestId);
    if (!fields.runId.isEmpty())
        t_context.runId = std::move(fields.runId);
    if (!fields.taskId.isEmpty())
        t_context.taskId = std::move(fields.taskId);
}

LogContext::~LogContext()
{
    t_context = std::move(m_previous);
}

const LogContext::Fields &LogContext::current()
{
    return t_context;
}

} // namespace ordinaut
