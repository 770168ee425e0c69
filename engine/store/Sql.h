// Small helpers around QSqlQuery: prepared statements with positional binds that report
// failures as Error values, and a transaction guard that rolls back unless committed.
#pragma once

#include "core/Result.h"

#include <QDateTime>
#include <QHash>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariant>

#include <initializer_list>
#include <vector>

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
// Inside the write queue's shared transaction: a savepoint of its own (undone alone when it
// is not committed), or joined to the enclosing piece — for code whose every failure fails
// that piece, which then undoes it anyway (two statements fewer).
enum class Nesting { Savepoint, Join };

// A transaction, or — on a thread already inside one opened by the write queue (WriteQueue) — a
// savepoint within it, so the same code runs on its own or as part of a group commit.
class Transaction final
{
public:
    explicit Transaction(QSqlDatabase db, TransactionMode mode = TransactionMode::Deferred,
                         Nesting nesting = Nesting::Savepoint);
    ~Transaction();
    Q_DISABLE_COPY_MOVE(Transaction)

    // False when BEGIN failed (busy past the timeout); error() says why.
    bool isOpen() const { return m_open; }
    const Error &error() const { return m_error; }
    // COMMIT (or RELEASE of the savepoint: durable with the enclosing transaction).
    Status commit();

private:
    QSqlDatabase m_db;
    int m_savepoint = 0;   // its depth; 0 for a real transaction
    bool m_joined = false; // part of the enclosing piece: nothing to begin or end
    bool m_open = false;
    Error m_error;
};

// On the thread that installs it, exec() keeps each statement prepared and reuses it, and
// Transaction nests as savepoints: the write queue's thread, which runs every hot write of the
// process in a handful of statements. Not for threads that hold query results across calls.
class StatementCache final
{
public:
    StatementCache();
    ~StatementCache();
    Q_DISABLE_COPY_MOVE(StatementCache)

    // Marks this thread as inside an enclosing transaction (Transaction becomes a savepoint).
    void setInTransaction(bool inside) { m_inTransaction = inside; }
    bool inTransaction() const { return m_inTransaction; }
    // Resets every cached statement (before COMMIT: no statement may stay active).
    void finishAll();
    // Resets the cached write statements still active (an UPDATE … RETURNING read only up to
    // its first row): SQLite refuses to release a savepoint while one is. Reads in progress
    // are left alone.
    void finishWrites();
    QSqlQuery *find(const QSqlDatabase &db, const QString &statement);
    static StatementCache *current();

private:
    QHash<QString, QHash<QString, QSqlQuery *>> m_queries; // by connection, then statement
    std::vector<QSqlQuery *> m_writes;                     // those of m_queries that change rows
    bool m_inTransaction = false;
    int m_savepoints = 0;
    friend class Transaction;
};

} // namespace ordinaut::sql
