// Statements run straight on SQLite, for the hot paths (claims, enqueues, outcomes, events):
// prepared once per connection and kept, values bound without QVariant, every row read at once
// and the statement reset before the call returns — so no statement stays open to pin a read
// snapshot or block a savepoint's release. Works on any connection of this thread, alongside
// the Qt SQL statements of the same connection (they share its transaction).
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <initializer_list>
#include <string>
#include <vector>

class QSqlDatabase;
struct sqlite3;

namespace ordinaut::sql {

// One value to bind. A null QString or an invalid QDateTime binds NULL; instants bind as Unix
// milliseconds. Holds references: it lives only for the call it is built for.
class Bind final
{
public:
    Bind(std::nullptr_t) {}
    Bind(int value)
        : m_kind(Kind::Integer)
        , m_integer(value)
    {}
    Bind(qint64 value)
        : m_kind(Kind::Integer)
        , m_integer(value)
    {}
    Bind(bool value)
        : m_kind(Kind::Integer)
        , m_integer(value ? 1 : 0)
    {}
    Bind(double value)
        : m_kind(Kind::Real)
        , m_real(value)
    {}
    Bind(const QString &value)
        : m_kind(value.isNull() ? Kind::Null : Kind::Text16)
        , m_text16(&value)
    {}
    Bind(const QByteArray &utf8)
        : m_kind(utf8.isNull() ? Kind::Null : Kind::Text8)
        , m_utf8(utf8.constData())
        , m_utf8Size(utf8.size())
    {}
    Bind(const std::string &utf8)
        : m_kind(Kind::Text8)
        , m_utf8(utf8.data())
        , m_utf8Size(qsizetype(utf8.size()))
    {}
    Bind(const QDateTime &instant)
        : m_kind(instant.isValid() ? Kind::Integer : Kind::Null)
        , m_integer(instant.isValid() ? instant.toMSecsSinceEpoch() : 0)
    {}
    Bind(const char *) = delete; // say QByteArray or std::string (UTF-8), or QString

private:
    friend class Rows;
    enum class Kind { Null, Integer, Real, Text16, Text8 };
    Kind m_kind = Kind::Null;
    qint64 m_integer = 0;
    double m_real = 0.0;
    const QString *m_text16 = nullptr;
    const char *m_utf8 = nullptr;
    qsizetype m_utf8Size = 0;
};

// What one statement returned: all its rows, and how many rows it changed.
class Rows final
{
public:
    int size() const { return int(m_rows.size()); }
    bool empty() const { return m_rows.empty(); }
    // Rows inserted, updated or deleted by the statement (sqlite3_changes).
    qint64 changes() const { return m_changes; }
    // The rowid of the row an INSERT added (cheaper than RETURNING, which fills a temporary
    // table); 0 when it changed none. Only meaningful for an INSERT.
    qint64 insertedRowId() const { return m_insertedRowId; }

    bool isNull(int row, int column) const;
    qint64 integer(int row, int column) const; // 0 for NULL
    double real(int row, int column) const;
    QString text(int row, int column) const;      // a null QString for NULL
    QByteArray utf8(int row, int column) const;   // the text as stored; null for NULL
    QDateTime instant(int row, int column) const; // invalid for NULL

    // Runs `statement` (UTF-8; a string with static storage, which keys the prepared statement)
    // on `db` with `binds` for its `?` parameters. Errors: Unavailable when the database is
    // busy past its timeout, Conflict on a constraint violation, Internal otherwise (with
    // SQLite's message and the statement's start; also for a text that is not exactly one
    // statement, or binds that do not match its parameters).
    static Result<Rows> run(const QSqlDatabase &db, const char *statement,
                            std::initializer_list<Bind> binds = {});

private:
    struct Cell
    {
        enum class Type : quint8 { Null, Integer, Real, Text } type = Type::Null;
        qint64 integer = 0;
        double real = 0.0;
        QByteArray text; // UTF-8, as SQLite keeps it
    };
    const Cell &cell(int row, int column) const;

    std::vector<std::vector<Cell>> m_rows;
    qint64 m_changes = 0;
    qint64 m_insertedRowId = 0;
};

// Shorthand for Rows::run.
inline Result<Rows> query(const QSqlDatabase &db, const char *statement,
                          std::initializer_list<Bind> binds = {})
{
    return Rows::run(db, statement, binds);
}

// The SQLite connection under a Qt one; nullptr when it is not open or not SQLite.
sqlite3 *sqliteHandle(const QSqlDatabase &db);

// Finalizes this thread's prepared statements (all connections): before its connections
// close, or they could not.
void releaseThreadStatements();

} // namespace ordinaut::sql
