// SettingsStore: the settings table, JSON values by key. Which keys exist and what they may hold
// is the service layer's business (SettingsService).
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <QDateTime>

namespace ordinaut {

class Database;

class SettingsStore final
{
public:
    explicit SettingsStore(const Database &database);

    // Every stored value, as one object {"scheduler.run_all_cap": 10, …}.
    Result<Json> all() const;
    Status put(const QString &key, const Json &value, const QDateTime &at);

private:
    const Database &m_database;
};

} // namespace ordinaut
