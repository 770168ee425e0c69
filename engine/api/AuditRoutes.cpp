// /api/v1/audit: the audit log, read-only (audit:read), in order, a page at a time.
#include "Routes.h"

#include "RequestReading.h"
#include "Router.h"

#include "core/Scopes.h"
#include "runtime/Engine.h"
#include "store/AuditLog.h"

namespace ordinaut {

void addAuditRoutes(Router &router, Engine &engine)
{
    router.add("GET", QStringLiteral("/api/v1/audit"), Access::scope(scopes::kAuditRead),
               [&engine](const HttpRequest &request) {
                   Result<int> limit = queryInt(request, QStringLiteral("limit"), 100, 1, 1000);
                   if (!limit)
                       return HttpResponse::problem(limit.error(), request.path);
                   qint64 after = 0;
                   if (request.query.hasQueryItem(QStringLiteral("after"))) {
                       bool ok = false;
                       after
                           = request.query.queryItemValue(QStringLiteral("after")).toLongLong(&ok);
                       if (!ok || after < 0)
                           return HttpResponse::problem(
                               Error::invalid(QStringLiteral("after"),
                                              QStringLiteral("must be an entry id (an integer "
                                                             "from 0)")),
                               request.path);
                   }
                   auto filter = [&](const QString &name) {
                       return request.query.hasQueryItem(name)
                                  ? request.query.queryItemValue(name, QUrl::FullyDecoded)
                                  : QString();
                   };
                   Result<std::vector<AuditEntry>> entries
                       = AuditLog(engine.database())
                             .search(filter(QStringLiteral("actor")),
                                     filter(QStringLiteral("action")), after, *limit);
                   if (!entries)
                       return HttpResponse::problem(entries.error(), request.path);
                   Json items = Json::array();
                   for (const AuditEntry &entry : *entries)
                       items.push_back(entry.toJson());
                   // Where the next page starts: the last id here, or `after` when none came.
                   const qint64 next = entries->empty() ? after : entries->back().id;
                   return HttpResponse::json(200, Json{{"items", items}, {"next_after", next}});
               });
}

} // namespace ordinaut
