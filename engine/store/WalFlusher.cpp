// WalFlusher: the platform's flush of a file another component writes.
#include "WalFlusher.h"

#include <QFile>

#ifdef Q_OS_WIN
#include <windows.h>
#else
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace ordinaut {

namespace {

Error flushError(const QString &file, const QString &reason)
{
    return Error{ErrorCode::Unavailable,
                 QStringLiteral("cannot flush %1 to disk: %2").arg(file, reason),
                 {}};
}

} // namespace

WalFlusher::WalFlusher(const QString &databaseFile)
    : m_logFile(databaseFile + QStringLiteral("-wal"))
{}

WalFlusher::~WalFlusher()
{
    close();
}

#ifdef Q_OS_WIN

void WalFlusher::close()
{
    if (m_handle)
        CloseHandle(m_handle);
    m_handle = nullptr;
}

Status WalFlusher::reopen()
{
    close();
    // Shared like SQLite opens it; delete sharing lets SQLite remove the log as it would.
    HANDLE handle = CreateFileW(reinterpret_cast<const wchar_t *>(m_logFile.utf16()), GENERIC_WRITE,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (handle == INVALID_HANDLE_VALUE)
        return flushError(m_logFile,
                          QStringLiteral("cannot open it (error %1)").arg(GetLastError()));
    m_handle = handle;
    return {};
}

Status WalFlusher::flush()
{
    // The writer's connection keeps the log open, so it is not replaced while one is open here.
    if (!m_handle) {
        if (Status opened = reopen(); !opened)
            return opened;
    }
    if (!FlushFileBuffers(m_handle))
        return flushError(m_logFile, QStringLiteral("error %1").arg(GetLastError()));
    return {};
}

#else

void WalFlusher::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

Status WalFlusher::reopen()
{
    close();
    const QByteArray path = QFile::encodeName(m_logFile);
    const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return flushError(m_logFile, QString::fromLocal8Bit(std::strerror(errno)));
    m_fd = fd;
    return {};
}

Status WalFlusher::flush()
{
    // The same file as the path still names? A replaced log means the one held here was
    // checkpointed and deleted; what was written since is in the new one.
    struct stat held = {};
    struct stat named = {};
    const QByteArray path = QFile::encodeName(m_logFile);
    if (m_fd < 0 || ::fstat(m_fd, &held) != 0 || ::stat(path.constData(), &named) != 0
        || held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
        if (Status opened = reopen(); !opened)
            return opened;
    }
#if defined(Q_OS_LINUX)
    const int flushed = ::fdatasync(m_fd);
#else
    const int flushed = ::fsync(m_fd);
#endif
    if (flushed != 0)
        return flushError(m_logFile, QString::fromLocal8Bit(std::strerror(errno)));
    return {};
}

#endif

} // namespace ordinaut
