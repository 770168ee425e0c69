// orchestrator.*: input → task document / run request / event, handed to the Orchestrator.
#include "OrchestratorTools.h"

#include "Orchestrator.h"
#include "ToolEnvironment.h"

namespace ordinaut {

namespace {

// Topics the engine itself publishes; a pipeline announcing "run.finished" would mislead
// every consumer.
const QStringList kReservedPrefixes
    = {QStringLiteral("run."), QStringLiteral("task."), QStringLiteral("settings."),
       QStringLiteral("calendar."), QStringLiteral("approval.")};

Result<Orchestrator *> orchestrator(const ToolEnvironment &environment)
{
    if (Orchestrator *o = environment.orchestrator().get())
        return o;
    return Error{ErrorCode::Unavailable,
                 QStringLiteral("the engine's services are not running in this process"),
                 {}};
}

QString actorOf(const ToolContext &context)
{
    return QStringLiteral("run:%1").arg(context.runId);
}

} // namespace

QString ScheduleTaskTool::title() const
{
    return QStringLiteral("Schedule a task");
}

QString ScheduleTaskTool::description() const
{
    return QStringLiteral(
        "Creates a task, e.g. a follow-up: a title and a pipeline, run once after delay_hours "
        "or delay_minutes, once at an instant (at), or on any schedule given in `task` (the "
        "API's task document: schedule_kind, schedule_expr, timezone, …).");
}

Json ScheduleTaskTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["title"], "additionalProperties": false,
      "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string"},
        "pipeline": {"type": "array", "items": {"type": "object"}},
        "params": {"type": "object"},
        "delay_hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 87600},
        "delay_minutes": {"type": "number", "exclusiveMinimum": 0, "maximum": 5256000},
        "at": {"type": "string", "description": "ISO 8601 instant with offset"},
        "task": {"type": "object", "description": "more fields of the task document"}
      }})");
}

Json ScheduleTaskTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["task_id", "title", "status", "next_run_at"],
      "properties": {"task_id": {"type": "string"}, "title": {"type": "string"},
                     "status": {"type": "string"}, "next_run_at": {"type": ["string", "null"]}}})");
}

Result<Json> ScheduleTaskTool::invoke(const Json &input, ToolContext &context) const
{
    Result<Orchestrator *> engine = orchestrator(environment());
    if (!engine)
        return engine.error();
    int when = 0;
    for (const char *key : {"delay_hours", "delay_minutes", "at"})
        when += input.contains(key) ? 1 : 0;
    if (when > 1)
        return Error::invalid(QStringLiteral("with.delay_hours"),
                              QStringLiteral("give one of delay_hours, delay_minutes and at"));

    Json document = input.value("task", Json::object());
    document["title"] = input["title"];
    if (input.contains("description"))
        document["description"] = input["description"];
    if (!document.contains("payload"))
        document["payload"] = Json::object();
    if (input.contains("pipeline"))
        document["payload"]["pipeline"] = input["pipeline"];
    if (input.contains("params"))
        document["payload"]["params"] = input["params"];
    if (when == 1) {
        QDateTime at;
        if (input.contains("at")) {
            std::optional<QDateTime> parsed = parseInstant(input["at"].get<QString>());
            if (!parsed)
                return Error::invalid(QStringLiteral("with.at"),
                                      QStringLiteral("'%1' is not an ISO 8601 instant with an "
                                                     "offset (e.g. 2026-12-01T09:00:00Z)")
                                          .arg(input["at"].get<QString>()));
            at = *parsed;
        } else {
            const double minutes = input.contains("delay_hours")
                                       ? input["delay_hours"].get<double>() * 60
                                       : input["delay_minutes"].get<double>();
            const QDateTime base
                = context.now.isValid() ? context.now : QDateTime::currentDateTimeUtc();
            at = base.addMSecs(static_cast<qint64>(minutes * 60000));
        }
        document["schedule_kind"] = "once";
        document["schedule_expr"] = formatInstant(at);
    } else if (!document.contains("schedule_kind")) {
        return Error::invalid(QStringLiteral("with.delay_hours"),
                              QStringLiteral("say when: delay_hours, delay_minutes, at, or a "
                                             "schedule in task.schedule_kind"));
    }
    Result<Json> task = (*engine)->scheduleTask(document, actorOf(context));
    if (!task)
        return Error{task.error().code, task.error().message,
                     task.error().field.isEmpty()
                         ? QString()
                         : QStringLiteral("with.task.") + task.error().field};
    return Json{{"task_id", (*task)["id"]},
                {"title", (*task)["title"]},
                {"status", (*task)["status"]},
                {"next_run_at", task->value("next_run_at", Json())}};
}

QString RunTaskTool::title() const
{
    return QStringLiteral("Run a task");
}

QString RunTaskTool::description() const
{
    return QStringLiteral("Queues a run of another task now and returns its run id; it runs on "
                          "its own, this step does not wait for it.");
}

Json RunTaskTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["task_id"], "additionalProperties": false,
      "properties": {"task_id": {"type": "string", "minLength": 1}}})");
}

Json RunTaskTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["run_id", "task_id", "status"],
      "properties": {"run_id": {"type": "string"}, "task_id": {"type": "string"},
                     "status": {"type": "string"}}})");
}

Result<Json> RunTaskTool::invoke(const Json &input, ToolContext &context) const
{
    Result<Orchestrator *> engine = orchestrator(environment());
    if (!engine)
        return engine.error();
    const QString taskId = input["task_id"].get<QString>();
    // A task that starts itself would run forever.
    if (taskId == context.taskId)
        return Error::invalid(QStringLiteral("with.task_id"),
                              QStringLiteral("a task cannot start itself; give it a schedule "
                                             "instead"));
    Result<Json> run = (*engine)->runTask(taskId, actorOf(context));
    if (!run)
        return Error{run.error().code, run.error().message, QStringLiteral("with.task_id")};
    return Json{{"run_id", (*run)["id"]}, {"task_id", taskId}, {"status", (*run)["status"]}};
}

QString EmitEventTool::title() const
{
    return QStringLiteral("Publish an event");
}

QString EmitEventTool::description() const
{
    return QStringLiteral("Publishes an event (topic and JSON payload) to the engine's event "
                          "log, where event-scheduled tasks and API clients see it.");
}

Json EmitEventTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["topic"], "additionalProperties": false,
      "properties": {
        "topic": {"type": "string", "maxLength": 200,
                  "pattern": "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$"},
        "payload": {}
      }})");
}

Json EmitEventTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["event_id", "topic"],
      "properties": {"event_id": {"type": "integer"}, "topic": {"type": "string"}}})");
}

Result<Json> EmitEventTool::invoke(const Json &input, ToolContext &context) const
{
    Result<Orchestrator *> engine = orchestrator(environment());
    if (!engine)
        return engine.error();
    const QString topic = input["topic"].get<QString>();
    for (const QString &prefix : kReservedPrefixes) {
        if (topic.startsWith(prefix))
            return Error::invalid(QStringLiteral("with.topic"),
                                  QStringLiteral("topics under '%1' are the engine's own; pick "
                                                 "another prefix")
                                      .arg(prefix));
    }
    Result<Json> event
        = (*engine)->emitEvent(topic, input.value("payload", Json::object()), actorOf(context));
    if (!event)
        return event.error();
    return Json{{"event_id", (*event)["id"]}, {"topic", topic}};
}

} // namespace ordinaut
