// TaskInput: field-by-field validation of task bodies.
#include "TaskInput.h"

#include "pipeline/PipelineChecker.h"
#include "schedule/Recurrence.h"

#include <QSet>

namespace ordinaut {

namespace {

const QSet<QString> kWritable = {
    QStringLiteral("title"),         QStringLiteral("description"), QStringLiteral("schedule_kind"),
    QStringLiteral("schedule_expr"), QStringLiteral("timezone"),    QStringLiteral("dtstart"),
    QStringLiteral("payload"),       QStringLiteral("priority"),    QStringLiteral("max_retries")};
// Fields a client may echo back from a GET; they are ignored (version is a precondition).
const QSet<QString> kReadOnly
    = {QStringLiteral("id"),          QStringLiteral("status"),     QStringLiteral("version"),
       QStringLiteral("next_run_at"), QStringLiteral("created_at"), QStringLiteral("updated_at"),
       QStringLiteral("created_by")};
constexpr int kMaxTitle = 200;
constexpr int kMaxDescription = 10000;

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

    const Schedule before = task.schedule;
    if (body.contains("schedule_kind")) {
        const Json &kind = body["schedule_kind"];
        const auto parsed
            = kind.is_string() ? scheduleKindFromString(kind.get<QString>()) : std::nullopt;
        if (!parsed) {
            const QString given
                = kind.is_string() ? kind.get<QString>() : QString::fromUtf8(dumpJson(kind));
            const bool later = given == QLatin1String("cron") || given == QLatin1String("event");
            return Error::invalid(
                QStringLiteral("schedule_kind"),
                later ? QStringLiteral("'%1' schedules are not supported by this version "
                                       "(supported: rrule, once, manual)")
                            .arg(given)
                      : QStringLiteral("'%1' is not a schedule kind (supported: rrule, "
                                       "once, manual)")
                            .arg(given));
        }
        task.schedule.kind = *parsed;
    } else if (creating && body.contains("schedule_expr")) {
        return Error::invalid(
            QStringLiteral("schedule_kind"),
            QStringLiteral("is required with schedule_expr (rrule, once or manual)"));
    }
    if (body.contains("schedule_expr")) {
        if (!body["schedule_expr"].is_string() && !body["schedule_expr"].is_null())
            return Error::invalid(QStringLiteral("schedule_expr"),
                                  QStringLiteral("must be a string"));
        task.schedule.expression = body["schedule_expr"].is_null()
                                       ? QString()
                                       : body["schedule_expr"].get<QString>().trimmed();
    }
    if (body.contains("timezone")) {
        if (!body["timezone"].is_string())
            return Error::invalid(QStringLiteral("timezone"),
                                  QStringLiteral("must be an IANA time zone name"));
        task.schedule.timezone = body["timezone"].get<QString>().trimmed();
    }
    if (body.contains("dtstart")) {
        if (!body["dtstart"].is_string() && !body["dtstart"].is_null())
            return Error::invalid(QStringLiteral("dtstart"),
                                  QStringLiteral("must be a local date-time string"));
        task.schedule.dtstart
            = body["dtstart"].is_null() ? QString() : body["dtstart"].get<QString>().trimmed();
    }
    if (task.schedule.kind == ScheduleKind::Manual)
        task.schedule.expression.clear();
    if (task.schedule.kind != ScheduleKind::RRule)
        task.schedule.dtstart.clear();
    if (task.schedule.kind != ScheduleKind::Manual && task.schedule.expression.isEmpty())
        return Error::invalid(
            QStringLiteral("schedule_expr"),
            QStringLiteral("is required for a '%1' schedule").arg(toString(task.schedule.kind)));
    result.scheduleChanged = creating || before.kind != task.schedule.kind
                             || before.expression != task.schedule.expression
                             || before.timezone != task.schedule.timezone
                             || before.dtstart != task.schedule.dtstart;

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
        task.maxRetries = *retries;
    }
    result.task = std::move(task);
    return result;
}

} // namespace ordinaut
