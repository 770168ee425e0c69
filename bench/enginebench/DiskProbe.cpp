// DiskProbe: timed writes + fdatasync with POSIX calls (no buffering layer in between).
#include "DiskProbe.h"

#include <QDir>
#include <QFile>

#include <chrono>

#include <fcntl.h>
#include <unistd.h>

namespace ordinaut::bench {

namespace {

// Writes one page at `offset` and syncs it; the time taken in ms, or a negative value on error.
double timedSyncedWrite(int fd, const QByteArray &page, off_t offset)
{
    const auto before = std::chrono::steady_clock::now();
    if (::pwrite(fd, page.constData(), size_t(page.size()), offset) != page.size()
        || ::fdatasync(fd) != 0)
        return -1.0;
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - before)
        .count();
}

} // namespace

Result<SyncLatencies> measureSyncLatencies(const QString &dir, int samples, int bytes)
{
    const QString path = QDir(dir).filePath(QStringLiteral("disk-probe.bin"));
    const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return Error{ErrorCode::Unavailable, QStringLiteral("cannot create %1").arg(path), {}};
    const QByteArray page(bytes, 'x');
    SyncLatencies result;
    bool written = true;
    // First grow the file page by page, then rewrite those same pages.
    for (int i = 0; i < samples && written; ++i) {
        const double ms = timedSyncedWrite(fd, page, off_t(i) * bytes);
        written = ms >= 0.0;
        result.appendMs.push_back(ms);
    }
    for (int i = 0; i < samples && written; ++i) {
        const double ms = timedSyncedWrite(fd, page, off_t(i) * bytes);
        written = ms >= 0.0;
        result.overwriteMs.push_back(ms);
    }
    ::close(fd);
    QFile::remove(path);
    if (!written)
        return Error{ErrorCode::Unavailable, QStringLiteral("cannot write %1").arg(path), {}};
    return result;
}

} // namespace ordinaut::bench
