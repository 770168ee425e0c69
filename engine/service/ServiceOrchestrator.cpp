// ServiceOrchestrator: thin adapter; events are stored with an audit entry in one transaction.
#include "ServiceOrchestrator.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/Sql.h"
#include "tools/ToolEnvironment.h"

namespace ordinaut {

ServiceOrchestrator::ServiceOrchestrator(Engine &engine)
    : m_engine(engine)
    , m_tasks(engine)
    , m_runs(engine)
{}

void ServiceOrchestrator::install(Engine &engine)
{
    engine.toolEnvironment().setOrchestrator(std::make_shared<ServiceOrchestrator>(engine));
}

Result<Json> ServiceOrchestrator::scheduleTask(const Json &document, const QString &actor)
{
    Result<Task> task = m_tasks.create(document, actor);
    if (!task)
        return task.error();
    return task->toJson();
}

Result<Json> ServiceOrchestrator::runTask(const QString &taskId, const QString &actor)
{
    Result<Run> run = m_runs.runNow(taskId, RunTrigger::Api, actor);
    if (!run)
        return run.error();
    return run->toJson(false);
}

Result<Json> ServiceOrchestrator::emitEvent(const QString &topic, const Json &payload,
                                            const QString &actor)
{
    const Database &db = m_engine.database();
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    if (!tx.isOpen())
        return tx.error();
    Result<Event> event = EventLog(db).append(m_engine.eventBus().make(topic, payload, actor));
    if (!event)
        return event.error();
    if (Status audited
        = AuditLog(db).append(AuditEntry{0, actor, QStringLiteral("event.emit"), topic,
                                         Json{{"event_id", event->id}}, m_engine.clock().now()});
        !audited)
        return audited.error();
    if (Status committed = tx.commit(); !committed)
        return committed.error();
    m_engine.eventBus().announce(*event);
    return Json{{"id", event->id}, {"topic", topic}};
}

} // namespace ordinaut
