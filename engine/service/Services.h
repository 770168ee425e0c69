// Services: the service layer in one bundle, built by the app on top of an Engine and handed to
// every surface (API, GUI, CLI).
#pragma once

#include "AgentService.h"
#include "RunService.h"
#include "ScheduleService.h"
#include "TaskService.h"

#include "runtime/Engine.h"

namespace ordinaut {

struct Services
{
    explicit Services(Engine &engine)
        : tasks(engine)
        , runs(engine)
        , agents(engine)
        , schedules(engine.clock())
    {}

    TaskService tasks;
    RunService runs;
    AgentService agents;
    ScheduleService schedules;
};

} // namespace ordinaut
