// ExternalChanges: notices commits that other processes (another engine on the same database, a
// CLI) make, without polling. Changes to the WAL file wake it (inotify, kqueue…); after a short
// settle it asks SQLite whether anything was committed by another connection since it last
// looked (PRAGMA data_version) and says so. None of this happens while nothing is written; under
// load it looks a few times a second at most, and the files are not watched while it settles
// (the kernel queues no notification per write). Lives on the engine thread.
#pragma once

#include <QObject>

class QFileSystemWatcher;
class QTimer;

namespace ordinaut {

class Database;

class ExternalChanges final : public QObject
{
    Q_OBJECT
public:
    explicit ExternalChanges(const Database &database, QObject *parent = nullptr);
    Q_DISABLE_COPY_MOVE(ExternalChanges)

    static constexpr int kSettleMs = 100;

public slots:
    void start();

signals:
    // Something was committed by another connection (of this process or another): queued work
    // or changed tasks may be waiting.
    void changed();

private:
    bool watch();
    void settled();
    void look();

    const Database &m_database;
    QFileSystemWatcher *m_watcher = nullptr;
    QTimer *m_settle = nullptr;
    qint64 m_version = -1;
};

} // namespace ordinaut
