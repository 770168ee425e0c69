// SideEffectRecords: a reserved key has a NULL result until the effect is recorded. The order in
// which keys were reserved is SQLite's rowid: a new row gets one above every row there is, and a
// retake moves its row above them too.
#include "SideEffectRecords.h"

#include "core/Clock.h"
#include "store/Database.h"
#include "store/Sql.h"

namespace ordinaut {

namespace {

QVariant intentText(const Json &intent)
{
    return intent.is_null() ? sql::text(QString()) : QVariant(QString::fromUtf8(dumpJson(intent)));
}

Result<Json> readJson(const QVariant &value, const QString &key, const char *what)
{
    if (value.isNull())
        return Json();
    std::optional<Json> parsed = parseJson(value.toString().toUtf8());
    if (!parsed)
        return Error::internal(
            QStringLiteral("side effect '%1' has an unreadable %2").arg(key, QLatin1String(what)));
    return std::move(*parsed);
}

} // namespace

SideEffectRecords::SideEffectRecords(const Database &database, const Clock &clock)
    : m_database(database)
    , m_clock(clock)
{}

Result<std::optional<Json>> SideEffectRecords::reserve(const QString &key, const QString &runId,
                                                       const QString &stepId)
{
    Result<SideEffectReservation> reserved = reserveWithIntent(key, runId, stepId, Json());
    if (!reserved)
        return reserved.error();
    switch (reserved->state) {
    case SideEffectReservation::State::Reserved:
        return std::optional<Json>();
    case SideEffectReservation::State::Recorded:
        return std::optional<Json>(std::move(reserved->result));
    case SideEffectReservation::State::Unfinished:
        break;
    }
    return Error{ErrorCode::Conflict,
                 QStringLiteral("an earlier attempt started this effect at %1 and never "
                                "recorded whether it happened; it is not repeated "
                                "(side effect '%2')")
                     .arg(formatInstant(reserved->reservedAt), key),
                 {}};
}

Result<SideEffectReservation> SideEffectRecords::reserveWithIntent(const QString &key,
                                                                   const QString &runId,
                                                                   const QString &stepId,
                                                                   const Json &intent)
{
    // Insert-if-absent is one statement, so two workers racing for a key cannot both win.
    Result<QSqlQuery> inserted = sql::exec(
        m_database.connection(),
        QStringLiteral("INSERT INTO side_effects (key, run_id, step_id, result, intent, "
                       "created_at) VALUES (?,?,?,NULL,?,?) ON CONFLICT (key) DO NOTHING"),
        {key, runId, stepId, intentText(intent), sql::ms(m_clock.now())});
    if (!inserted)
        return inserted.error();
    if (inserted->numRowsAffected() == 1)
        return SideEffectReservation{};
    Result<QSqlQuery> found = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT result, intent, run_id, created_at FROM side_effects WHERE key=?"),
        {key});
    if (!found)
        return found.error();
    if (!found->next())
        return Error{ErrorCode::Conflict,
                     QStringLiteral("the effect '%1' was released meanwhile; try again").arg(key),
                     {}};
    SideEffectReservation reservation;
    if (!found->value(0).isNull()) {
        Result<Json> result = readJson(found->value(0), key, "result");
        if (!result)
            return result.error();
        found->finish();
        reservation.state = SideEffectReservation::State::Recorded;
        reservation.result = std::move(*result);
        return reservation;
    }
    Result<Json> earlier = readJson(found->value(1), key, "intent");
    if (!earlier)
        return earlier.error();
    reservation.state = SideEffectReservation::State::Unfinished;
    reservation.intent = std::move(*earlier);
    reservation.runId = found->value(2).toString();
    reservation.reservedAt = sql::instant(found->value(3));
    found->finish();
    return reservation;
}

Status SideEffectRecords::retake(const QString &key, const QString &runId, const Json &intent)
{
    Result<QSqlQuery> q
        = sql::exec(m_database.connection(),
                    QStringLiteral("UPDATE side_effects SET run_id=?, intent=?, created_at=?, "
                                   "rowid=(SELECT max(rowid) + 1 FROM side_effects) "
                                   "WHERE key=? AND result IS NULL"),
                    {runId, intentText(intent), sql::ms(m_clock.now()), key});
    if (!q)
        return q.error();
    if (q->numRowsAffected() != 1)
        return Error{
            ErrorCode::Conflict,
            QStringLiteral("the side effect '%1' was recorded or released meanwhile").arg(key),
            {}};
    return {};
}

Result<std::vector<Json>> SideEffectRecords::intentsAfter(const QString &key, const QString &prefix)
{
    const QSqlDatabase db = m_database.connection();
    Result<QSqlQuery> own
        = sql::exec(db, QStringLiteral("SELECT rowid FROM side_effects WHERE key=?"), {key});
    if (!own)
        return own.error();
    if (!own->next())
        return Error{ErrorCode::NotFound,
                     QStringLiteral("the side effect '%1' is not reserved").arg(key),
                     {}};
    const qint64 position = own->value(0).toLongLong();
    own->finish();
    // Walks the rowid range after `key` only: what was reserved since, not the whole table.
    Result<QSqlQuery> later
        = sql::exec(db,
                    QStringLiteral("SELECT key, intent FROM side_effects WHERE rowid > ? AND "
                                   "intent IS NOT NULL AND substr(key, 1, ?) = ? ORDER BY rowid"),
                    {position, prefix.size(), prefix});
    if (!later)
        return later.error();
    std::vector<Json> intents;
    while (later->next()) {
        Result<Json> intent = readJson(later->value(1), later->value(0).toString(), "intent");
        if (!intent)
            return intent.error();
        intents.push_back(std::move(*intent));
    }
    return intents;
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
