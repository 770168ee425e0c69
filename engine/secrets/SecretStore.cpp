// SecretStore implementations.
#include "SecretStore.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QSaveFile>
#include <QTimer>

#include <qt6keychain/keychain.h>

namespace ordinaut {

namespace {

constexpr int kKeychainTimeoutMs = 10000;

// Runs a keychain job to completion. The job API is asynchronous; this waits on a local loop
// with a deadline. Only the CLI and start-up call it, never the GUI thread while it serves.
bool runJob(QKeychain::Job &job)
{
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    bool finished = false;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, [&] {
        finished = true;
        loop.quit();
    });
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    job.setAutoDelete(false);
    job.start();
    deadline.start(kKeychainTimeoutMs);
    if (!finished)
        loop.exec();
    return finished;
}

} // namespace

KeychainSecretStore::KeychainSecretStore(QString service)
    : m_service(std::move(service))
{}

bool KeychainSecretStore::isLikelyAvailable()
{
#if defined(Q_OS_LINUX) || defined(Q_OS_FREEBSD)
    return !qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS");
#else
    return true;
#endif
}

Result<std::optional<QByteArray>> KeychainSecretStore::read(const QString &key)
{
    QKeychain::ReadPasswordJob job(m_service);
    job.setKey(key);
    if (!runJob(job))
        return Error{
            ErrorCode::Timeout, QStringLiteral("the OS keychain did not answer within 10 s"), {}};
    if (job.error() == QKeychain::EntryNotFound)
        return std::optional<QByteArray>();
    if (job.error() != QKeychain::NoError)
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("the OS keychain failed: ") + job.errorString(),
                     {}};
    return std::optional<QByteArray>(job.binaryData());
}

Status KeychainSecretStore::write(const QString &key, const QByteArray &value)
{
    QKeychain::WritePasswordJob job(m_service);
    job.setKey(key);
    job.setBinaryData(value);
    if (!runJob(job))
        return Error{
            ErrorCode::Timeout, QStringLiteral("the OS keychain did not answer within 10 s"), {}};
    if (job.error() != QKeychain::NoError)
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("the OS keychain failed: ") + job.errorString(),
                     {}};
    return {};
}

QString KeychainSecretStore::describe() const
{
    return QStringLiteral("the OS keychain (service \"%1\")").arg(m_service);
}

FileSecretStore::FileSecretStore(QString directory)
    : m_directory(std::move(directory))
{}

QString FileSecretStore::pathFor(const QString &key) const
{
    QString safe = key;
    for (QChar &c : safe) {
        if (!c.isLetterOrNumber() && c != QLatin1Char('-') && c != QLatin1Char('_')
            && c != QLatin1Char('.'))
            c = QLatin1Char('_');
    }
    return QDir(m_directory).filePath(safe);
}

Result<std::optional<QByteArray>> FileSecretStore::read(const QString &key)
{
    QFile file(pathFor(key));
    if (!file.exists())
        return std::optional<QByteArray>();
    if (!file.open(QIODevice::ReadOnly))
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot read %1: %2").arg(file.fileName(), file.errorString()),
                     {}};
    return std::optional<QByteArray>(QByteArray::fromBase64(file.readAll().trimmed()));
}

Status FileSecretStore::write(const QString &key, const QByteArray &value)
{
    if (!QDir().mkpath(m_directory))
        return Error{
            ErrorCode::Unavailable, QStringLiteral("cannot create %1").arg(m_directory), {}};
    QFile::setPermissions(m_directory,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QSaveFile file(pathFor(key));
    if (!file.open(QIODevice::WriteOnly))
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString()),
                     {}};
    // Restrict before any secret byte is written.
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(value.toBase64() + '\n');
    if (!file.commit())
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString()),
                     {}};
    return {};
}

QString FileSecretStore::describe() const
{
    return QStringLiteral("files in %1 (mode 0600)").arg(m_directory);
}

Result<std::optional<QByteArray>> MemorySecretStore::read(const QString &key)
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_values.constFind(key);
    if (it == m_values.constEnd())
        return std::optional<QByteArray>();
    return std::optional<QByteArray>(*it);
}

Status MemorySecretStore::write(const QString &key, const QByteArray &value)
{
    QMutexLocker lock(&m_mutex);
    m_values.insert(key, value);
    return {};
}

std::shared_ptr<SecretStore> openSecretStore(const QString &dataDir,
                                             const std::function<void(const QString &)> &warn)
{
    const QString mode = qEnvironmentVariable("ORDINAUT_SECRET_STORE");
    const QString folder = QDir(dataDir).filePath(QStringLiteral("secrets"));
    if (mode == QLatin1String("keychain")
        || (mode != QLatin1String("file") && KeychainSecretStore::isLikelyAvailable()))
        return std::make_shared<KeychainSecretStore>(QStringLiteral("Ordinaut"));
    if (mode != QLatin1String("file"))
        warn(QStringLiteral("No OS keychain is available; passwords and API keys for tools are "
                            "kept in files under %1, readable only by you.")
                 .arg(folder));
    return std::make_shared<FileSecretStore>(folder);
}

} // namespace ordinaut
