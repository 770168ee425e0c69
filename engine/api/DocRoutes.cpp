// GET /openapi.json and GET /docs: the API describing itself, without authentication.
#include "Routes.h"

#include "OpenApi.h"
#include "Router.h"

namespace ordinaut {

void addDocRoutes(Router &router)
{
    router.add("GET", QStringLiteral("/openapi.json"), Access::anyone(),
               [](const HttpRequest &request) {
                   const Result<Json> &document = OpenApi::document();
                   if (!document)
                       return HttpResponse::problem(document.error(), request.path);
                   static const QByteArray body = dumpJson(*document);
                   HttpResponse response;
                   response.body = body;
                   return response;
               });
    router.add("GET", QStringLiteral("/docs"), Access::anyone(), [](const HttpRequest &request) {
        const Result<Json> &document = OpenApi::document();
        if (!document)
            return HttpResponse::problem(document.error(), request.path);
        static const QByteArray page = OpenApi::renderHtml(*document);
        HttpResponse response;
        response.contentType = "text/html; charset=utf-8";
        response.body = page;
        return response;
    });
}

} // namespace ordinaut
