// EngineSettings: the engine's user settings, stored in the database so every surface and every
// engine on it agree: read at start, re-read when "settings.changed" is announced. One table of
// keys, each with a default and a JSON Schema that every change must satisfy.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

namespace ordinaut {

class Database;

struct EngineSettings
{
    // "scheduler.run_all_cap": the most runs one task queues at once for occurrences missed
    // under misfire policy run_all (the latest ones are kept).
    int runAllCap = 10;
    static constexpr int kMaxRunAllCap = 1000;

    EngineSettings();

    // The stored values over the defaults.
    static Result<EngineSettings> load(const Database &database);
    // These settings with `patch` ({"scheduler.run_all_cap": 20}) applied. InvalidArgument
    // naming the key (and the path inside its value) for an unknown key or a value its schema
    // refuses; MalformedInput when `patch` is not an object.
    Result<EngineSettings> patched(const Json &patch) const;
    // Every setting by key.
    Json toJson() const { return m_values; }
    // [{"key","description","default","schema"}] for clients that build a settings form.
    static Json catalog();

private:
    Json m_values;
};

} // namespace ordinaut
