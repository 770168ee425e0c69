// file.read / file.write: path confinement, then plain Qt file I/O (QSaveFile for atomic
// replacement). With a side-effect ledger a write says what it is about to do before it does it,
// so a step executed again after a crash can tell from the file whether it happened.
#include "FileTools.h"

#include "SideEffectLedger.h"
#include "ToolEnvironment.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QThread>

#ifdef Q_OS_WIN
#include <io.h>
#include <windows.h>
#else
#include <cerrno>
#include <sys/file.h>
#include <unistd.h>
#endif

namespace ordinaut {

namespace {

const char *const kFoldersKey = "tools.files.allowed_folders";

Error pathError(const QString &message)
{
    return Error{ErrorCode::PermissionDenied, message, QStringLiteral("with.path")};
}

// The canonical form of `path` if it lies inside an allowed folder. For a file that does not
// exist yet, the nearest existing ancestor is resolved and the rest appended, so a link in the
// existing part cannot point outside.
Result<QString> confine(const ToolEnvironment &environment, const QString &path)
{
    if (!QDir::isAbsolutePath(path))
        return Error::invalid(QStringLiteral("with.path"),
                              QStringLiteral("must be an absolute path, got '%1'").arg(path));
    const Json folders = environment.setting(kFoldersKey);
    if (!folders.is_array() || folders.empty())
        return pathError(QStringLiteral("no folder is allowed for file tools; add one to the "
                                        "setting %1")
                             .arg(QLatin1String(kFoldersKey)));
    QString existing = QDir::cleanPath(path);
    QStringList missing;
    while (!QFileInfo::exists(existing)) {
        const QFileInfo info(existing);
        missing.prepend(info.fileName());
        const QString parent = info.path();
        if (parent == existing)
            break;
        existing = parent;
    }
    QString resolved = QFileInfo(existing).canonicalFilePath();
    if (resolved.isEmpty())
        return pathError(QStringLiteral("'%1' cannot be resolved").arg(path));
    for (const QString &part : missing)
        resolved += QLatin1Char('/') + part;
    QStringList allowed;
    for (const Json &folder : folders) {
        const QString canonical = QFileInfo(folder.get<QString>()).canonicalFilePath();
        allowed << folder.get<QString>();
        if (canonical.isEmpty())
            continue; // an allowed folder that does not exist (yet) allows nothing
        if (resolved == canonical || resolved.startsWith(canonical + QLatin1Char('/')))
            return resolved;
    }
    return pathError(QStringLiteral("'%1' is outside the allowed folders (%2)")
                         .arg(path, allowed.join(QStringLiteral(", "))));
}

} // namespace

QString FileReadTool::title() const
{
    return QStringLiteral("Read a file");
}

QString FileReadTool::description() const
{
    return QStringLiteral("Reads a file inside a folder allowed in the settings, as text (UTF-8), "
                          "parsed JSON or base64.");
}

Json FileReadTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["path"], "additionalProperties": false,
      "properties": {
        "path": {"type": "string", "minLength": 1},
        "encoding": {"enum": ["text", "json", "base64"], "default": "text"},
        "max_bytes": {"type": "integer", "minimum": 1, "maximum": 104857600}
      }})");
}

Json FileReadTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["path", "size", "content", "modified"],
      "properties": {"path": {"type": "string"}, "size": {"type": "integer"}, "content": {},
                     "modified": {"type": "string"}}})");
}

