// TaskInput: field-by-field validation of task bodies.
#include "TaskInput.h"

#include "ScheduleInput.h"
#include "TaskService.h"

#include "core/Id.h"
#include "pipeline/PipelineChecker.h"
#include "schedule/Recurrence.h"

#include <QSet>
#include <QUrlQuery>

namespace ordinaut {

namespace {

const QSet<QString> kWritable = {QStringLiteral("title"),
                                 QStringLiteral("description"),
                                 QStringLiteral("schedule_kind"),
                                 QStringLiteral("schedule_expr"),
                                 QStringLiteral("timezone"),
                                 QStringLiteral("dtstart"),
                                 QStringLiteral("calendar"),
                                 QStringLiteral("payload"),
                                 QStringLiteral("priority"),
                                 QStringLiteral("max_retries"),
                                 QStringLiteral("misfire_policy"),
                                 QStringLiteral("misfire_grace_seconds"),
                                 QStringLiteral("backoff_strategy"),
                                 QStringLiteral("retry_base_ms"),
                                 QStringLiteral("retry_max_ms"),
                                 QStringLiteral("concurrency_key"),
                                 QStringLiteral("concurrency_limit"),
                                 QStringLiteral("overlap_policy"),
                                 QStringLiteral("dedupe_key"),
                                 QStringLiteral("dedupe_window_seconds"),
                                 QStringLiteral("timeout_seconds")};
// Fields a client may echo back from a GET; they are ignored (version is a precondition).
const QSet<QString> kReadOnly
    = {QStringLiteral("id"),          QStringLiteral("status"),     QStringLiteral("version"),
       QStringLiteral("next_run_at"), QStringLiteral("created_at"), QStringLiteral("updated_at"),
       QStringLiteral("created_by")};
constexpr int kMaxTitle = 200;
constexpr int kMaxDescription = 10000;
constexpr int kMaxKey = 200;
constexpr int kMaxConcurrencyLimit = 1000;
constexpr int kMaxDedupeWindowSeconds = 30 * 86400;
constexpr int kMaxTimeoutSeconds = 7 * 86400;
constexpr int kDefaultPageSize = 50;
constexpr auto kCursorEncoding = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

// ?name=N within [min, max]; `fallback` when absent.
Result<int> queryInt(const QUrlQuery &query, const QString &name, int fallback, int min, int max)
{
    if (!query.hasQueryItem(name))
        return fallback;
    bool ok = false;
    const int value = query.queryItemValue(name).toInt(&ok);
    if (!ok || value < min || value > max)
        return Error::invalid(name,
                              QStringLiteral("must be an integer from %1 to %2").arg(min).arg(max));
    return value;
}

// A cursor is "<created_at ms>.<id>" in base64url: opaque to clients, checked when read.
Result<TaskCursor> parseCursor(const QString &text)
{
    const Error garbled = Error::invalid(
        QStringLiteral("cursor"),
        QStringLiteral("is not a cursor this list gave out (pass next_cursor from the previous "
                       "page unchanged)"));
    const QByteArray::FromBase64Result decoded = QByteArray::fromBase64Encoding(
        text.toLatin1(), kCursorEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || text.isEmpty() || text.size() > 200)
        return garbled;
    const QList<QByteArray> parts = decoded.decoded.split('.');
    if (parts.size() != 2)
        return garbled;
    bool ok = false;
    const qint64 createdMs = parts[0].toLongLong(&ok);
    const QString id = QString::fromLatin1(parts[1]);
    if (!ok || createdMs < 0 || !isUuid(id))
        return garbled;
    return TaskCursor{QDateTime::fromMSecsSinceEpoch(createdMs, Qt::UTC), id};
}

Result<QString> stringField(const Json &body, const char *key, bool allowEmpty, int maxLength)
{
    const Json &value = body[key];
    if (!value.is_string())
        return Error::invalid(QString::fromLatin1(key),
                              QStringLiteral("must be a string, got %1").arg(jsonTypeName(value)));
    const QString text = value.get<QString>();
    if (!allowEmpty && text.trimmed().isEmpty())
        return Error::invalid(QString::fromLatin1(key), QStringLiteral("must not be empty"));
    if (text.size() > maxLength)
        return Error::invalid(QString::fromLatin1(key),
                              QStringLiteral("is longer than %1 characters").arg(maxLength));
    return text;
}

Result<int> intField(const Json &body, const char *key, int min, int max)
{
    const Json &value = body[key];
    if (!value.is_number_integer() || value.get<qint64>() < min || value.get<qint64>() > max)
        return Error::invalid(QString::fromLatin1(key),
                              QStringLiteral("must be an integer from %1 to %2").arg(min).arg(max));
    return value.get<int>();
}

// A key (concurrency_key, dedupe_key): a non-empty string, or null for none.
Result<QString> keyField(const Json &body, const char *key)
{
    if (body[key].is_null())
        return QString();
    Result<QString> text = stringField(body, key, false, kMaxKey);
    if (!text)
        return text.error();
    return text->trimmed();
}

// A number that belongs to a key (concurrency_limit, dedupe_window_seconds): null puts back the
// default, and it is refused while the task has no key.
Result<int> keyedIntField(const Json &body, const char *key, const char *keyName,
                          const QString &currentKey, int current, int defaultValue, int max)
{
    const bool given = body.contains(key) && !body[key].is_null();
    if (currentKey.isEmpty()) {
        if (given)
            return Error::invalid(QString::fromLatin1(key),
                                  QStringLiteral("needs a %1").arg(QLatin1String(keyName)));
        return 0;
    }
    if (given)
        return intField(body, key, 1, max);
    if (body.contains(key) || current == 0)
        return defaultValue;
    return current;
}

// concurrency_key, concurrency_limit, overlap_policy, dedupe_key, dedupe_window_seconds and
// timeout_seconds onto `task`.
Status applyFlowControl(const Json &body, Task &task)
{
    if (body.contains("concurrency_key")) {
        Result<QString> key = keyField(body, "concurrency_key");
        if (!key)
            return key.error();
        task.concurrencyKey = *key;
    }
    Result<int> limit = keyedIntField(body, "concurrency_limit", "concurrency_key",
                                      task.concurrencyKey, task.concurrencyLimit,
                                      Task::kDefaultConcurrencyLimit, kMaxConcurrencyLimit);
    if (!limit)
        return limit.error();
    task.concurrencyLimit = *limit;
    if (body.contains("overlap_policy")) {
        const Json &policy = body["overlap_policy"];
        const auto parsed
            = policy.is_string() ? overlapPolicyFromString(policy.get<QString>()) : std::nullopt;
        if (!parsed)
            return Error::invalid(
                QStringLiteral("overlap_policy"),
                QStringLiteral("must be skip, queue_one, allow or cancel_previous"));
        task.overlapPolicy = *parsed;
    }
    if (body.contains("dedupe_key")) {
        Result<QString> key = keyField(body, "dedupe_key");
        if (!key)
            return key.error();
        // Kept literal: a `${…}` would read as a template that is never rendered.
        if (key->contains(QLatin1String("${")))
            return Error::invalid(QStringLiteral("dedupe_key"),
                                  QStringLiteral("is a literal key; templates (${…}) are not "
                                                 "supported"));
        task.dedupeKey = *key;
    }
    Result<int> window = keyedIntField(body, "dedupe_window_seconds", "dedupe_key", task.dedupeKey,
                                       task.dedupeWindowSeconds, Task::kDefaultDedupeWindowSeconds,
                                       kMaxDedupeWindowSeconds);
    if (!window)
        return window.error();
    task.dedupeWindowSeconds = *window;
    if (body.contains("timeout_seconds")) {
        if (body["timeout_seconds"].is_null()) {
            task.timeoutSeconds.reset();
        } else {
            Result<int> timeout = intField(body, "timeout_seconds", 1, kMaxTimeoutSeconds);
            if (!timeout)
                return timeout.error();
            task.timeoutSeconds = *timeout;
        }
    }
    return {};
}

} // namespace

Result<TaskInputResult> TaskInput::apply(const Json &body, Task base, TaskInputMode mode,
                                         const PipelineChecker &checker)
{
    if (!body.is_object())
        return Error{
            ErrorCode::MalformedInput,
            QStringLiteral("the body must be a JSON object, got %1").arg(jsonTypeName(body)),
            {}};
    for (const auto &[key, value] : body.items()) {
        const QString name = qs(key);
        if (!kWritable.contains(name) && !kReadOnly.contains(name)) {
            QStringList known = kWritable.values();
            known.sort();
            return Error::invalid(name, QStringLiteral("is not a task field (known: %1)")
                                            .arg(known.join(QStringLiteral(", "))));
        }
    }
    TaskInputResult result;
    Task &task = base;
    const bool creating = mode == TaskInputMode::Create;

    if (body.contains("version")) {
        const Json &version = body["version"];
        if (!version.is_number_integer() || version.get<qint64>() < 1
            || version.get<qint64>() > std::numeric_limits<int>::max())
            return Error::invalid(QStringLiteral("version"),
                                  QStringLiteral("must be a positive integer"));
        result.expectedVersion = body["version"].get<int>();
    }
    if (body.contains("title")) {
        Result<QString> title = stringField(body, "title", false, kMaxTitle);
        if (!title)
            return title.error();
        task.title = title->trimmed();
    } else if (creating) {
        return Error::invalid(QStringLiteral("title"), QStringLiteral("is required"));
    }
    if (body.contains("description")) {
        Result<QString> description = body["description"].is_null()
                                          ? Result<QString>(QString())
                                          : stringField(body, "description", true, kMaxDescription);
        if (!description)
            return description.error();
        task.description = *description;
    }

    Result<Schedule> schedule = ScheduleInput::apply(body, task.schedule, mode);
    if (!schedule)
        return schedule.error();
    result.scheduleChanged = creating || !ScheduleInput::same(*schedule, task.schedule);
    task.schedule = std::move(*schedule);

    if (body.contains("payload")) {
        Result<Pipeline> pipeline = Pipeline::fromJson(body["payload"], QStringLiteral("payload"));
        if (!pipeline)
            return pipeline.error();
        if (Status checked = checker.check(*pipeline, QStringLiteral("payload")); !checked)
            return checked.error();
        task.pipeline = std::move(*pipeline);
    } else if (creating) {
        return Error::invalid(
            QStringLiteral("payload"),
            QStringLiteral("is required: {\"pipeline\": [steps…], \"params\": {…}}"));
    }
    if (body.contains("priority")) {
        Result<int> priority = intField(body, "priority", 1, 9);
        if (!priority)
            return priority.error();
        task.priority = *priority;
    }
    if (body.contains("max_retries")) {
        Result<int> retries = intField(body, "max_retries", 0, 100);
        if (!retries)
            return retries.error();
        task.retry.maxRetries = *retries;
    }
    if (body.contains("backoff_strategy")) {
        const Json &strategy = body["backoff_strategy"];
        const auto parsed = strategy.is_string()
                                ? backoffStrategyFromString(strategy.get<QString>())
                                : std::nullopt;
        if (!parsed || strategy == "exponential")
            return Error::invalid(QStringLiteral("backoff_strategy"),
                                  QStringLiteral("must be exponential_jitter, linear or fixed"));
        task.retry.strategy = *parsed;
    }
    // Up to a day between attempts: longer waits belong in a schedule.
    if (body.contains("retry_base_ms")) {
        Result<int> base = intField(body, "retry_base_ms", 0, 86400000);
        if (!base)
            return base.error();
        task.retry.baseDelayMs = *base;
    }
    if (body.contains("retry_max_ms")) {
        Result<int> max = intField(body, "retry_max_ms", 0, 86400000);
        if (!max)
            return max.error();
        task.retry.maxDelayMs = *max;
    }
    if (task.retry.maxDelayMs < task.retry.baseDelayMs)
        return Error::invalid(
            QStringLiteral("retry_max_ms"),
            QStringLiteral("must be at least retry_base_ms (%1)").arg(task.retry.baseDelayMs));
    if (body.contains("misfire_policy")) {
        const Json &policy = body["misfire_policy"];
        const auto parsed
            = policy.is_string() ? misfirePolicyFromString(policy.get<QString>()) : std::nullopt;
        if (!parsed)
            return Error::invalid(QStringLiteral("misfire_policy"),
                                  QStringLiteral("must be run_once, run_all or skip"));
        task.misfirePolicy = *parsed;
    }
    if (body.contains("misfire_grace_seconds")) {
        Result<int> grace = intField(body, "misfire_grace_seconds", 0, 86400);
        if (!grace)
            return grace.error();
        task.misfireGraceSeconds = *grace;
    }
    if (Status flow = applyFlowControl(body, task); !flow)
        return flow.error();
    result.task = std::move(task);
    return result;
}

Result<TaskFilter> TaskInput::listFilter(const QUrlQuery &query, int maxLimit)
{
    TaskFilter filter;
    if (query.hasQueryItem(QStringLiteral("status"))) {
        filter.status = taskStatusFromString(query.queryItemValue(QStringLiteral("status")));
        if (!filter.status)
            return Error::invalid(QStringLiteral("status"),
                                  QStringLiteral("must be active, paused, proposed or archived"));
    }
    if (query.hasQueryItem(QStringLiteral("schedule_kind"))) {
        filter.scheduleKind
            = scheduleKindFromString(query.queryItemValue(QStringLiteral("schedule_kind")));
        if (!filter.scheduleKind)
            return Error::invalid(QStringLiteral("schedule_kind"),
                                  QStringLiteral("must be rrule, cron, once, event or manual"));
    }
    if (query.hasQueryItem(QStringLiteral("created_by"))) {
        filter.createdBy
            = query.queryItemValue(QStringLiteral("created_by"), QUrl::FullyDecoded).trimmed();
        if (filter.createdBy.isEmpty() || filter.createdBy.size() > TaskService::kMaxQueryText)
            return Error::invalid(QStringLiteral("created_by"),
                                  QStringLiteral("must be 1 to %1 characters, e.g. agent:<id>")
                                      .arg(TaskService::kMaxQueryText));
    }
    if (query.hasQueryItem(QStringLiteral("q"))) {
        filter.text = query.queryItemValue(QStringLiteral("q"), QUrl::FullyDecoded);
        if (filter.text.size() > TaskService::kMaxQueryText)
            return Error::invalid(
                QStringLiteral("q"),
                QStringLiteral("is longer than %1 characters").arg(TaskService::kMaxQueryText));
    }
    Result<int> limit = queryInt(query, QStringLiteral("limit"), kDefaultPageSize, 1, maxLimit);
    if (!limit)
        return limit.error();
    filter.limit = *limit;
    if (query.hasQueryItem(QStringLiteral("cursor"))) {
        if (query.hasQueryItem(QStringLiteral("offset")))
            return Error::invalid(QStringLiteral("offset"),
                                  QStringLiteral("cannot be combined with cursor: a cursor's page "
                                                 "starts right after the task it names"));
        Result<TaskCursor> after = parseCursor(query.queryItemValue(QStringLiteral("cursor")));
        if (!after)
            return after.error();
        filter.after = *after;
    } else {
        Result<int> offset
            = queryInt(query, QStringLiteral("offset"), 0, 0, std::numeric_limits<int>::max());
        if (!offset)
            return offset.error();
        filter.offset = *offset;
    }
    return filter;
}

QString TaskInput::listCursor(const Task &task)
{
    const QByteArray text
        = QByteArray::number(task.createdAt.toMSecsSinceEpoch()) + '.' + task.id.toLatin1();
    return QString::fromLatin1(text.toBase64(kCursorEncoding));
}

} // namespace ordinaut
