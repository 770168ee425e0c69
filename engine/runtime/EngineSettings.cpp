// EngineSettings: keys, ranges and defaults.
#include "EngineSettings.h"

#include "store/SettingsStore.h"

namespace ordinaut {

namespace {
const char *const kRunAllCap = "scheduler.run_all_cap";
} // namespace

Result<EngineSettings> EngineSettings::load(const Database &database)
{
    Result<Json> stored = SettingsStore(database).all();
    if (!stored)
        return stored.error();
    // Keys this version does not know (written by a newer one) are left alone.
    Json known = Json::object();
    if (stored->contains(kRunAllCap))
        known[kRunAllCap] = (*stored)[kRunAllCap];
    Result<EngineSettings> settings = EngineSettings{}.patched(known);
    if (!settings)
        return Error::internal(
            QStringLiteral("stored setting %1").arg(settings.error().describe()));
    return settings;
}

Result<EngineSettings> EngineSettings::patched(const Json &patch) const
{
    if (!patch.is_object())
        return Error{
            ErrorCode::MalformedInput,
            QStringLiteral("settings must be a JSON object, got %1").arg(jsonTypeName(patch)),
            {}};
    EngineSettings next = *this;
    for (const auto &[key, value] : patch.items()) {
        if (key == kRunAllCap) {
            if (!value.is_number_integer() || value.get<qint64>() < 1
                || value.get<qint64>() > kMaxRunAllCap)
                return Error::invalid(
                    qs(key), QStringLiteral("must be an integer from 1 to %1").arg(kMaxRunAllCap));
            next.runAllCap = value.get<int>();
        } else {
            return Error::invalid(qs(key), QStringLiteral("is not a setting (known: %1)")
                                               .arg(QString::fromLatin1(kRunAllCap)));
        }
    }
    return next;
}

Json EngineSettings::toJson() const
{
    return Json{{kRunAllCap, runAllCap}};
}

} // namespace ordinaut
