// Database: migrations create the schema, WAL is on, and a database from a newer Ordinaut or a
// file that is not a database is refused without being touched.
#include "support/TempDataDir.h"

#include "store/Database.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSqlQuery>
#include <QTest>

#include <thread>

using namespace ordinaut;

namespace {

// PRAGMA user_version read through a private raw connection (-1 when unreadable).
int rawUserVersion(const QString &path)
{
    int version = -1;
    {
        QSqlDatabase raw
            = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("probe"));
        raw.setDatabaseName(path);
        raw.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (raw.open()) {
            QSqlQuery query(raw);
            if (query.exec(QStringLiteral("PRAGMA user_version")) && query.next())
                version = query.value(0).toInt();
        }
        raw.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("probe"));
    return version;
}

QByteArray digestOf(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
}

} // namespace

class tst_Database final : public QObject
{
    Q_OBJECT

private slots:
    void versionOneDatabaseIsUpgradedKeepingData();
    void migrationsCreateEveryTable();
    void reopeningKeepsData();
    void newerSchemaIsRefusedAndLeftUntouched();
    void foreignFileIsRefused();
    void connectionsArePerThread();
};

void tst_Database::migrationsCreateEveryTable()
{
    test::TempDataDir dir;
    Result<std::shared_ptr<Database>> db = Database::open(dir.databaseFile());
    QVERIFY2(db, qPrintable(db ? QString() : db.error().describe()));
    QCOMPARE((*db)->schemaVersion(), Database::latestSchemaVersion());

    QSqlQuery query((*db)->connection());
    QVERIFY(query.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type='table'")));
    QStringList tables;
    while (query.next())
        tables << query.value(0).toString();
    for (const char *name : {"agents", "tasks", "task_versions", "run_queue", "runs", "run_steps",
                             "events", "audit_log", "side_effects", "workers"})
        QVERIFY2(tables.contains(QLatin1String(name)), name);

    QVERIFY(query.exec(QStringLiteral("PRAGMA journal_mode")) && query.next());
    QCOMPARE(query.value(0).toString(), QStringLiteral("wal"));
    // The idempotency key of materialized work.
    QVERIFY(query.exec(QStringLiteral("SELECT sql FROM sqlite_master WHERE name='run_queue'"))
            && query.next());
    QVERIFY(query.value(0).toString().contains(
        QLatin1String("UNIQUE (task_id, scheduled_for, attempt)")));
}

void tst_Database::reopeningKeepsData()
{
    test::TempDataDir dir;
    {
        Result<std::shared_ptr<Database>> db = Database::open(dir.databaseFile());
        QVERIFY(db);
        QSqlQuery insert((*db)->connection());
        QVERIFY(insert.exec(
            QStringLiteral("INSERT INTO agents (id, name, created_at) VALUES ('a', 'kept', 1)")));
    }
    Result<std::shared_ptr<Database>> again = Database::open(dir.databaseFile());
    QVERIFY(again);
    QSqlQuery query((*again)->connection());
    QVERIFY(query.exec(QStringLiteral("SELECT name FROM agents")) && query.next());
    QCOMPARE(query.value(0).toString(), QStringLiteral("kept"));
    QCOMPARE((*again)->schemaVersion(), Database::latestSchemaVersion());
    QCOMPARE(rawUserVersion(dir.databaseFile()), Database::latestSchemaVersion());
}

void tst_Database::newerSchemaIsRefusedAndLeftUntouched()
{
    test::TempDataDir dir;
    {
        QSqlDatabase raw
            = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw"));
        raw.setDatabaseName(dir.databaseFile());
        QVERIFY(raw.open());
        QSqlQuery query(raw);
        QVERIFY(query.exec(QStringLiteral("CREATE TABLE future (x)")));
        QVERIFY(query.exec(QStringLiteral("PRAGMA user_version = 99")));
        raw.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    const QByteArray before = digestOf(dir.databaseFile());

    Result<std::shared_ptr<Database>> db = Database::open(dir.databaseFile());
    QVERIFY(!db);
    QVERIFY(db.error().code == ErrorCode::Conflict);
    QVERIFY2(db.error().message.contains(QLatin1String("newer")), qPrintable(db.error().message));
    QVERIFY(db.error().message.contains(QLatin1String("Nothing was changed")));
    QCOMPARE(digestOf(dir.databaseFile()), before);
    QCOMPARE(rawUserVersion(dir.databaseFile()), 99);
    // Not even switched to write-ahead logging.
    QVERIFY(!QFile::exists(dir.databaseFile() + QStringLiteral("-wal")));

    // Refusing twice changes nothing either (no half-applied state from the first attempt).
    QVERIFY(!Database::open(dir.databaseFile()));
    QCOMPARE(digestOf(dir.databaseFile()), before);
}

void tst_Database::foreignFileIsRefused()
{
    test::TempDataDir dir;
    QFile file(dir.databaseFile());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray(4096, 'x'));
    file.close();
    Result<std::shared_ptr<Database>> db = Database::open(dir.databaseFile());
    QVERIFY(!db);
    QVERIFY(db.error().code == ErrorCode::Conflict);
    QVERIFY(db.error().message.contains(QLatin1String("not an Ordinaut database")));
    QCOMPARE(digestOf(dir.databaseFile()),
             QCryptographicHash::hash(QByteArray(4096, 'x'), QCryptographicHash::Sha256));
}

void tst_Database::connectionsArePerThread()
{
    test::TempDataDir dir;
    Result<std::shared_ptr<Database>> db = Database::open(dir.databaseFile());
    QVERIFY(db);
    const QString mine = (*db)->connection().connectionName();
    QCOMPARE((*db)->connection().connectionName(), mine); // reused on the same thread
    QString theirs;
    bool theirsOpen = false;
    int theirVersion = 0;
    std::thread other([&] {
        QSqlDatabase connection = (*db)->connection();
        theirs = connection.connectionName();
        theirsOpen = connection.isOpen();
        theirVersion = (*db)->schemaVersion();
    });
    other.join();
    QVERIFY(!theirs.isEmpty());
    QVERIFY(theirs != mine);
    QVERIFY(theirsOpen);
    QCOMPARE(theirVersion, Database::latestSchemaVersion());
}

void tst_Database::versionOneDatabaseIsUpgradedKeepingData()
{
    test::TempDataDir dir;
    {
        // A database exactly as version 1 left it, with a task in it.
        QSqlDatabase raw
            = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v1"));
        raw.setDatabaseName(dir.databaseFile());
        QVERIFY(raw.open());
        QFile script(QStringLiteral(":/ordinaut/migrations/0001_initial.sql"));
        QVERIFY(script.open(QIODevice::ReadOnly));
        QSqlQuery query(raw);
        QStringList code; // comments first: one of them holds a ';'
        for (const QString &line : QString::fromUtf8(script.readAll()).split(QLatin1Char('\n'))) {
            if (!line.trimmed().startsWith(QLatin1String("--")))
                code << line;
        }
        for (const QString &statement : code.join(QLatin1Char('\n')).split(QLatin1Char(';'))) {
            if (!statement.trimmed().isEmpty())
                QVERIFY2(query.exec(statement), qPrintable(statement));
        }
        QVERIFY(query.exec(
            QStringLiteral("INSERT INTO tasks (id, title, schedule_kind, pipeline, created_at, "
                           "updated_at) VALUES ('t1', 'old task', 'manual', '[]', 1, 1)")));
        QVERIFY(query.exec(QStringLiteral("PRAGMA user_version = 1")));
        raw.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("v1"));

    Result<std::shared_ptr<Database>> db = Database::open(dir.databaseFile());
    QVERIFY2(db, qPrintable(db ? QString() : db.error().describe()));
    QCOMPARE((*db)->schemaVersion(), Database::latestSchemaVersion());
    QSqlQuery query((*db)->connection());
    QVERIFY(
        query.exec(QStringLiteral("SELECT title, misfire_grace_seconds FROM tasks WHERE id='t1'")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), QStringLiteral("old task"));
    QCOMPARE(query.value(1).toInt(), 60);
}

QTEST_GUILESS_MAIN(tst_Database)
#include "tst_Database.moc"
