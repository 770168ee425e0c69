// ExternalChanges: a file watcher, a settle timer and PRAGMA data_version.
#include "ExternalChanges.h"

#include "store/Database.h"
#include "store/Sql.h"

#include <QFileSystemWatcher>
#include <QTimer>

namespace ordinaut {

ExternalChanges::ExternalChanges(const Database &database, QObject *parent)
    : QObject(parent)
    , m_database(database)
{}

void ExternalChanges::start()
{
    m_settle = new QTimer(this);
    m_settle->setSingleShot(true);
    m_settle->setInterval(kSettleMs);
    connect(m_settle, &QTimer::timeout, this, &ExternalChanges::settled);
    m_watcher = new QFileSystemWatcher(this);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, [this] {
        // Unwatched until the settle ends: the writes in between (this process's own, under
        // load thousands a second) cost the kernel no notification and this thread no wake-up.
        if (const QStringList watched = m_watcher->files(); !watched.isEmpty())
            m_watcher->removePaths(watched);
        if (!m_settle->isActive())
            m_settle->start();
    });
    if (!watch())
        qWarning("engine: cannot watch %s; runs queued by other processes are noticed at the "
                 "scheduler's next wake-up",
                 qPrintable(m_database.filePath()));
    look();
}

bool ExternalChanges::watch()
{
    // Commits append to the WAL; a checkpoint by another process writes the database file.
    const QString wal = m_database.filePath() + QStringLiteral("-wal");
    const bool watched = m_watcher->addPath(wal);
    return m_watcher->addPath(m_database.filePath()) || watched;
}

void ExternalChanges::settled()
{
    // Watch again first, then look: a commit after the look still wakes the watcher.
    watch();
    look();
}

void ExternalChanges::look()
{
    Result<QSqlQuery> q = sql::exec(m_database.connection(), QStringLiteral("PRAGMA data_version"));
    if (!q || !q->next())
        return;
    const qint64 version = q->value(0).toLongLong();
    q->finish();
    if (m_version >= 0 && version != m_version)
        emit changed();
    m_version = version;
}

} // namespace ordinaut
