// time.wait / human.approve: pause on the first call, finish on resume.
#include "PauseTools.h"

namespace ordinaut {

namespace {

QDateTime nowOf(const ToolContext &context)
{
    return context.now.isValid() ? context.now : QDateTime::currentDateTimeUtc();
}

} // namespace

QString TimeWaitTool::title() const
{
    return QStringLiteral("Wait");
}

QString TimeWaitTool::description() const
{
    return QStringLiteral("Pauses the run for a duration (seconds, minutes or hours) or until an "
                          "instant, at most 30 days, without keeping a worker busy; the next "
                          "step runs afterwards.");
}

Json TimeWaitTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "additionalProperties": false,
      "properties": {
        "seconds": {"type": "number", "minimum": 0, "maximum": 2592000},
        "minutes": {"type": "number", "minimum": 0, "maximum": 43200},
        "hours": {"type": "number", "minimum": 0, "maximum": 720},
        "until": {"type": "string", "description": "ISO 8601 instant with offset"}
      }})");
}

Json TimeWaitTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["until", "waited_ms"],
      "properties": {"until": {"type": "string"}, "waited_ms": {"type": "integer"}}})");
}

Result<Json> TimeWaitTool::invoke(const Json &input, ToolContext &context) const
{
    const QDateTime now = nowOf(context);
    QDateTime until;
    QDateTime started = now;
    if (context.resumed.is_object()) {
        until = parseInstant(qs(context.resumed.value("until", std::string()))).value_or(now);
        const Json request = context.resumed.value("request", Json::object());
        started = parseInstant(qs(request.value("started", std::string()))).value_or(now);
    } else {
        int given = 0;
        for (const char *key : {"seconds", "minutes", "hours", "until"})
            given += input.contains(key) ? 1 : 0;
        if (given != 1)
            return Error::invalid(QStringLiteral("with.seconds"),
                                  QStringLiteral("give exactly one of seconds, minutes, hours "
                                                 "and until"));
        if (input.contains("until")) {
            std::optional<QDateTime> at = parseInstant(input["until"].get<QString>());
            if (!at)
                return Error::invalid(QStringLiteral("with.until"),
                                      QStringLiteral("'%1' is not an ISO 8601 instant with an "
                                                     "offset")
                                          .arg(input["until"].get<QString>()));
            if (now.msecsTo(*at) > kMaxWaitSeconds * 1000)
                return Error::invalid(QStringLiteral("with.until"),
                                      QStringLiteral("is more than 30 days away"));
            until = *at;
        } else {
            const double seconds = input.contains("seconds") ? input["seconds"].get<double>()
                                   : input.contains("minutes")
                                       ? input["minutes"].get<double>() * 60
                                       : input["hours"].get<double>() * 3600;
            if (seconds > kMaxWaitSeconds)
                return Error::invalid(QStringLiteral("with.seconds"),
                                      QStringLiteral("waits are at most 30 days"));
            until = now.addMSecs(static_cast<qint64>(seconds * 1000));
        }
    }
    // Also when woken early (a restart, another engine): wait on for the rest.
    if (now < until) {
        context.suspension = ToolSuspension{ToolSuspension::Kind::Wait, until,
                                            Json{{"started", formatInstant(started)}}};
        return Json::object();
    }
    return Json{{"until", formatInstant(until)},
                {"waited_ms", std::max<qint64>(0, started.msecsTo(now))}};
}

QString HumanApproveTool::title() const
{
    return QStringLiteral("Ask a person to approve");
}

QString HumanApproveTool::description() const
{
    return QStringLiteral(
        "Pauses the run until a person approves or rejects it (in the app, or with POST "
        "/api/v1/approvals/{id}/approve or /reject). Approval continues the run with the "
        "decision as output; rejection, or no answer within timeout_seconds (default one day), "
        "fails the step.");
}

Json HumanApproveTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["title"], "additionalProperties": false,
      "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 300},
        "details": {"description": "what the person should look at: text or any JSON"},
        "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 2592000}
      }})");
}

Json HumanApproveTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["approved", "by", "comment", "decided_at"],
      "properties": {"approved": {"const": true}, "by": {"type": "string"},
                     "comment": {"type": "string"}, "decided_at": {"type": "string"}}})");
}

Result<Json> HumanApproveTool::invoke(const Json &input, ToolContext &context) const
{
    const QDateTime now = nowOf(context);
    if (!context.resumed.is_object()) {
        const qint64 timeout = input.value("timeout_seconds", kDefaultTimeoutSeconds);
        context.suspension = ToolSuspension{ToolSuspension::Kind::Approval, now.addSecs(timeout),
                                            Json{{"title", input["title"]},
                                                 {"details", input.value("details", Json())},
                                                 {"step_id", context.stepId}}};
        return Json::object();
    }
    const Json &decision = context.resumed["decision"];
    if (!decision.is_object()) {
        // Due before anyone answered and before the deadline: keep waiting.
        const QDateTime until
            = parseInstant(qs(context.resumed.value("until", std::string()))).value_or(now);
        context.suspension = ToolSuspension{ToolSuspension::Kind::Approval, until,
                                            context.resumed.value("request", Json::object())};
        return Json::object();
    }
    const QString status = qs(decision.value("status", std::string()));
    const QString by = qs(decision.value("by", std::string()));
    const QString comment = qs(decision.value("comment", std::string()));
    if (status == QLatin1String("approved"))
        return Json{{"approved", true},
                    {"by", by},
                    {"comment", comment},
                    {"decided_at", decision.value("decided_at", Json(""))}};
    if (status == QLatin1String("timed_out"))
        return Error{ErrorCode::Timeout,
                     QStringLiteral("nobody approved '%1' in time; it counts as rejected")
                         .arg(input["title"].get<QString>()),
                     {}};
    return Error{ErrorCode::PermissionDenied,
                 QStringLiteral("%1 rejected '%2'%3")
                     .arg(by.isEmpty() ? QStringLiteral("someone") : by,
                          input["title"].get<QString>(),
                          comment.isEmpty() ? QString() : QStringLiteral(": ") + comment),
                 {}};
}

} // namespace ordinaut
