// SettingsService: reads and changes the engine settings (EngineSettings) with audit and an
// event, so every engine on the database applies a change at once.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

namespace ordinaut {

class Engine;

class SettingsService final
{
public:
    explicit SettingsService(Engine &engine);

    // Every setting by key, defaults included.
    Result<Json> get() const;
    // Applies a partial object ({"scheduler.run_all_cap": 20}) and returns every setting. An
    // unknown key or a bad value is InvalidArgument naming the key, and changes nothing.
    Result<Json> update(const Json &patch, const QString &actor);

private:
    Engine &m_engine;
};

} // namespace ordinaut
