// Step: one tool call in a pipeline. `with` holds templates that are rendered just before the
// call; the result is saved under `saveAs` (default: the id) for later steps.
#pragma once

#include "Json.h"

#include <QString>

#include <optional>

namespace ordinaut {

enum class OnError { Fail, Continue };

struct Step
{
    QString id;
    QString uses;
    Json with = Json::object();
    QString saveAs;
    std::optional<int> timeoutSeconds;
    OnError onError = OnError::Fail;

    QString resultName() const { return saveAs.isEmpty() ? id : saveAs; }
};

} // namespace ordinaut