Result<Json> FileReadTool::invoke(const Json &input, ToolContext &) const
{
    Result<QString> path = confine(environment(), input["path"].get<QString>());
    if (!path)
        return path.error();
    const QFileInfo info(*path);
    if (!info.exists())
        return Error{ErrorCode::NotFound, QStringLiteral("'%1' does not exist").arg(*path),
                     QStringLiteral("with.path")};
    if (!info.isFile())
        return Error::invalid(QStringLiteral("with.path"),
                              QStringLiteral("'%1' is not a file").arg(*path));
    const qint64 maxBytes = input.value("max_bytes", kDefaultMaxBytes);
    if (info.size() > maxBytes)
        return Error{ErrorCode::PayloadTooLarge,
                     QStringLiteral("'%1' has %2 bytes, more than max_bytes %3")
                         .arg(*path)
                         .arg(info.size())
                         .arg(maxBytes),
                     QStringLiteral("with.path")};
    QFile file(*path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{ErrorCode::PermissionDenied,
                     QStringLiteral("cannot read '%1': %2").arg(*path, file.errorString()),
                     QStringLiteral("with.path")};
    const QByteArray data = file.read(maxBytes + 1);
    if (data.size() > maxBytes)
        return Error{
            ErrorCode::PayloadTooLarge,
            QStringLiteral("'%1' grew past max_bytes %2 while being read").arg(*path).arg(maxBytes),
            QStringLiteral("with.path")};
    const std::string encoding = input.value("encoding", std::string("text"));
    Json content;
    if (encoding == "json") {
        std::optional<Json> parsed = parseJson(data);
        if (!parsed)
            return Error::invalid(QStringLiteral("with.encoding"),
                                  QStringLiteral("'%1' is not valid JSON").arg(*path));
        content = std::move(*parsed);
    } else if (encoding == "base64") {
        content = data.toBase64().toStdString();
    } else {
        content = QString::fromUtf8(data);
    }
    return Json{{"path", *path},
                {"size", data.size()},
                {"content", std::move(content)},
                {"modified", formatInstant(info.lastModified().toUTC())}};
}

namespace {

constexpr QLatin1String kKeyPrefix("file.write:");

// An exclusive lock on an open file, taken by every append of file.write (threads and processes
// alike), so that the size an append measures is where its bytes land. Advisory: other programs
// are not held back. The system drops it with the process, so a killed engine leaves no lock.
class AppendLock final
{
public:
    explicit AppendLock(QFile &file)
        : m_file(file)
    {}
    ~AppendLock();
    Q_DISABLE_COPY_MOVE(AppendLock)

    // Waits until the step's deadline; Timeout, Canceled, or PermissionDenied when refused.
    Status lock(const QString &path, const ToolContext &context);

private:
    enum class Attempt { Locked, Busy, Failed };
    Attempt tryLock();

    QFile &m_file;
    bool m_locked = false;
};

#ifdef Q_OS_WIN
// Windows byte-range locks are mandatory, so the locked byte lies far past any end of file.
AppendLock::Attempt AppendLock::tryLock()
{
    OVERLAPPED region{0, 0, {{0xFFFFFFFE, 0x7FFFFFFF}}, nullptr};
    if (LockFileEx(reinterpret_cast<HANDLE>(_get_osfhandle(m_file.handle())),
                   LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &region))
        return Attempt::Locked;
    return GetLastError() == ERROR_LOCK_VIOLATION ? Attempt::Busy : Attempt::Failed;
}

AppendLock::~AppendLock()
{
    OVERLAPPED region{0, 0, {{0xFFFFFFFE, 0x7FFFFFFF}}, nullptr};
    if (m_locked)
        UnlockFileEx(reinterpret_cast<HANDLE>(_get_osfhandle(m_file.handle())), 0, 1, 0, &region);
}

bool syncToDisk(QFile &file)
{
    return file.flush() && _commit(file.handle()) == 0;
}
#else
// flock, not fcntl: its locks belong to the open file, so two threads of one engine exclude each
// other as two engines do.
AppendLock::Attempt AppendLock::tryLock()
{
    int locked = 0;
    do
        locked = ::flock(m_file.handle(), LOCK_EX | LOCK_NB);
    while (locked != 0 && errno == EINTR);
    if (locked == 0)
        return Attempt::Locked;
    return errno == EWOULDBLOCK ? Attempt::Busy : Attempt::Failed;
}

AppendLock::~AppendLock()
{
    if (m_locked)
        ::flock(m_file.handle(), LOCK_UN);
}

bool syncToDisk(QFile &file)
{
    return file.flush() && ::fsync(file.handle()) == 0;
}
#endif

Error fileError(ErrorCode code, const QString &message)
{
    return Error{code, message, QStringLiteral("with.path")};
}

Status AppendLock::lock(const QString &path, const ToolContext &context)
{
    const QDeadlineTimer deadline(context.timeoutMs);
    for (unsigned long pauseUs = 100;; pauseUs = std::min(pauseUs * 2, 2000UL)) {
        const Attempt attempt = tryLock();
        m_locked = attempt == Attempt::Locked;
        if (attempt == Attempt::Failed)
            return fileError(ErrorCode::PermissionDenied,
                             QStringLiteral("cannot lock '%1' to append").arg(path));
        if (m_locked)
            return {};
        if (context.isCanceled())
            return context.cancellation->error();
        if (deadline.hasExpired())
            return fileError(ErrorCode::Timeout,
                             QStringLiteral("'%1' stayed locked by other appends past the "
                                            "step's deadline")
                                 .arg(path));
        QThread::usleep(pauseUs);
    }
}

Error cannotWrite(const QString &path, const QFileDevice &file)
{
    return fileError(ErrorCode::PermissionDenied,
                     QStringLiteral("cannot write '%1': %2").arg(path, file.errorString()));
}

Json written(const QString &path, qint64 bytes)
{
    return Json{{"path", path}, {"bytes_written", bytes}};
}

std::string sha256(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex().toStdString();
}

// What a write is about to do, for the ledger: enough to recognize its bytes in the file.
Json intentOf(const char *mode, const QString &path, const QByteArray &data)
{
    return Json{{"mode", mode}, {"path", path}, {"length", data.size()}, {"sha256", sha256(data)}};
}

bool isIntent(const Json &intent, const char *mode, const QString &path)
{
    return intent.is_object() && intent.value("mode", std::string()) == mode
           && intent.value("path", std::string()) == path.toStdString()
           && intent.value("length", Json()).is_number_integer()
           && intent.value("sha256", Json()).is_string()
           && (std::string(mode) != "append" || intent.value("offset", Json()).is_number_integer());
}

Error cannotTell(const SideEffectReservation &earlier, const QString &why)
{
    const Json &intent = earlier.intent;
    QString what = QStringLiteral("to do something it did not describe");
    if (intent.is_object() && intent.contains("path"))
        what = QStringLiteral("to write %1 bytes to '%2' (mode %3%4)")
                   .arg(intent.value("length", qint64(0)))
                   .arg(qs(intent.value("path", std::string())),
                        qs(intent.value("mode", std::string())),
                        intent.contains("offset")
                            ? QStringLiteral(", at offset %1").arg(intent.value("offset", 0LL))
                            : QString());
    return fileError(ErrorCode::Conflict,
                     QStringLiteral("an earlier attempt of this step (run %1, at %2) set out %3 "
                                    "and never recorded whether it did; %4, so it is not "
                                    "repeated")
                         .arg(earlier.runId, formatInstant(earlier.reservedAt), what, why));
}

// One step's write through the ledger, keyed like email.send: by the occurrence and the step,
// so a retried or taken-over attempt finds it.
struct Effect
{
    SideEffectLedger &ledger;
    const ToolContext &context;
    QString key;

    Result<SideEffectReservation> reserve(const Json &intent) const
    {
        return ledger.reserveWithIntent(key, context.runId, context.stepId, intent);
    }
    Status retake(const Json &intent) const { return ledger.retake(key, context.runId, intent); }
    // The write happened: report it even if the record fails. The reservation then stays, and
    // the step executed again finds the bytes and records them itself.
    Json done(const Json &output) const
    {
        if (Status recorded = ledger.record(key, output); !recorded)
            qWarning("file.write: wrote %s but could not record it: %s", qPrintable(key),
                     qPrintable(recorded.error().describe()));
        return output;
    }
    // The write certainly did not happen: a retry may try again.
    Error undone(const Error &error) const
    {
        if (Status released = ledger.release(key); !released)
            qWarning("file.write: could not release %s: %s", qPrintable(key),
                     qPrintable(released.error().describe()));
        return error;
    }
};

// Whether an unrecorded earlier append of this step is in the file: true when its bytes are at
// the offset it measured, false when it certainly never happened. Every append measures and
// writes under the lock, so a later append that measured the same offset proves the earlier one
// had not written (even one with the same bytes), and so does a file still ending there.
Result<bool> earlierAppendHappened(QFile &file, const QString &path, qint64 size,
                                   const SideEffectReservation &earlier, const Effect &effect)
{
    const Json &intent = earlier.intent;
    if (!isIntent(intent, "append", path))
        return cannotTell(earlier, QStringLiteral("this attempt appends to '%1'").arg(path));
    const qint64 offset = intent["offset"].get<qint64>();
    const qint64 length = intent["length"].get<qint64>();
    Result<std::vector<Json>> later = effect.ledger.intentsAfter(effect.key, kKeyPrefix);
    if (!later)
        return later.error();
    for (const Json &other : *later) {
        if (isIntent(other, "append", path) && other["offset"].get<qint64>() == offset)
            return false;
    }
    if (size >= offset + length && file.seek(offset)
        && sha256(file.read(length)) == intent["sha256"].get<std::string>())
        return true;
    if (size == offset)
        return false;
    return cannotTell(earlier, QStringLiteral("the file now has %1 bytes and not those at "
                                              "offset %2")
                                   .arg(size)
                                   .arg(offset));
}

// Under the lock: measures the end of the file, reserves the step's append with it, and writes.
// nullopt when the bytes went in (to be synced and recorded); the output when the step had
// appended already (recorded, or found in the file); an error when nothing was appended.
Result<std::optional<Json>> appendLocked(QFile &file, const QString &path, const QByteArray &data,
                                         const ToolContext &context, const Effect *effect)
{
    AppendLock lock(file);
    if (Status locked = lock.lock(path, context); !locked)
        return locked.error();
    const qint64 size = file.size();
    if (effect) {
        Json intent = intentOf("append", path, data);
        intent["offset"] = size;
        Result<SideEffectReservation> reserved = effect->reserve(intent);
        if (!reserved)
            return reserved.error();
        if (reserved->state == SideEffectReservation::State::Recorded)
            return std::optional<Json>(std::move(reserved->result));
        if (reserved->state == SideEffectReservation::State::Unfinished) {
            Result<bool> happened = earlierAppendHappened(file, path, size, *reserved, *effect);
            if (!happened)
                return happened.error();
            if (*happened)
                return std::optional<Json>(
                    effect->done(written(path, reserved->intent["length"].get<qint64>())));
            if (Status retaken = effect->retake(intent); !retaken)
                return retaken.error();
        }
    }
    if (file.write(data) == data.size())
        return std::optional<Json>();
    // Cut off again, a failed write certainly did not happen and a retry may append.
    const QString why = file.errorString();
    if (!file.resize(size)) // part of it may be there: neither released nor repeated
        return fileError(
            ErrorCode::Unavailable,
            QStringLiteral("writing '%1' failed: %2; part of it may be at its end").arg(path, why));
    const Error error = fileError(ErrorCode::Unavailable,
                                  QStringLiteral("writing '%1' failed: %2").arg(path, why));
    return effect ? effect->undone(error) : error;
}

Result<Json> appendOnce(const QString &path, const QByteArray &data, const ToolContext &context,
                        const Effect *effect)
{
    QFile file(path);
    // Unbuffered: a reconciliation reads before it writes, on the handle that holds the lock.
    if (!file.open(QIODevice::ReadWrite | QIODevice::Append | QIODevice::Unbuffered))
        return cannotWrite(path, file);
    Result<std::optional<Json>> appended = appendLocked(file, path, data, context, effect);
    if (!appended)
        return appended.error();
    if (*appended)
        return std::move(**appended);
    // Synced and recorded after the lock is released: the next append waits for this one's
    // write, not for the disk. Unsynced, the bytes stay reserved for a re-execution to find.
    if (!syncToDisk(file))
        return fileError(
            ErrorCode::Unavailable,
            QStringLiteral("'%1' could not be written to disk: %2").arg(path, file.errorString()));
    return effect ? effect->done(written(path, data.size())) : written(path, data.size());
}

// An overwrite done twice leaves the file as one does, so an unrecorded earlier attempt is
// simply taken over; a recorded one is not repeated.
Result<Json> overwriteOnce(const QString &path, const QByteArray &data, const Effect *effect)
{
    if (effect) {
        const Json intent = intentOf("overwrite", path, data);
        Result<SideEffectReservation> reserved = effect->reserve(intent);
        if (!reserved)
            return reserved.error();
        if (reserved->state == SideEffectReservation::State::Recorded)
            return std::move(reserved->result);
        if (reserved->state == SideEffectReservation::State::Unfinished) {
            if (Status retaken = effect->retake(intent); !retaken)
                return retaken.error();
        }
    }
    // QSaveFile syncs the new file to disk before it takes the old one's place.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit())
        return effect ? effect->undone(cannotWrite(path, file)) : cannotWrite(path, file);
    return effect ? effect->done(written(path, data.size())) : written(path, data.size());
}

// A file that an unrecorded earlier attempt meant to create counts as its own when it holds
// exactly what that attempt wrote; a missing one is created now.
Result<Json> createOnce(const QString &path, const QByteArray &data, const Effect *effect)
{
    if (effect) {
        const Json intent = intentOf("create", path, data);
        Result<SideEffectReservation> reserved = effect->reserve(intent);
        if (!reserved)
            return reserved.error();
        if (reserved->state == SideEffectReservation::State::Recorded)
            return std::move(reserved->result);
        if (reserved->state == SideEffectReservation::State::Unfinished) {
            if (!isIntent(reserved->intent, "create", path))
                return cannotTell(*reserved, QStringLiteral("this attempt creates '%1'").arg(path));
            const qint64 length = reserved->intent["length"].get<qint64>();
            QFile existing(path);
            if (existing.exists()) {
                if (existing.size() != length || !existing.open(QIODevice::ReadOnly)
                    || sha256(existing.read(length))
                           != reserved->intent["sha256"].get<std::string>())
                    return cannotTell(*reserved, QStringLiteral("'%1' exists but does not hold "
                                                                "what it wrote")
                                                     .arg(path));
                return effect->done(written(path, length));
            }
            if (Status retaken = effect->retake(intent); !retaken)
                return retaken.error();
        }
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly)) {
        const Error error
            = file.exists()
                  ? fileError(ErrorCode::Conflict,
                              QStringLiteral("'%1' already exists (mode create)").arg(path))
                  : cannotWrite(path, file);
        return effect ? effect->undone(error) : error;
    }
    if (file.write(data) != data.size() || !syncToDisk(file)) {
        const QString why = file.errorString();
        file.close();
        // Only a file removed again certainly was not created: a retry may create it.
        const bool removed = QFile::remove(path);
        const Error error = fileError(
            ErrorCode::Unavailable,
            QStringLiteral("writing '%1' failed: %2").arg(path, why)
                + (removed ? QString() : QStringLiteral("; the partly written file remains")));
        return effect && removed ? effect->undone(error) : error;
    }
    return effect ? effect->done(written(path, data.size())) : written(path, data.size());
}

} // namespace

