// The API's routes, one registration function per resource.
#pragma once

namespace ordinaut {

namespace mcp {
class McpServer;
}

class Authenticator;
class Clock;
class Engine;
class Router;
struct Services;

void addHealthRoutes(Router &router, Engine &engine);
void addTaskRoutes(Router &router, Services &services);
void addRunRoutes(Router &router, Services &services);
void addScheduleRoutes(Router &router, Services &services);
void addCalendarRoutes(Router &router, Services &services);
void addFeedRoutes(Router &router, Services &services);
void addToolRoutes(Router &router, Engine &engine);
void addApprovalRoutes(Router &router, Services &services);
void addEventRoutes(Router &router, Services &services);
void addAuthRoutes(Router &router, Authenticator &auth, const Clock &clock);
void addAgentRoutes(Router &router, Services &services, Authenticator &auth);
void addAuditRoutes(Router &router, Engine &engine);
void addMetricRoutes(Router &router, Engine &engine);
void addDocRoutes(Router &router);
void addMcpRoutes(Router &router, mcp::McpServer &server);

} // namespace ordinaut
