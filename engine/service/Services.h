// Services: the service layer in one bundle, built by the app on top of an Engine and handed to
// every surface (API, GUI, CLI).
#pragma once

#include "AgentService.h"
#include "ApprovalService.h"
#include "CalendarService.h"
#include "EventService.h"
#include "FeedService.h"
#include "RunService.h"
#include "ScheduleService.h"
#include "SecretService.h"
#include "ServiceOrchestrator.h"
#include "SettingsService.h"
#include "TaskService.h"

#include "runtime/Engine.h"
#include "schedule/BusinessCalendar.h"

namespace ordinaut {

struct Services
{
    explicit Services(Engine &engine)
        : tasks(engine)
        , runs(engine)
        , events(engine, runs)
        , agents(engine)
        , approvals(engine)
        , calendars(engine)
        , settings(engine)
        , secrets(engine)
        , schedules(
              engine.clock(),
              [&engine](const QString &name) { return loadCalendar(engine.database(), name); })
        , feeds(engine, schedules)
    {
        // Pipelines reach the engine through the same services (orchestrator.* tools).
        ServiceOrchestrator::install(engine);
    }

    TaskService tasks;
    RunService runs;
    EventService events;
    AgentService agents;
    ApprovalService approvals;
    CalendarService calendars;
    SettingsService settings;
    SecretService secrets;
    ScheduleService schedules;
    FeedService feeds;
};

} // namespace ordinaut
