// /api/v1/approvals: what paused runs ask people (human.approve), and the answers.
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "service/Ownership.h"
#include "service/Services.h"

namespace ordinaut {

namespace {

HttpResponse decide(Services &services, const HttpRequest &request, ApprovalDecision decision)
{
    ApprovalService &approvals = services.approvals;
    // An agent answers only for the runs of tasks it created (unless admin); an unknown
    // approval is left to decide() to report.
    if (Result<Approval> approval = approvals.get(request.pathParams.value(0)); approval) {
        if (Status may = ownership::mayChangeRun(request.agent, services.tasks, services.runs,
                                                 approval->runId);
            !may)
            return HttpResponse::problem(may.error(), request.path);
    }
    QString comment;
    // The body is optional: {"comment": "…"}.
    if (!request.body.trimmed().isEmpty()) {
        Result<Json> body = readJsonBody(request);
        if (!body)
            return HttpResponse::problem(body.error(), request.path);
        if (!body->is_object())
            return HttpResponse::problem(Error::invalid(QString(), QStringLiteral("the body must "
                                                                                  "be an object")),
                                         request.path);
        for (const auto &[key, value] : body->items()) {
            if (key != "comment")
                return HttpResponse::problem(
                    Error::invalid(qs(key), QStringLiteral("is not a field (known: comment)")),
                    request.path);
            if (!value.is_string())
                return HttpResponse::problem(
                    Error::invalid(QStringLiteral("comment"), QStringLiteral("must be a string")),
                    request.path);
            comment = value.get<QString>();
        }
    }
    Result<Approval> decided
        = approvals.decide(request.pathParams.value(0), decision, comment, request.actor());
    if (!decided)
        return HttpResponse::problem(decided.error(), request.path);
    return HttpResponse::json(200, decided->toJson());
}

} // namespace

void addApprovalRoutes(Router &router, Services &services)
{
    ApprovalService &approvals = services.approvals;
    router.add("GET", QStringLiteral("/api/v1/approvals"), Access::scope(scopes::kRunsRead),
               [&approvals](const HttpRequest &request) {
                   Result<int> limit = queryInt(request, QStringLiteral("limit"), 50, 1, 500);
                   if (!limit)
                       return HttpResponse::problem(limit.error(), request.path);
                   Result<std::vector<Approval>> list = approvals.list(
                       request.query.queryItemValue(QStringLiteral("status")), *limit);
                   if (!list)
                       return HttpResponse::problem(list.error(), request.path);
                   Json items = Json::array();
                   for (const Approval &approval : *list)
                       items.push_back(approval.toJson());
                   return HttpResponse::json(200, Json{{"items", std::move(items)}});
               });
    router.add("GET", QStringLiteral("/api/v1/approvals/{id}"), Access::scope(scopes::kRunsRead),
               [&approvals](const HttpRequest &request) {
                   Result<Approval> approval = approvals.get(request.pathParams.value(0));
                   if (!approval)
                       return HttpResponse::problem(approval.error(), request.path);
                   return HttpResponse::json(200, approval->toJson());
               });
    router.add("POST", QStringLiteral("/api/v1/approvals/{id}/approve"),
               Access::scope(scopes::kApprovalsWrite), [&services](const HttpRequest &request) {
                   return decide(services, request, ApprovalDecision::Approve);
               });
    router.add("POST", QStringLiteral("/api/v1/approvals/{id}/reject"),
               Access::scope(scopes::kApprovalsWrite), [&services](const HttpRequest &request) {
                   return decide(services, request, ApprovalDecision::Reject);
               });
}

} // namespace ordinaut
