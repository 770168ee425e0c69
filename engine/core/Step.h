// Step: one tool call in a pipeline. `with` holds templates that are rendered just before the
// call; the result is saved under `saveAs` (default: the id) for later steps. `if` guards the
// step, `retry` repeats it while it fails, `on_error` says whether the run goes on.
#pragma once

#include "Json.h"

#include <QString>

#include <optional>

namespace ordinaut {

enum class OnError { Fail, Continue };

// Retries of a step that failed (the tool's error or a timeout), before on_error applies.
struct StepRetry
{
    int maxAttempts = 1; // attempts in all, 1..10
    int backoffMs = 0;   // wait before each further attempt, doubled each time; 0..60000
};

struct Step
{
    QString id;
    QString uses;
    Json with = Json::object();
    QString saveAs;
    std::optional<int> timeoutSeconds;
    OnError onError = OnError::Fail;
    QString condition; // "if": an expression ("${…}" or bare); false skips the step
    StepRetry retry;

    QString resultName() const { return saveAs.isEmpty() ? id : saveAs; }
};

} // namespace ordinaut
