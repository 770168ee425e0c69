// Budgets: each agent's daily allowance of runs and language-model tokens (the setting
// api.agent_budgets: a default for every agent, and per-agent overrides by id; 0 is no
// limit). They count what the tasks an agent created use, whoever starts their runs; a day is
// the machine's local calendar day. The person using the app (tasks not created by an agent)
// has no budget.
#pragma once

#include "core/Result.h"

#include <QDateTime>
#include <QString>

namespace ordinaut {

class Clock;
class Database;
class ToolEnvironment;
class UsageStore;

class Budgets final
{
public:
    Budgets(const Database &database, const Clock &clock, const ToolEnvironment &environment);

    struct Allowance
    {
        qint64 runsPerDay = 0;      // 0: no limit
        qint64 llmTokensPerDay = 0; // 0: no limit
    };
    // What the creator (a task's created_by, "agent:<id>") may use per day.
    Allowance allowanceOf(const QString &createdBy) const;

    // RateLimited, saying which budget and when it renews, once the creator's tasks have
    // queued their runs for today; Internal when the count cannot be read.
    Status admitRun(const QString &createdBy) const;
    // admitRun for the creator of the task `taskId` (admitted when the task is gone); reads
    // nothing when no agent has a run budget.
    Status admitRunForTask(const QString &taskId) const;
    // The same for the language-model tokens their steps have spent today.
    Status admitLlm(const QString &createdBy) const;
    // admitLlm for the creator of the task `taskId` (admitted when the task is gone).
    Status admitLlmForTask(const QString &taskId) const;

    // Where the current day began and where the next begins (local midnights).
    QDateTime dayStart() const;
    QDateTime nextDayStart() const;

private:
    using UsageCount = Result<qint64> (UsageStore::*)(const QString &, const QDateTime &) const;
    // RateLimited once what `createdBy`'s tasks used today (`used`) reaches `allowed` (0: none).
    Status check(const QString &createdBy, qint64 allowed, const QString &what,
                 UsageCount used) const;
    // The task's created_by; a null string when the task is gone.
    Result<QString> creatorOf(const QString &taskId) const;
    Error exhausted(const QString &createdBy, const QString &what, qint64 used,
                    qint64 allowed) const;

    const Database &m_database;
    const Clock &m_clock;
    const ToolEnvironment &m_environment;
};

} // namespace ordinaut
