// WalFlusher: a missing log is reported with its path and the system's reason, an existing one
// flushes, a replaced one is followed (on Linux: the old file is let go), and the log of a real
// database flushes alongside the write queue's own flusher.
#include "support/TempDataDir.h"

#include "store/Database.h"
#include "store/Sql.h"
#include "store/WalFlusher.h"
#include "store/WriteQueue.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#ifndef Q_OS_WIN
#include <cerrno>
#include <cstring>
#endif
#ifdef Q_OS_LINUX
#include <unistd.h>
#endif

using namespace ordinaut;

class tst_WalFlusher final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void aMissingLogIsUnavailableNamingThePath();
    void flushSucceedsOnceTheLogExists();
    void aReplacedLogIsFollowed();
    void aDeletedLogThatIsNotRecreatedIsUnavailable();
    void theLogIsClosedWithTheFlusher();
    void flushesTheLogOfARealDatabase();

private:
    QString logFile() const { return m_dir->databaseFile() + QStringLiteral("-wal"); }

    std::unique_ptr<test::TempDataDir> m_dir;
};

namespace {

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
           && file.write(content) == content.size();
}

#ifdef Q_OS_LINUX
// This process's descriptors open on `path`: on the file it names now, and on a deleted one
// (readlink of /proc/self/fd/N ends in " (deleted)" once the file was removed).
struct Descriptors
{
    int current = 0;
    int deleted = 0;
};

Descriptors descriptorsOn(const QString &path)
{
    const QFileInfo info(path);
    const QString target
        = QFileInfo(info.absolutePath()).canonicalFilePath() + QLatin1Char('/') + info.fileName();
    const QString deletedTarget = target + QStringLiteral(" (deleted)");
    Descriptors found;
    const QDir fds(QStringLiteral("/proc/self/fd"));
    for (const QString &name :
         fds.entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot)) {
        char link[4096];
        const QByteArray fd = QFile::encodeName(fds.filePath(name));
        const ssize_t size = ::readlink(fd.constData(), link, sizeof link);
        if (size <= 0)
            continue;
        const QString linked = QFile::decodeName(QByteArray(link, qsizetype(size)));
        if (linked == target)
            ++found.current;
        else if (linked == deletedTarget)
            ++found.deleted;
    }
    return found;
}
#endif

} // namespace

void tst_WalFlusher::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    QVERIFY(m_dir->path().size() > 0);
}

void tst_WalFlusher::cleanup()
{
    m_dir.reset();
}

void tst_WalFlusher::aMissingLogIsUnavailableNamingThePath()
{
    WalFlusher flusher(m_dir->databaseFile());
    QCOMPARE(flusher.logFile(), logFile());
    QVERIFY(!QFile::exists(logFile()));
    const Status flushed = flusher.flush();
    QVERIFY(!flushed);
    QVERIFY2(flushed.error().code == ErrorCode::Unavailable,
             qPrintable(flushed.error().describe()));
    QVERIFY2(flushed.error().message.contains(logFile()), qPrintable(flushed.error().describe()));
#ifndef Q_OS_WIN
    // The system's reason, as the system words it.
    const QString reason = QString::fromLocal8Bit(std::strerror(ENOENT));
    QVERIFY2(flushed.error().message.contains(reason), qPrintable(flushed.error().describe()));
#endif
}

void tst_WalFlusher::flushSucceedsOnceTheLogExists()
{
    WalFlusher flusher(m_dir->databaseFile());
    QVERIFY(!flusher.flush());
    QVERIFY(writeFile(logFile(), QByteArray("first log")));
    const Status flushed = flusher.flush();
    QVERIFY2(flushed, flushed ? "" : qPrintable(flushed.error().describe()));
    const Status again = flusher.flush();
    QVERIFY2(again, again ? "" : qPrintable(again.error().describe()));
#ifdef Q_OS_LINUX
    // Held open across flushes, once.
    const Descriptors held = descriptorsOn(logFile());
    QCOMPARE(held.current, 1);
    QCOMPARE(held.deleted, 0);
#endif
}

