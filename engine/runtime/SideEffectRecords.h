// SideEffectRecords: the side_effects table as a SideEffectLedger, on one thread's database
// connection (each worker has its own).
#pragma once

#include "tools/SideEffectLedger.h"

namespace ordinaut {

class Clock;
class Database;

class SideEffectRecords final : public SideEffectLedger
{
public:
    SideEffectRecords(const Database &database, const Clock &clock);
    Q_DISABLE_COPY_MOVE(SideEffectRecords)

    Result<std::optional<Json>> reserve(const QString &key, const QString &runId,
                                        const QString &stepId) override;
    Result<SideEffectReservation> reserveWithIntent(const QString &key, const QString &runId,
                                                    const QString &stepId,
                                                    const Json &intent) override;
    Status retake(const QString &key, const QString &runId, const Json &intent) override;
    Result<std::vector<Json>> intentsAfter(const QString &key, const QString &prefix) override;
    Status record(const QString &key, const Json &result) override;
    Status release(const QString &key) override;

private:
    const Database &m_database;
    const Clock &m_clock;
};

} // namespace ordinaut
