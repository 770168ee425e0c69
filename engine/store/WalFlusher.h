// WalFlusher: makes what SQLite wrote to a database's write-ahead log durable, from a thread of
// its own. The writer commits without waiting for the disk; one flush then covers every commit
// written before it (group commit without stalling the writer).
#pragma once

#include "core/Result.h"

#include <QString>

namespace ordinaut {

class WalFlusher final
{
public:
    // `databaseFile`: the SQLite file; its log is `databaseFile` + "-wal".
    explicit WalFlusher(const QString &databaseFile);
    ~WalFlusher();
    Q_DISABLE_COPY_MOVE(WalFlusher)

    // Returns once everything written to the log before the call is on stable storage (as
    // SQLite's own commit-time sync would: fdatasync on Linux, fsync elsewhere on POSIX,
    // FlushFileBuffers on Windows). Follows the log when it was replaced by a new file (a log
    // deleted when its last connection closed was checkpointed into the synced database file
    // first). Errors: Unavailable when the log cannot be opened or the flush fails (with the
    // system's reason); nothing written since the last good flush may then be relied on.
    Status flush();

    QString logFile() const { return m_logFile; }

private:
    Status reopen();
    void close();

    QString m_logFile;
#ifdef Q_OS_WIN
    void *m_handle = nullptr;
#else
    int m_fd = -1;
#endif
};

} // namespace ordinaut
