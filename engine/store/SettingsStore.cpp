// SettingsStore: SQL for settings.
#include "SettingsStore.h"

#include "Database.h"
#include "Sql.h"

namespace ordinaut {

SettingsStore::SettingsStore(const Database &database)
    : m_database(database)
{}

Result<Json> SettingsStore::all() const
{
    Result<QSqlQuery> q = sql::exec(m_database.connection(),
                                    QStringLiteral("SELECT key, value FROM settings ORDER BY key"));
    if (!q)
        return q.error();
    Json values = Json::object();
    while (q->next()) {
        const auto value = parseJson(q->value(1).toByteArray());
        if (!value)
            return Error::internal(
                QStringLiteral("setting %1 is unreadable").arg(q->value(0).toString()));
        values[q->value(0).toString().toStdString()] = *value;
    }
    return values;
}

Status SettingsStore::put(const QString &key, const Json &value, const QDateTime &at)
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("INSERT INTO settings (key, value, updated_at) VALUES (?,?,?) ON CONFLICT "
                       "(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at"),
        {key, QString::fromUtf8(dumpJson(value)), sql::ms(at)});
    if (!q)
        return q.error();
    return {};
}

} // namespace ordinaut
