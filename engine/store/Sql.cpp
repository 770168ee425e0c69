// QSqlQuery helpers with Error reporting.
#include "Sql.h"

#include <QSqlError>

namespace ordinaut::sql {

namespace {

Error errorFrom(const QSqlError &error, const QString &statement)
{
    const QString text = error.text();
    const QString native = error.nativeErrorCode();
    // SQLite primary codes: 5 BUSY, 6 LOCKED, 19 CONSTRAINT.
    if (native == QLatin1String("5") || native == QLatin1String("6"))
        return Error{ErrorCode::Unavailable, QStringLiteral("the database is busy: ") + text, {}};
    if (native == QLatin1String("19") || native.startsWith(QLatin1String("2067"))
        || native == QLatin1String("1555") || native == QLatin1String("787"))
        return Error{ErrorCode::Conflict, QStringLiteral("constraint violated: ") + text, {}};
    return Error::internal(
        QStringLiteral("database error: %1 (in: %2)").arg(text, statement.left(80)));
}

} // namespace

Result<QSqlQuery> exec(const QSqlDatabase &db, const QString &statement, const QVariantList &binds)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(statement))
        return errorFrom(query.lastError(), statement);
    for (const QVariant &value : binds)
        query.addBindValue(value);
    if (!query.exec())
        return errorFrom(query.lastError(), statement);
    return query;
}

Result<QSqlQuery> exec(const QSqlDatabase &db, const QString &statement,
                       std::initializer_list<QVariant> binds)
{
    return exec(db, statement, QVariantList(binds));
}

QVariant ms(const QDateTime &instant)
{
    return instant.isValid() ? QVariant(instant.toMSecsSinceEpoch())
                             : QVariant(QMetaType(QMetaType::LongLong));
}

QDateTime instant(const QVariant &value)
{
    if (value.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), Qt::UTC);
}

QVariant text(const QString &value)
{
    return value.isNull() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(value);
}

Transaction::Transaction(QSqlDatabase db, TransactionMode mode)
    : m_db(std::move(db))
{
    QSqlQuery begin(m_db);
    m_open = begin.exec(mode == TransactionMode::Immediate ? QStringLiteral("BEGIN IMMEDIATE")
                                                           : QStringLiteral("BEGIN"));
    if (!m_open)
        m_error = errorFrom(begin.lastError(), QStringLiteral("BEGIN"));
}

Transaction::~Transaction()
{
    if (m_open) {
        QSqlQuery rollback(m_db);
        rollback.exec(QStringLiteral("ROLLBACK"));
    }
}

Status Transaction::commit()
{
    if (!m_open)
        return m_error;
    QSqlQuery commit(m_db);
    if (!commit.exec(QStringLiteral("COMMIT")))
        return errorFrom(commit.lastError(), QStringLiteral("COMMIT"));
    m_open = false;
    return {};
}

} // namespace ordinaut::sql