void tst_WalFlusher::aReplacedLogIsFollowed()
{
    WalFlusher flusher(m_dir->databaseFile());
    QVERIFY(writeFile(logFile(), QByteArray("old log")));
    Status flushed = flusher.flush();
    QVERIFY2(flushed, flushed ? "" : qPrintable(flushed.error().describe()));

    QVERIFY(QFile::remove(logFile()));
    QVERIFY(writeFile(logFile(), QByteArray("a new log, longer than the old one")));
#ifdef Q_OS_LINUX
    // Before the flush the flusher still holds the removed file...
    const Descriptors before = descriptorsOn(logFile());
    QCOMPARE(before.deleted, 1);
    QCOMPARE(before.current, 0);
#endif
    flushed = flusher.flush();
    QVERIFY2(flushed, flushed ? "" : qPrintable(flushed.error().describe()));
#ifdef Q_OS_LINUX
    // ...and after it the new one, and only that.
    const Descriptors after = descriptorsOn(logFile());
    QCOMPARE(after.current, 1);
    QCOMPARE(after.deleted, 0);
#endif
    flushed = flusher.flush();
    QVERIFY2(flushed, flushed ? "" : qPrintable(flushed.error().describe()));
}

void tst_WalFlusher::aDeletedLogThatIsNotRecreatedIsUnavailable()
{
    WalFlusher flusher(m_dir->databaseFile());
    QVERIFY(writeFile(logFile(), QByteArray("log")));
    const Status flushed = flusher.flush();
    QVERIFY2(flushed, flushed ? "" : qPrintable(flushed.error().describe()));
    QVERIFY(QFile::remove(logFile()));
    const Status gone = flusher.flush();
    QVERIFY(!gone);
    QVERIFY2(gone.error().code == ErrorCode::Unavailable, qPrintable(gone.error().describe()));
    QVERIFY2(gone.error().message.contains(logFile()), qPrintable(gone.error().describe()));
#ifdef Q_OS_LINUX
    // The removed file is let go rather than kept open.
    QCOMPARE(descriptorsOn(logFile()).deleted, 0);
#endif
}

void tst_WalFlusher::theLogIsClosedWithTheFlusher()
{
#ifdef Q_OS_LINUX
    QVERIFY(writeFile(logFile(), QByteArray("log")));
    {
        WalFlusher flusher(m_dir->databaseFile());
        const Status flushed = flusher.flush();
        QVERIFY2(flushed, flushed ? "" : qPrintable(flushed.error().describe()));
        QCOMPARE(descriptorsOn(logFile()).current, 1);
    }
    QCOMPARE(descriptorsOn(logFile()).current, 0);
#else
    QSKIP("counts descriptors through /proc/self/fd");
#endif
}

void tst_WalFlusher::flushesTheLogOfARealDatabase()
{
    Result<std::shared_ptr<Database>> opened = Database::open(m_dir->databaseFile());
    QVERIFY2(opened, opened ? "" : qPrintable(opened.error().describe()));
    const std::shared_ptr<Database> db = *opened;

    const WriteQueue::Stats before = db->writer().stats();
    const Status written = db->writer().write(Durability::Durable, [&]() -> Status {
        Result<QSqlQuery> q
            = sql::exec(db->connection(),
                        QStringLiteral("INSERT INTO side_effects (key, created_at) VALUES (?, 0)"),
                        {QStringLiteral("durable")});
        return q ? Status() : Status(q.error());
    });
    QVERIFY2(written, written ? "" : qPrintable(written.error().describe()));
    const WriteQueue::Stats after = db->writer().stats();
    QVERIFY2(
        after.flushes > before.flushes,
        qPrintable(
            QStringLiteral("%1 flushes before, %2 after").arg(before.flushes).arg(after.flushes)));

    // The writer keeps the log open; a second flusher on the same file flushes it too.
    QVERIFY(QFile::exists(logFile()));
    WalFlusher flusher(db->filePath());
    QCOMPARE(flusher.logFile(), logFile());
    const Status flushed = flusher.flush();
    QVERIFY2(flushed, flushed ? "" : qPrintable(flushed.error().describe()));

    Result<QSqlQuery> q = sql::exec(
        db->connection(), QStringLiteral("SELECT COUNT(*) FROM side_effects WHERE key = ?"),
        {QStringLiteral("durable")});
    QVERIFY2(q, q ? "" : qPrintable(q.error().describe()));
    QVERIFY(q->next());
    QCOMPARE(q->value(0).toInt(), 1);
}

QTEST_GUILESS_MAIN(tst_WalFlusher)
#include "tst_WalFlusher.moc"
