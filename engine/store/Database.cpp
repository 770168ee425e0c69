// Database: per-thread connections and numbered migrations.
#include "Database.h"

#include "Prepared.h"
#include "Sql.h"
#include "WriteQueue.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QUuid>

#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace ordinaut {

namespace {

constexpr int kLatestSchemaVersion = 11;

// Closes a thread's connections when the thread ends, so a finished worker leaves no handle.
struct ThreadConnections
{
    std::vector<QString> names;
    // The last connection this thread asked for, by the serial of its Database.
    quint64 lastSerial = 0;
    QSqlDatabase last;
    ~ThreadConnections()
    {
        last = QSqlDatabase();
        for (const QString &name : names)
            QSqlDatabase::removeDatabase(name);
    }
};

std::atomic<quint64> g_nextSerial{1};

thread_local ThreadConnections t_connections;

QString migrationPath(int version)
{
    static const QRegularExpression digits(QStringLiteral("^(\\d{4})_"));
    const QDir dir(QStringLiteral(":/ordinaut/migrations"));
    for (const QString &name : dir.entryList(QDir::Files, QDir::Name)) {
        const QRegularExpressionMatch m = digits.match(name);
        if (m.hasMatch() && m.captured(1).toInt() == version)
            return dir.filePath(name);
    }
    return {};
}

// Before SQLite's first use in the process: no allocation statistics. They are kept under one
// process-wide mutex that every allocation of every connection takes, and with a worker pool,
// a writer thread and the API's threads all busy in SQLite that mutex is the hottest lock of
// the engine. (Where Qt's driver carries its own copy of SQLite this configures ours, unused.)
void configureSqliteOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
            qInfo("database: SQLite was already in use; its allocation statistics stay on");
    });
}

} // namespace

Database::Database(QString filePath)
    : m_filePath(std::move(filePath))
    , m_connectionPrefix(QStringLiteral("ordinaut-")
                         + QUuid::createUuid().toString(QUuid::WithoutBraces))
    , m_serial(g_nextSerial++)
{
    configureSqliteOnce();
}

Database::~Database()
{
    // The writer finishes what is queued and closes its connection first.
    std::unique_ptr<WriteQueue> writer;
    {
        QMutexLocker lock(&m_mutex);
        writer = std::move(m_writer);
    }
    writer.reset();
    sql::releaseThreadStatements();
    if (t_connections.lastSerial == m_serial) {
        t_connections.last = QSqlDatabase();
        t_connections.lastSerial = 0;
    }
    QMutexLocker lock(&m_mutex);
    for (const QString &name : std::as_const(m_connectionNames))
        QSqlDatabase::removeDatabase(name);
}

void Database::closeThreadConnections() const
{
    // Statements prepared straight on SQLite keep a connection from closing.
    sql::releaseThreadStatements();
    t_connections.last = QSqlDatabase();
    t_connections.lastSerial = 0;
    for (const QString &name : t_connections.names) {
        QSqlDatabase::removeDatabase(name);
        QMutexLocker lock(&m_mutex);
        m_connectionNames.remove(name);
    }
    t_connections.names.clear();
}

WriteQueue &Database::writer() const
{
    QMutexLocker lock(&m_mutex);
    if (!m_writer)
        m_writer = std::make_unique<WriteQueue>(*this);
    return *m_writer;
}

int Database::latestSchemaVersion()
{
    return kLatestSchemaVersion;
}

QSqlDatabase Database::connection() const
{
    // The last connection this thread asked for comes without the global connection
    // registry's lock (every store call asks; workers and the writer thousands of times a
    // second).
    if (t_connections.lastSerial == m_serial)
        return t_connections.last;
    QSqlDatabase db = openConnection();
    t_connections.lastSerial = m_serial;
    t_connections.last = db;
    return db;
}

QSqlDatabase Database::openConnection() const
{
    const QString name
        = m_connectionPrefix + QLatin1Char('-')
          + QString::number(reinterpret_cast<quintptr>(QThread::currentThreadId()), 16);
    if (QSqlDatabase::contains(name))
        return QSqlDatabase::database(name, false);

    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
    db.setDatabaseName(m_filePath);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=") + QString::number(kBusyTimeoutMs));
    if (db.open()) {
        QSqlQuery pragma(db);
        // FULL makes an acknowledged commit survive power loss; foreign keys keep steps tied to
        // their runs. (WAL is a property of the file, set once by open() after the version check,
        // so a refused file is never written.)
        pragma.exec(QStringLiteral("PRAGMA synchronous=FULL"));
        pragma.exec(QStringLiteral("PRAGMA foreign_keys=ON"));
        // Sorts and temporary b-trees of queries (the claim's) stay in memory.
        pragma.exec(QStringLiteral("PRAGMA temp_store=MEMORY"));
    }
    {
        QMutexLocker lock(&m_mutex);
        m_connectionNames.insert(name);
    }
    t_connections.names.push_back(name);
    return db;
}

