// ToolCatalog: the MCP tools, each one operation of the REST API described for a model. A call
// goes through the same route handler as the REST request would (validation, ownership, audit,
// events), so the two surfaces cannot drift apart; input and output schemas are taken from the
// route's OpenAPI operation, with the components they use inlined as $defs.
#pragma once

#include "api/Router.h"

#include "core/Json.h"
#include "core/Result.h"

#include <QString>

#include <vector>

namespace ordinaut::mcp {

struct ToolSpec
{
    QString name;
    QString title;
    QString description;
    QByteArray method; // the REST operation it is
    QString pattern;
    bool readOnly = false;
    bool destructive = false;
    bool idempotent = false;
    bool openWorld = false;   // may reach beyond Ordinaut (runs pipelines that send mail…)
    bool taskSupport = false; // may answer with an MCP task (run_task_now)
};

class ToolCatalog final
{
public:
    struct Tool
    {
        ToolSpec spec;
        QString scope;        // the route's scope
        QStringList pathArgs; // the {…} names of the pattern, in order
        Json inputSchema;
        Json outputSchema; // null when the operation answers with no body
    };

    // Describes every tool from the router (the scope) and the OpenAPI document (the schemas).
    // InvalidArgument naming the tool when its route or operation is missing.
    static Result<ToolCatalog> build(const Router &router, const Json &openApi);

    const std::vector<Tool> &tools() const { return m_tools; }
    const Tool *find(const QString &name) const;

    // tools/list entries for a caller holding `scopes`, as `version` defines a tool.
    Json list(const QStringList &scopes, const QString &version) const;

    // The REST request a call makes: path arguments fill the pattern, the rest go to the query
    // (reading operations) or the body. InvalidArgument naming the argument otherwise.
    static Result<HttpRequest> requestFor(const Tool &tool, const Json &arguments);

    // A tools/call result from the route's answer: the body as text (and as structuredContent
    // where the version has it), or isError with what was wrong and which field.
    static Json resultFrom(const Tool &tool, const HttpResponse &answer, const QString &version);
    static Json errorResult(const QString &message);

private:
    std::vector<Tool> m_tools;
};

// The tools Ordinaut offers, in the order tools/list gives them.
const std::vector<ToolSpec> &toolSpecs();

} // namespace ordinaut::mcp
