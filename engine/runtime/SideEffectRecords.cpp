// SideEffectRecords: a reserved key has a NULL result until the effect is recorded.
#include "SideEffectRecords.h"

#include "core/Clock.h"
#include "store/Database.h"
#include "store/Sql.h"

namespace ordinaut {

SideEffectRecords::SideEffectRecords(const Database &database, const Clock &clock)
    : m_database(database)
    , m_clock(clock)
{}

Result<std::optional<Json>> SideEffectRecords::reserve(const QString &key, const QString &runId,
                                                       const QString &stepId)
{
    // Insert-if-absent is one statement, so two workers racing for a key cannot both win.
    Result<QSqlQuery> inserted = sql::exec(
        m_database.connection(),
        QStringLiteral("INSERT INTO side_effects (key, run_id, step_id, result, created_at) "
                       "VALUES (?,?,?,NULL,?) ON CONFLICT (key) DO NOTHING"),
        {key, runId, stepId, sql::ms(m_clock.now())});
    if (!inserted)
        return inserted.error();
    if (inserted->numRowsAffected() == 1)
        return std::optional<Json>();
    Result<QSqlQuery> found = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT result, created_at FROM side_effects WHERE key=?"), {key});
    if (!found)
        return found.error();
    if (!found->next())
        return Error{ErrorCode::Conflict,
                     QStringLiteral("the effect '%1' was released meanwhile; try again").arg(key),
                     {}};
    if (found->value(0).isNull())
        return Error{ErrorCode::Conflict,
                     QStringLiteral("an earlier attempt started this effect at %1 and never "
                                    "recorded whether it happened; it is not repeated "
                                    "(side effect '%2')")
                         .arg(formatInstant(sql::instant(found->value(1))), key),
                     {}};
    std::optional<Json> result = parseJson(found->value(0).toString().toUtf8());
    if (!result)
        return Error::internal(
            QStringLiteral("side effect '%1' has an unreadable result").arg(key));
    return std::optional<Json>(std::move(*result));
}

Status SideEffectRecords::record(const QString &key, const Json &result)
{
    Result<QSqlQuery> q = sql::exec(m_database.connection(),
                                    QStringLiteral("UPDATE side_effects SET result=? WHERE key=?"),
                                    {QString::fromUtf8(dumpJson(result)), key});
    if (!q)
        return q.error();
    if (q->numRowsAffected() != 1)
        return Error::internal(QStringLiteral("side effect '%1' was not reserved").arg(key));
    return {};
}

Status SideEffectRecords::release(const QString &key)
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("DELETE FROM side_effects WHERE key=? AND result IS NULL"), {key});
    if (!q)
        return q.error();
    return {};
}

} // namespace ordinaut