int Database::schemaVersion() const
{
    QSqlQuery query(connection());
    if (query.exec(QStringLiteral("PRAGMA user_version")) && query.next())
        return query.value(0).toInt();
    return -1;
}

Result<std::shared_ptr<Database>> Database::open(const QString &filePath)
{
    const QFileInfo info(filePath);
    if (!QDir().mkpath(info.absolutePath()))
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot create the data folder %1").arg(info.absolutePath()),
                     {}};
    if (info.exists() && !info.isFile())
        return Error{ErrorCode::Unavailable, QStringLiteral("%1 is not a file").arg(filePath), {}};

    std::shared_ptr<Database> database(new Database(info.absoluteFilePath()));
    QSqlDatabase db = database->connection();
    if (!db.isOpen())
        return Error{
            ErrorCode::Unavailable,
            QStringLiteral("cannot open the database %1: %2").arg(filePath, db.lastError().text()),
            {}};

    QSqlQuery probe(db);
    if (!probe.exec(QStringLiteral("PRAGMA user_version")) || !probe.next())
        return Error{
            ErrorCode::Conflict,
            QStringLiteral("%1 is not an Ordinaut database (%2); choose another data folder")
                .arg(filePath, probe.lastError().text()),
            {}};
    const int version = probe.value(0).toInt();
    probe.finish(); // an open statement would block the migration's COMMIT
    if (version > kLatestSchemaVersion)
        return Error{ErrorCode::Conflict,
                     QStringLiteral("%1 has schema version %2, written by a newer Ordinaut; this "
                                    "version understands up to %3. Nothing was changed: upgrade "
                                    "Ordinaut or choose another data folder.")
                         .arg(filePath)
                         .arg(version)
                         .arg(kLatestSchemaVersion),
                     {}};

    // WAL lets readers run beside the one writer.
    QSqlQuery journal(db);
    if (!journal.exec(QStringLiteral("PRAGMA journal_mode=WAL")) || !journal.next()
        || journal.value(0).toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot switch %1 to write-ahead logging (is the folder on a "
                                    "network share?)")
                         .arg(filePath),
                     {}};
    journal.finish();

    if (Status migrated = database->migrate(); !migrated)
        return migrated.error();
    return database;
}

Status Database::migrate()
{
    QSqlDatabase db = connection();
    for (int version = schemaVersion() + 1; version <= kLatestSchemaVersion; ++version) {
        QFile file(migrationPath(version));
        if (!file.open(QIODevice::ReadOnly))
            return Error::internal(
                QStringLiteral("migration %1 is missing from this build").arg(version));
        const QString script = QString::fromUtf8(file.readAll());

        sql::Transaction tx(db, sql::TransactionMode::Immediate);
        if (!tx.isOpen())
            return tx.error();
        // Statements end with ';' at the end of a line; comments are whole lines.
        static const QRegularExpression terminator(QStringLiteral(";\\s*$"),
                                                   QRegularExpression::MultilineOption);
        for (const QString &part : script.split(terminator, Qt::SkipEmptyParts)) {
            QStringList lines;
            for (const QString &line : part.split(QLatin1Char('\n'))) {
                if (!line.trimmed().startsWith(QLatin1String("--")))
                    lines << line;
            }
            const QString statement = lines.join(QLatin1Char('\n')).trimmed();
            if (statement.isEmpty())
                continue;
            if (Result<QSqlQuery> done = sql::exec(db, statement); !done)
                return Error::internal(QStringLiteral("migration %1 failed: %2")
                                           .arg(version)
                                           .arg(done.error().message));
        }
        if (Result<QSqlQuery> done
            = sql::exec(db, QStringLiteral("PRAGMA user_version = %1").arg(version));
            !done)
            return done.error();
        if (Status committed = tx.commit(); !committed)
            return committed;
    }
    return {};
}

} // namespace ordinaut
