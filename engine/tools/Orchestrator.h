// Orchestrator: what the orchestrator.* tools may do to the engine — create a task, start one,
// publish an event. The service layer implements it, so these calls are validated and audited
// like any API call.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

namespace ordinaut {

class Orchestrator
{
public:
    virtual ~Orchestrator() = default;
    // Creates a task from a task document (the API's shape); returns the task as JSON.
    virtual Result<Json> scheduleTask(const Json &document, const QString &actor) = 0;
    // Queues a run of the task now; returns the run as JSON.
    virtual Result<Json> runTask(const QString &taskId, const QString &actor) = 0;
    // Publishes an event; returns {"id", "topic"}.
    virtual Result<Json> emitEvent(const QString &topic, const Json &payload, const QString &actor)
        = 0;
};

} // namespace ordinaut
