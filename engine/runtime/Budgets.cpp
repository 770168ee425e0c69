// Budgets: allowances from the setting, usage from UsageStore.
#include "Budgets.h"

#include "core/Clock.h"
#include "store/Database.h"
#include "store/Prepared.h"
#include "store/UsageStore.h"
#include "tools/ToolEnvironment.h"

namespace ordinaut {

namespace {

const QLatin1String kAgentPrefix("agent:");

qint64 number(const Json &node, const char *key, qint64 fallback)
{
    return node.is_object() && node.contains(key) && node[key].is_number_integer()
               ? node[key].get<qint64>()
               : fallback;
}

} // namespace

Budgets::Budgets(const Database &database, const Clock &clock, const ToolEnvironment &environment)
    : m_database(database)
    , m_clock(clock)
    , m_environment(environment)
{}

Budgets::Allowance Budgets::allowanceOf(const QString &createdBy) const
{
    if (!createdBy.startsWith(kAgentPrefix))
        return {};
    const Json setting = m_environment.setting("api.agent_budgets");
    Allowance allowance{number(setting, "runs_per_day", 0),
                        number(setting, "llm_tokens_per_day", 0)};
    const std::string id = createdBy.mid(kAgentPrefix.size()).toStdString();
    if (setting.is_object() && setting.contains("agents") && setting["agents"].contains(id)) {
        const Json &own = setting["agents"][id];
        allowance.runsPerDay = number(own, "runs_per_day", allowance.runsPerDay);
        allowance.llmTokensPerDay = number(own, "llm_tokens_per_day", allowance.llmTokensPerDay);
    }
    return allowance;
}

QDateTime Budgets::dayStart() const
{
    const QDateTime local = m_clock.now().toLocalTime();
    return QDateTime(local.date(), QTime(0, 0), Qt::LocalTime);
}

QDateTime Budgets::nextDayStart() const
{
    const QDateTime local = m_clock.now().toLocalTime();
    return QDateTime(local.date().addDays(1), QTime(0, 0), Qt::LocalTime);
}

Error Budgets::exhausted(const QString &createdBy, const QString &what, qint64 used,
                         qint64 allowed) const
{
    const qint64 minutes = std::max<qint64>(1, (m_clock.now().secsTo(nextDayStart()) + 59) / 60);
    return Error{ErrorCode::RateLimited,
                 QStringLiteral("%1 has used %2 of its %3 %4 for today (setting "
                                "api.agent_budgets); the budget renews at local midnight, in "
                                "%5 h %6 min")
                     .arg(createdBy)
                     .arg(used)
                     .arg(allowed)
                     .arg(what)
                     .arg(minutes / 60)
                     .arg(minutes % 60),
                 {}};
}

Status Budgets::check(const QString &createdBy, qint64 allowed, const QString &what,
                      UsageCount used) const
{
    if (allowed <= 0)
        return {};
    Result<qint64> count = (UsageStore(m_database).*used)(createdBy, dayStart());
    if (!count)
        return count.error();
    return *count < allowed ? Status() : exhausted(createdBy, what, *count, allowed);
}

Result<QString> Budgets::creatorOf(const QString &taskId) const
{
    Result<sql::Rows> creator = sql::query(m_database.connection(),
                                           "SELECT created_by FROM tasks WHERE id = ?", {taskId});
    if (!creator)
        return creator.error();
    return creator->empty() ? QString() : creator->text(0, 0);
}

Status Budgets::admitRun(const QString &createdBy) const
{
    return check(createdBy, allowanceOf(createdBy).runsPerDay, QStringLiteral("runs"),
                 &UsageStore::runsSince);
}

Status Budgets::admitLlm(const QString &createdBy) const
{
    return check(createdBy, allowanceOf(createdBy).llmTokensPerDay,
                 QStringLiteral("language-model tokens"), &UsageStore::llmTokensSince);
}

Status Budgets::admitRunForTask(const QString &taskId) const
{
    const Json setting = m_environment.setting("api.agent_budgets");
    bool any = number(setting, "runs_per_day", 0) > 0;
    if (!any && setting.is_object() && setting.contains("agents"))
        for (const auto &[id, own] : setting["agents"].items())
            any = any || number(own, "runs_per_day", 0) > 0;
    if (!any)
        return {};
    Result<QString> creator = creatorOf(taskId);
    if (!creator)
        return creator.error();
    return creator->isNull() ? Status() : admitRun(*creator);
}

Status Budgets::admitLlmForTask(const QString &taskId) const
{
    Result<QString> creator = creatorOf(taskId);
    if (!creator)
        return creator.error();
    return creator->isNull() ? Status() : admitLlm(*creator);
}

} // namespace ordinaut