QString FileWriteTool::title() const
{
    return QStringLiteral("Write a file");
}

QString FileWriteTool::description() const
{
    return QStringLiteral(
        "Writes a file inside a folder allowed in the settings: replaces it atomically "
        "(overwrite), adds to its end (append) or only creates a new one (create). Content is "
        "text, base64 or any JSON value (written as JSON). A step's write happens once, even "
        "when its run is retried or taken over after a crash.");
}

Json FileWriteTool::inputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["path", "content"], "additionalProperties": false,
      "properties": {
        "path": {"type": "string", "minLength": 1},
        "content": {},
        "encoding": {"enum": ["text", "json", "base64"], "default": "text"},
        "mode": {"enum": ["overwrite", "append", "create"], "default": "overwrite"},
        "make_dirs": {"type": "boolean", "default": false}
      }})");
}

Json FileWriteTool::outputSchema() const
{
    return Json::parse(R"({
      "type": "object", "required": ["path", "bytes_written"],
      "properties": {"path": {"type": "string"}, "bytes_written": {"type": "integer"}}})");
}

Result<Json> FileWriteTool::invoke(const Json &input, ToolContext &context) const
{
    Result<QString> path = confine(environment(), input["path"].get<QString>());
    if (!path)
        return path.error();
    const std::string encoding = input.value("encoding", std::string("text"));
    const Json &content = input["content"];
    QByteArray data;
    if (encoding == "json") {
        data = QByteArray::fromStdString(content.dump(2)) + '\n';
    } else if (!content.is_string()) {
        return Error::invalid(QStringLiteral("with.content"),
                              QStringLiteral("must be a string with encoding %1, got %2 (use "
                                             "encoding json to write a JSON value)")
                                  .arg(qs(encoding), jsonTypeName(content)));
    } else if (encoding == "base64") {
        auto decoded = QByteArray::fromBase64Encoding(content.get<std::string>().c_str(),
                                                      QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return Error::invalid(QStringLiteral("with.content"),
                                  QStringLiteral("is not valid base64"));
        data = std::move(*decoded);
    } else {
        data = content.get<QString>().toUtf8();
    }

    const QFileInfo info(*path);
    if (info.isDir())
        return Error::invalid(QStringLiteral("with.path"),
                              QStringLiteral("'%1' is a folder").arg(*path));
    if (!info.dir().exists()) {
        if (!input.value("make_dirs", false))
            return Error{ErrorCode::NotFound,
                         QStringLiteral("the folder '%1' does not exist (make_dirs: true creates "
                                        "it)")
                             .arg(info.path()),
                         QStringLiteral("with.path")};
        if (!QDir().mkpath(info.path()))
            return Error{ErrorCode::PermissionDenied,
                         QStringLiteral("cannot create the folder '%1'").arg(info.path()),
                         QStringLiteral("with.path")};
    }
    std::optional<Effect> effect;
    if (context.ledger) {
        const QString scope = context.effectScope.isEmpty() ? context.runId : context.effectScope;
        effect.emplace(Effect{*context.ledger, context,
                              kKeyPrefix + scope + QLatin1Char(':') + context.stepId});
    }
    const Effect *once = effect ? &*effect : nullptr;
    const std::string mode = input.value("mode", std::string("overwrite"));
    if (mode == "append")
        return appendOnce(*path, data, context, once);
    if (mode == "create")
        return createOnce(*path, data, once);
    return overwriteOnce(*path, data, once);
}

} // namespace ordinaut
