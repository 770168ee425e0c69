// /auth: agents sign in with their id and secret, refresh and revoke tokens (OAuth 2.0-shaped
// JSON answers, RFC 6749 §5.1 and RFC 7009).
#include "Routes.h"

#include "Authenticator.h"
#include "RequestReading.h"
#include "Router.h"

#include "core/Clock.h"

namespace ordinaut {

namespace {

// A required non-empty string field of an object body.
Result<QString> stringField(const Json &body, const char *name)
{
    const auto found = body.find(name);
    if (found == body.end() || !found->is_string()
        || QString::fromStdString(found->get<std::string>()).trimmed().isEmpty())
        return Error::invalid(QString::fromLatin1(name), QStringLiteral("is required (a string)"));
    if (found->get<std::string>().size() > 4096)
        return Error::invalid(QString::fromLatin1(name), QStringLiteral("is too long"));
    return QString::fromStdString(found->get<std::string>());
}

HttpResponse tokensResponse(const Result<Authenticator::Tokens> &tokens, const QDateTime &now,
                            const HttpRequest &request)
{
    if (!tokens)
        return HttpResponse::problem(tokens.error(), request.path);
    return HttpResponse::json(200, tokens->toJson(now));
}

} // namespace

void addAuthRoutes(Router &router, Authenticator &auth, const Clock &clock)
{
    router.add(
        "POST", QStringLiteral("/auth/token"), Access::anyone(),
        [&auth, &clock](const HttpRequest &request) {
            Result<Json> body
                = optionalObject(request, {QStringLiteral("agent_id"), QStringLiteral("secret")});
            if (!body)
                return HttpResponse::problem(body.error(), request.path);
            Result<QString> agentId = stringField(*body, "agent_id");
            if (!agentId)
                return HttpResponse::problem(agentId.error(), request.path);
            Result<QString> secret = stringField(*body, "secret");
            if (!secret)
                return HttpResponse::problem(secret.error(), request.path);
            Result<Authenticator::Tokens> tokens = auth.signIn(*agentId, *secret, request.peer);
            HttpResponse response = tokensResponse(tokens, clock.now(), request);
            if (!tokens && tokens.error().code == ErrorCode::RateLimited)
                response.headers.append(
                    qMakePair(QByteArray("Retry-After"),
                              QByteArray::number(auth.retryAfterSeconds(*agentId, request.peer))));
            return response;
        });
    router.add("POST", QStringLiteral("/auth/refresh"), Access::anyone(),
               [&auth, &clock](const HttpRequest &request) {
                   Result<Json> body = optionalObject(request, {QStringLiteral("refresh_token")});
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<QString> token = stringField(*body, "refresh_token");
                   if (!token)
                       return HttpResponse::problem(token.error(), request.path);
                   return tokensResponse(auth.refresh(*token), clock.now(), request);
               });
    router.add("POST", QStringLiteral("/auth/revoke"), Access::anyone(),
               [&auth](const HttpRequest &request) {
                   Result<Json> body = optionalObject(request, {QStringLiteral("token")});
                   if (!body)
                       return HttpResponse::problem(body.error(), request.path);
                   Result<QString> token = stringField(*body, "token");
                   if (!token)
                       return HttpResponse::problem(token.error(), request.path);
                   if (Status revoked = auth.revoke(*token, QStringLiteral("peer:") + request.peer);
                       !revoked)
                       return HttpResponse::problem(revoked.error(), request.path);
                   return HttpResponse::json(200, Json::object());
               });
}

} // namespace ordinaut
