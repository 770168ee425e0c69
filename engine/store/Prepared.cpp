// Rows: SQLite's prepared statements, cached per thread and connection.
#include "Prepared.h"

#include <QSqlDatabase>
#include <QSqlDriver>
#include <QVariant>

#include <sqlite3.h>

#include <cstring>
#include <string>
#include <unordered_map>

namespace ordinaut::sql {

namespace {

struct Statement
{
    sqlite3_stmt *handle = nullptr;
    std::string text; // checked on every use: the key is only the text's address
    int parameters = 0;
    bool readOnly = true;
};

// This thread's statements, by connection and then by the address of their text.
class ThreadStatements final
{
public:
    ~ThreadStatements() { clear(); }

    Result<Statement *> find(sqlite3 *db, const char *text)
    {
        Connection *connection = nullptr;
        for (Connection &candidate : m_connections)
            if (candidate.db == db)
                connection = &candidate;
        if (!connection)
            connection = &m_connections.emplace_back(Connection{db, {}});
        auto found = connection->statements.find(text);
        if (found != connection->statements.end()) {
            if (std::strcmp(found->second.text.c_str(), text) == 0)
                return &found->second;
            // Another statement now lives at this address (text without static storage).
            sqlite3_finalize(found->second.handle);
            connection->statements.erase(found);
        }
        sqlite3_stmt *handle = nullptr;
        const char *rest = nullptr;
        if (sqlite3_prepare_v3(db, text, -1, SQLITE_PREPARE_PERSISTENT, &handle, &rest)
            != SQLITE_OK)
            return Error::internal(
                QStringLiteral("database error: %1 (in: %2)")
                    .arg(QString::fromUtf8(sqlite3_errmsg(db)), QString::fromUtf8(text).left(80)));
        // One statement exactly: nothing (a comment) or a second one would be ignored quietly.
        if (!handle || !QByteArray(rest).trimmed().isEmpty()) {
            sqlite3_finalize(handle);
            return Error::internal(
                QStringLiteral("database error: not exactly one statement (in: %1)")
                    .arg(QString::fromUtf8(text).left(80)));
        }
        Statement statement{handle, text, sqlite3_bind_parameter_count(handle),
                            sqlite3_stmt_readonly(handle) != 0};
        return &connection->statements.emplace(text, std::move(statement)).first->second;
    }

    void clear()
    {
        for (Connection &connection : m_connections)
            for (auto &entry : connection.statements)
                sqlite3_finalize(entry.second.handle);
        m_connections.clear();
    }

private:
    struct Connection
    {
        sqlite3 *db;
        std::unordered_map<const char *, Statement> statements;
    };
    std::vector<Connection> m_connections;
};

thread_local ThreadStatements t_statements;

} // namespace

sqlite3 *sqliteHandle(const QSqlDatabase &db)
{
    const QSqlDriver *driver = db.driver();
    if (!driver)
        return nullptr;
    const QVariant handle = driver->handle();
    if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return nullptr;
    return *static_cast<sqlite3 *const *>(handle.constData());
}

namespace {

Error errorOf(sqlite3 *db, int code, const char *statement)
{
    const QString message = QString::fromUtf8(sqlite3_errmsg(db));
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return Error{
            ErrorCode::Unavailable, QStringLiteral("the database is busy: ") + message, {}};
    case SQLITE_CONSTRAINT:
        return Error{ErrorCode::Conflict, QStringLiteral("constraint violated: ") + message, {}};
    default:
        return Error::internal(QStringLiteral("database error: %1 (in: %2)")
                                   .arg(message, QString::fromUtf8(statement).left(80)));
    }
}

} // namespace

void releaseThreadStatements()
{
    t_statements.clear();
}

const Rows::Cell &Rows::cell(int row, int column) const
{
    static const Cell none;
    if (row < 0 || row >= int(m_rows.size()) || column < 0
        || column >= int(m_rows[size_t(row)].size()))
        return none;
    return m_rows[size_t(row)][size_t(column)];
}

bool Rows::isNull(int row, int column) const
{
    return cell(row, column).type == Cell::Type::Null;
}

qint64 Rows::integer(int row, int column) const
{
    const Cell &value = cell(row, column);
    return value.type == Cell::Type::Real ? qint64(value.real) : value.integer;
}

