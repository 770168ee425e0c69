// McpServer's MCP tasks: a run started by run_task_now, followed, awaited and canceled as a
// task. Runs are durable, so a task outlives the session and the server that made it.
#include "McpServer.h"

#include "Protocol.h"

#include "api/Router.h"
#include "service/Ownership.h"
#include "service/Services.h"

#include <QMutexLocker>
#include <QThread>

namespace ordinaut::mcp {

namespace {

const char *const kTasksExtension = "io.modelcontextprotocol/tasks";

bool terminal(const QString &status)
{
    return status != QLatin1String("queued") && status != QLatin1String("running")
           && status != QLatin1String("waiting") && status != QLatin1String("waiting_approval");
}

QString text(const Json &object, const char *key)
{
    const Json value = object.is_object() ? object.value(key, Json()) : Json();
    return value.is_string() ? qs(value.get<std::string>()) : QString();
}

RpcError invalid(const QString &message, const Json &data = nullptr)
{
    return RpcError{rpc::kInvalidParams, message, data, nullptr};
}

} // namespace

bool McpServer::wantsTask(const Json &params, const CallContext &context)
{
    if (isStateless(context.version)) {
        // The server decides, for a client that can follow tasks.
        const Json extensions = context.clientCapabilities.value("extensions", Json::object());
        return extensions.is_object() && extensions.contains(kTasksExtension);
    }
    // 2025-11-25: the client asks for one with params.task.
    return context.version == kV20251125 && params.contains("task") && params["task"].is_object();
}

Json McpServer::createTask(const Json &runNowAnswer, const CallContext &context)
{
    const QString runId = text(runNowAnswer, "id");
    {
        QMutexLocker lock(&m_mutex);
        QStringList &mine = m_tasksByAgent[context.agent.id];
        mine.prepend(runId);
        m_taskDeduplicated.insert(runId, runNowAnswer.value("deduplicated", false));
        while (mine.size() > kTasksKept)
            m_taskDeduplicated.remove(mine.takeLast());
    }
    Result<Json> task = taskOf(runId, context, false);
    const Json made = task ? *task : Json::object();
    if (isStateless(context.version)) {
        Json result = made;
        result["resultType"] = "task";
        return result;
    }
    return Json{{"task", made}};
}

Result<QByteArray> McpServer::taskRun(const QString &runId, const CallContext &context) const
{
    // A task is its agent's: the run of a task it created (or any, for agents:admin), as for
    // changing the run. Another agent's run is no task of this one, without saying it exists.
    const Error unknown{
        ErrorCode::NotFound,
        QStringLiteral("there is no task %1 of agent %2").arg(runId, context.agent.id),
        {}};
    if (Status mine
        = ownership::mayChangeRun(context.agent, m_services.tasks, m_services.runs, runId);
        !mine)
        return unknown;
    Result<Run> run = m_services.runs.get(runId, true);
    if (!run)
        return run.error().code == ErrorCode::NotFound ? unknown : run.error();
    return dumpJson(run->toJson(true));
}

Result<Json> McpServer::taskOf(const QString &runId, const CallContext &context,
                               bool detailed) const
{
    Result<QByteArray> found = taskRun(runId, context);
    if (!found)
        return found.error();
    const QByteArray body = *found;
    const Json run = parseJson(body).value_or(Json::object());
    const QString status = text(run, "status");
    const bool stateless = isStateless(context.version);
    QString state;
    QString message = QStringLiteral("run %1").arg(status);
    if (!terminal(status)) {
        state = QStringLiteral("working");
        if (status == QLatin1String("waiting_approval"))
            message = QStringLiteral("waiting for the user's approval (approve_run or the app)");
    } else if (status == QLatin1String("succeeded")) {
        state = QStringLiteral("completed");
    } else if (status == QLatin1String("canceled")) {
        state = QStringLiteral("cancelled");
    } else {
        // The run ended without success: the tool's work failed. The extension reports that as
        // a completed task whose result is an error; 2025-11-25 as a failed task.
        state = stateless ? QStringLiteral("completed") : QStringLiteral("failed");
        const QString error = text(run, "error");
        if (!error.isEmpty())
            message = QStringLiteral("run %1: %2").arg(status, error);
    }
    QString updated = text(run, "finished_at");
    if (updated.isEmpty())
        updated = text(run, "started_at");
    if (updated.isEmpty())
        updated = text(run, "queued_at");
    Json task{{"taskId", runId},
              {"status", state},
              {"statusMessage", message},
              {"createdAt", text(run, "queued_at")},
              {"lastUpdatedAt", updated}};
    // Runs are kept for good: no expiry.
    task[stateless ? "ttlMs" : "ttl"] = nullptr;
    task[stateless ? "pollIntervalMs" : "pollInterval"] = kTaskPollMs;
    if (detailed && stateless && terminal(status)) {
        // The extension inlines the tool's result once the task is over.
        task["result"] = finalResult(runId, body, status);
    }
    return task;
}

Json McpServer::finalResult(const QString &runId, const QByteArray &run,
                            const QString &status) const
{
    // What run_task_now would have answered, as its output schema says (the run and whether an
    // earlier run answered the call), now that the run is over.
    Json result{
        {"content", Json::array({Json{{"type", "text"}, {"text", QString::fromUtf8(run)}}})},
        {"isError", status != QLatin1String("succeeded")}};
    QMutexLocker lock(&m_mutex);
    const auto known = m_taskDeduplicated.constFind(runId);
    if (known != m_taskDeduplicated.constEnd()) {
        Json structured = parseJson(run).value_or(Json());
        if (structured.is_object()) {
            structured["deduplicated"] = *known;
            result["structuredContent"] = structured;
        }
    }
    return result;
}

Result<Json> McpServer::taskResult(const QString &runId, const CallContext &context) const
{
    // The run ends on a worker; its state is read until then (the client normally polls
    // tasks/get first, so this rarely waits).
    for (int waited = 0;; waited += 100) {
        Result<QByteArray> found = taskRun(runId, context);
        if (!found)
            return found.error();
        const Json run = parseJson(*found).value_or(Json::object());
        const QString status = text(run, "status");
        if (terminal(status)) {
            Json result = finalResult(runId, *found, status);
            result["_meta"]["io.modelcontextprotocol/related-task"] = Json{{"taskId", runId}};
            return result;
        }
        if (waited >= kTaskWaitMs || m_stopping)
            return Error{ErrorCode::Unavailable,
                         QStringLiteral("task %1 is still %2 after %3 s; poll tasks/get")
                             .arg(runId, status)
                             .arg(kTaskWaitMs / 1000),
                         {}};
        QThread::msleep(100);
    }
}

Result<Json> McpServer::listTasks(const Json &params, const CallContext &context) const
{
    QStringList mine;
    {
        QMutexLocker lock(&m_mutex);
        mine = m_tasksByAgent.value(context.agent.id);
    }
    int offset = 0;
    if (params.contains("cursor")) {
        bool ok = false;
        offset = text(params, "cursor").toInt(&ok);
        if (!ok || offset < 0)
            return Error::invalid(QStringLiteral("cursor"),
                                  QStringLiteral("is not a cursor this server gave"));
    }
    Json tasks = Json::array();
    for (int i = offset; i < mine.size() && i < offset + kPageSize; ++i)
        if (Result<Json> task = taskOf(mine.at(i), context, false))
            tasks.push_back(*task);
    Json result{{"tasks", tasks}};
    if (offset + kPageSize < mine.size())
        result["nextCursor"] = QString::number(offset + kPageSize);
    return result;
}

std::optional<Json> McpServer::taskRequest(const Message &message, const CallContext &context)
{
    const Json &id = message.id;
    const auto fail = [&id](RpcError error) {
        error.id = id;
        return JsonRpc::error(error);
    };
    const QString &method = message.method;
    const bool stateless = isStateless(context.version);
    static const QStringList known{QStringLiteral("tasks/get"), QStringLiteral("tasks/result"),
                                   QStringLiteral("tasks/list"), QStringLiteral("tasks/cancel")};
    if (!known.contains(method))
        return fail(RpcError{rpc::kMethodNotFound,
                             QStringLiteral("there is no method '%1' (tasks/get, tasks/cancel%2)")
                                 .arg(method, stateless ? QString()
                                                        : QStringLiteral(", tasks/result, "
                                                                         "tasks/list")),
                             nullptr, nullptr});
    if (stateless) {
        // Removed by the extension: the result comes inline with tasks/get.
        if (method == QLatin1String("tasks/result") || method == QLatin1String("tasks/list"))
            return fail(RpcError{rpc::kMethodNotFound,
                                 QStringLiteral("%1 is not part of the tasks extension: tasks/get "
                                                "carries the result")
                                     .arg(method),
                                 nullptr, nullptr});
        const Json extensions = context.clientCapabilities.value("extensions", Json::object());
        if (!extensions.is_object() || !extensions.contains(kTasksExtension))
            return fail(
                RpcError{code::kMissingCapability,
                         QStringLiteral("%1 needs the client capability extensions[\"%2\"]")
                             .arg(method, QLatin1String(kTasksExtension)),
                         Json{{"requiredCapabilities",
                               Json{{"extensions", Json{{kTasksExtension, Json::object()}}}}}},
                         nullptr});
    } else if (context.version != kV20251125) {
        return fail(RpcError{rpc::kMethodNotFound,
                             QStringLiteral("%1 needs MCP %2 or later (this session speaks %3)")
                                 .arg(method, kV20251125, context.version),
                             nullptr, nullptr});
    }
    const Json params = message.params.is_object() ? message.params : Json::object();
    if (method == QLatin1String("tasks/list")) {
        Result<Json> listed = listTasks(params, context);
        return listed ? JsonRpc::result(id, *listed) : fail(invalid(listed.error().describe()));
    }
    const QString taskId = text(params, "taskId");
    if (taskId.isEmpty())
        return fail(invalid(QStringLiteral("taskId is required")));
    const auto unknown = [&](const Error &error) {
        return fail(error.code == ErrorCode::NotFound
                        ? invalid(QStringLiteral("there is no task %1").arg(taskId),
                                  Json{{"taskId", taskId}})
                        : RpcError{rpc::kInternalError, error.describe(), nullptr, nullptr});
    };
    if (method == QLatin1String("tasks/get")) {
        Result<Json> task = taskOf(taskId, context, true);
        return task ? JsonRpc::result(id, *task) : unknown(task.error());
    }
    if (method == QLatin1String("tasks/result")) {
        Result<Json> result = taskResult(taskId, context);
        return result ? JsonRpc::result(id, *result) : unknown(result.error());
    }
    if (method == QLatin1String("tasks/cancel")) {
        Result<Json> before = taskOf(taskId, context, false);
        if (!before)
            return unknown(before.error());
        const QString state = text(*before, "status");
        const bool over = state != QLatin1String("working");
        if (over && !stateless)
            return fail(invalid(QStringLiteral("task %1 is %2 already; only a working task can be "
                                               "cancelled")
                                    .arg(taskId, state)));
        if (!over) {
            HttpRequest cancel;
            cancel.method = "POST";
            cancel.path = QStringLiteral("/api/v1/runs/") + taskId + QStringLiteral("/cancel");
            const HttpResponse answer = route(std::move(cancel), context);
            if (answer.status >= 300) {
                const Json body = parseJson(answer.body).value_or(Json::object());
                return fail(
                    RpcError{answer.status == 403 ? rpc::kInvalidRequest : rpc::kInternalError,
                             body.is_object() ? qs(body.value("detail", std::string("failed")))
                                              : QStringLiteral("failed"),
                             nullptr, nullptr});
            }
        }
        if (stateless) // the extension acknowledges; tasks/get shows the outcome
            return JsonRpc::result(id, Json::object());
        Result<Json> after = taskOf(taskId, context, false);
        if (!after)
            return unknown(after.error());
        // The run stops at its next step boundary; the task is cancelled from now on.
        Json task = *after;
        task["status"] = "cancelled";
        return JsonRpc::result(id, task);
    }
    return fail(RpcError{rpc::kMethodNotFound,
                         QStringLiteral("there is no method '%1'").arg(method), nullptr, nullptr});
}

} // namespace ordinaut::mcp
