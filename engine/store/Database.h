// Database: the SQLite file, one connection per thread, forward-only migrations checked at open.
#pragma once

#include "core/Result.h"

#include <QMutex>
#include <QSet>
#include <QSqlDatabase>
#include <QString>

#include <memory>

namespace ordinaut {

class WriteQueue;

class Database final
{
public:
    ~Database();
    Q_DISABLE_COPY_MOVE(Database)

    // Opens or creates the file and brings its schema up to date. Errors:
    //  - Unavailable: the file cannot be opened or created (message names the path);
    //  - Conflict: the file was written by a newer Ordinaut (schema version above ours) —
    //    nothing is changed; or it is not an Ordinaut/SQLite database;
    //  - Internal: a migration failed (it is rolled back).
    static Result<std::shared_ptr<Database>> open(const QString &filePath);

    // This thread's connection, opened on first use with WAL, foreign keys and a busy timeout.
    // Connections close when their thread ends or the Database goes away.
    QSqlDatabase connection() const;

    // Closes the calling thread's connections now rather than when the thread ends (thread-local
    // destructors may run after QThread::wait() returned, while the process shuts down). The
    // thread's QSqlQuery objects must be gone.
    void closeThreadConnections() const;
    // The process's group-commit writer for hot writes (WriteQueue), started on first use.
    WriteQueue &writer() const;

    QString filePath() const { return m_filePath; }
    // How long a connection waits for a lock another one holds before it reports busy.
    static constexpr int kBusyTimeoutMs = 10000;
    int schemaVersion() const;
    static int latestSchemaVersion();

private:
    explicit Database(QString filePath);
    QSqlDatabase openConnection() const;
    Status migrate();

    QString m_filePath;
    QString m_connectionPrefix;
    quint64 m_serial; // unique in the process, unlike the address
    mutable QMutex m_mutex;
    mutable QSet<QString> m_connectionNames;
    mutable std::unique_ptr<WriteQueue> m_writer; // guarded by m_mutex when created
};

} // namespace ordinaut
