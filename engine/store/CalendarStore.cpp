// CalendarStore: SQL for calendars.
#include "CalendarStore.h"

#include "Database.h"
#include "Sql.h"

namespace ordinaut {

namespace {

QVariant dateText(const QDate &date)
{
    return date.isValid() ? QVariant(date.toString(Qt::ISODate)) : sql::text({});
}

} // namespace

CalendarStore::CalendarStore(const Database &database)
    : m_database(database)
{}

Result<bool> CalendarStore::put(const CalendarRecord &record)
{
    Result<QSqlQuery> existing
        = sql::exec(m_database.connection(), QStringLiteral("SELECT 1 FROM calendars WHERE name=?"),
                    {record.name});
    if (!existing)
        return existing.error();
    const bool created = !existing->next();
    existing->finish();
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral(
            "INSERT INTO calendars (name, source, days, day_count, first_day, last_day, "
            "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET "
            "source=excluded.source, days=excluded.days, day_count=excluded.day_count, "
            "first_day=excluded.first_day, last_day=excluded.last_day, "
            "updated_at=excluded.updated_at"),
        {record.name, QString::fromUtf8(record.source), QString::fromUtf8(record.days),
         record.dayCount, dateText(record.firstDay), dateText(record.lastDay),
         sql::ms(record.createdAt), sql::ms(record.updatedAt)});
    if (!q)
        return q.error();
    return created;
}

Result<CalendarRecord> CalendarStore::get(const QString &name) const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT name, source, days, day_count, first_day, last_day, created_at, "
                       "updated_at FROM calendars WHERE name=?"),
        {name});
    if (!q)
        return q.error();
    if (!q->next()) {
        q->finish();
        Result<std::vector<CalendarRecord>> all = list();
        QStringList names;
        if (all) {
            for (const CalendarRecord &record : *all)
                names << record.name;
        }
        return Error::notFound(
            names.isEmpty()
                ? QStringLiteral("no imported calendar named '%1' (none imported yet)").arg(name)
                : QStringLiteral("no imported calendar named '%1' (imported: %2)")
                      .arg(name, names.join(QStringLiteral(", "))));
    }
    CalendarRecord record;
    record.name = q->value(0).toString();
    record.source = q->value(1).toString().toUtf8();
    record.days = q->value(2).toString().toUtf8();
    record.dayCount = q->value(3).toInt();
    record.firstDay = QDate::fromString(q->value(4).toString(), Qt::ISODate);
    record.lastDay = QDate::fromString(q->value(5).toString(), Qt::ISODate);
    record.createdAt = sql::instant(q->value(6));
    record.updatedAt = sql::instant(q->value(7));
    return record;
}

Result<std::vector<CalendarRecord>> CalendarStore::list() const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT name, day_count, first_day, last_day, created_at, updated_at "
                       "FROM calendars ORDER BY name"));
    if (!q)
        return q.error();
    std::vector<CalendarRecord> records;
    while (q->next()) {
        CalendarRecord record;
        record.name = q->value(0).toString();
        record.dayCount = q->value(1).toInt();
        record.firstDay = QDate::fromString(q->value(2).toString(), Qt::ISODate);
        record.lastDay = QDate::fromString(q->value(3).toString(), Qt::ISODate);
        record.createdAt = sql::instant(q->value(4));
        record.updatedAt = sql::instant(q->value(5));
        records.push_back(std::move(record));
    }
    return records;
}

Status CalendarStore::remove(const QString &name)
{
    Result<QSqlQuery> q = sql::exec(m_database.connection(),
                                    QStringLiteral("DELETE FROM calendars WHERE name=?"), {name});
    if (!q)
        return q.error();
    if (q->numRowsAffected() == 0)
        return Error::notFound(QStringLiteral("no imported calendar named '%1'").arg(name));
    return {};
}

Result<QStringList> CalendarStore::tasksUsing(const QString &name) const
{
    Result<QSqlQuery> q
        = sql::exec(m_database.connection(),
                    QStringLiteral("SELECT id FROM tasks WHERE calendar=? ORDER BY id"), {name});
    if (!q)
        return q.error();
    QStringList ids;
    while (q->next())
        ids << q->value(0).toString();
    return ids;
}

} // namespace ordinaut