double Rows::real(int row, int column) const
{
    const Cell &value = cell(row, column);
    return value.type == Cell::Type::Integer ? double(value.integer) : value.real;
}

QString Rows::text(int row, int column) const
{
    const QByteArray bytes = utf8(row, column);
    return bytes.isNull() ? QString() : QString::fromUtf8(bytes);
}

QByteArray Rows::utf8(int row, int column) const
{
    const Cell &value = cell(row, column);
    switch (value.type) {
    case Cell::Type::Null:
        return {};
    case Cell::Type::Integer:
        return QByteArray::number(value.integer);
    case Cell::Type::Real:
        return QByteArray::number(value.real);
    case Cell::Type::Text:
        break;
    }
    return value.text;
}

QDateTime Rows::instant(int row, int column) const
{
    if (isNull(row, column))
        return {};
    return QDateTime::fromMSecsSinceEpoch(integer(row, column), Qt::UTC);
}

Result<Rows> Rows::run(const QSqlDatabase &db, const char *statement,
                       std::initializer_list<Bind> binds)
{
    sqlite3 *connection = sqliteHandle(db);
    if (!connection)
        return Error::internal(QStringLiteral("database error: no open SQLite connection"));
    Result<Statement *> found = t_statements.find(connection, statement);
    if (!found)
        return found.error();
    Statement &prepared = **found;
    sqlite3_stmt *stmt = prepared.handle;
    if (int(binds.size()) != prepared.parameters)
        return Error::internal(
            QStringLiteral("database error: %1 values for %2 parameters (in: %3)")
                .arg(binds.size())
                .arg(prepared.parameters)
                .arg(QString::fromUtf8(statement).left(80)));
    int index = 1;
    for (const Bind &value : binds) {
        int bound = SQLITE_OK;
        switch (value.m_kind) {
        case Bind::Kind::Null:
            bound = sqlite3_bind_null(stmt, index);
            break;
        case Bind::Kind::Integer:
            bound = sqlite3_bind_int64(stmt, index, value.m_integer);
            break;
        case Bind::Kind::Real:
            bound = sqlite3_bind_double(stmt, index, value.m_real);
            break;
        case Bind::Kind::Text16:
            // Static: the text outlives the statement's run (it is reset before returning).
            bound = sqlite3_bind_text16(stmt, index, value.m_text16->utf16(),
                                        int(value.m_text16->size() * 2), SQLITE_STATIC);
            break;
        case Bind::Kind::Text8:
            bound = sqlite3_bind_text(stmt, index, value.m_utf8, int(value.m_utf8Size),
                                      SQLITE_STATIC);
            break;
        }
        if (bound != SQLITE_OK) {
            sqlite3_reset(stmt);
            return errorOf(connection, bound, statement);
        }
        ++index;
    }
    Rows rows;
    for (;;) {
        const int stepped = sqlite3_step(stmt);
        if (stepped == SQLITE_DONE)
            break;
        if (stepped != SQLITE_ROW) {
            // reset() repeats the step's error code; the message stays the step's.
            Error error = errorOf(connection, stepped, statement);
            sqlite3_reset(stmt);
            return error;
        }
        const int columns = sqlite3_column_count(stmt);
        std::vector<Cell> &row = rows.m_rows.emplace_back(size_t(columns));
        for (int column = 0; column < columns; ++column) {
            Cell &value = row[size_t(column)];
            switch (sqlite3_column_type(stmt, column)) {
            case SQLITE_NULL:
                break;
            case SQLITE_INTEGER:
                value.type = Cell::Type::Integer;
                value.integer = sqlite3_column_int64(stmt, column);
                break;
            case SQLITE_FLOAT:
                value.type = Cell::Type::Real;
                value.real = sqlite3_column_double(stmt, column);
                break;
            default: {
                value.type = Cell::Type::Text;
                const auto *text
                    = reinterpret_cast<const char *>(sqlite3_column_text(stmt, column));
                value.text = QByteArray(text, sqlite3_column_bytes(stmt, column));
                break;
            }
            }
        }
    }
    if (!prepared.readOnly) {
        rows.m_changes = sqlite3_changes(connection);
        rows.m_insertedRowId = rows.m_changes > 0 ? sqlite3_last_insert_rowid(connection) : 0;
    }
    sqlite3_reset(stmt);
    return rows;
}

} // namespace ordinaut::sql
