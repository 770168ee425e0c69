// Small helpers around QSqlQuery: prepared statements with positional binds that report
// failures as Error values, and a transaction guard that rolls back unless committed.
#pragma once

#include "core/Result.h"

#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariant>

#include <initializer_list>

namespace ordinaut::sql {

// Prepares, binds and executes. Errors: Unavailable when the database is busy past its timeout,
// Conflict on a constraint violation, Internal otherwise (with the driver's text).
Result<QSqlQuery> exec(const QSqlDatabase &db, const QString &statement,
                       std::initializer_list<QVariant> binds = {});
Result<QSqlQuery> exec(const QSqlDatabase &db, const QString &statement, const QVariantList &binds);

// Instants travel as Unix milliseconds; an invalid QDateTime is NULL.
QVariant ms(const QDateTime &instant);
QDateTime instant(const QVariant &value);
QVariant text(const QString &value); // NULL for a null QString, '' stays ''

enum class TransactionMode { Deferred, Immediate };

class Transaction final
{
public:
    explicit Transaction(QSqlDatabase db, TransactionMode mode = TransactionMode::Deferred);
    ~Transaction();
    Q_DISABLE_COPY_MOVE(Transaction)

    // False when BEGIN failed (busy past the timeout); error() says why.
    bool isOpen() const { return m_open; }
    const Error &error() const { return m_error; }
    Status commit();

private:
    QSqlDatabase m_db;
    bool m_open = false;
    Error m_error;
};

} // namespace ordinaut::sql
