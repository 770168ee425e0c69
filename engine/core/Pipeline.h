// Pipeline: a task's ordered steps and its parameters, in the seed's JSON format
// {"params":{…},"pipeline":[{"id","uses","with","save_as","timeout_seconds","on_error"}]}.
#pragma once

#include "Result.h"
#include "Step.h"

#include <vector>

namespace ordinaut {

struct Pipeline
{
    std::vector<Step> steps;
    Json params = Json::object();

    // Reads the document's shape; errors name the field under `path` ("payload.pipeline[1].id").
    // Returns InvalidArgument for a wrong type, a missing or duplicate id, or a key this version
    // does not run (so nothing is silently ignored).
    static Result<Pipeline> fromJson(const Json &document, const QString &path);
    Json toJson() const;
};

} // namespace ordinaut
