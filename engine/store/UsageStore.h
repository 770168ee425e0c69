// UsageStore: what an agent's tasks have used since an instant — runs queued and language-model
// tokens spent — for the daily budgets (runtime/Budgets).
#pragma once

#include "core/Result.h"

#include <QDateTime>
#include <QString>

namespace ordinaut {

class Database;

class UsageStore final
{
public:
    explicit UsageStore(const Database &database);

    // Runs (every attempt and trigger, skipped ones aside) of the tasks `createdBy` made,
    // queued at or after `since`.
    Result<qint64> runsSince(const QString &createdBy, const QDateTime &since) const;
    // Input plus output tokens of the llm.chat steps of those tasks' runs that finished at or
    // after `since`.
    Result<qint64> llmTokensSince(const QString &createdBy, const QDateTime &since) const;

private:
    const Database &m_database;
};

} // namespace ordinaut
