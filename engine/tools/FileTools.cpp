// file.read / file.write: path confinement, then plain Qt file I/O (QSaveFile for atomic
// replacement).
#include "FileTools.h"

#include "ToolEnvironment.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

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

QString FileWriteTool::title() const
{
    return QStringLiteral("Write a file");
}

QString FileWriteTool::description() const
{
    return QStringLiteral(
        "Writes a file inside a folder allowed in the settings: replaces it atomically "
        "(overwrite), adds to its end (append) or only creates a new one (create). Content is "
        "text, base64 or any JSON value (written as JSON).");
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

Result<Json> FileWriteTool::invoke(const Json &input, ToolContext &) const
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
    const std::string mode = input.value("mode", std::string("overwrite"));
    if (mode == "overwrite") {
        QSaveFile file(*path);
        if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit())
            return Error{ErrorCode::PermissionDenied,
                         QStringLiteral("cannot write '%1': %2").arg(*path, file.errorString()),
                         QStringLiteral("with.path")};
    } else {
        QFile file(*path);
        const QIODevice::OpenMode openMode = mode == "append"
                                                 ? QIODevice::WriteOnly | QIODevice::Append
                                                 : QIODevice::WriteOnly | QIODevice::NewOnly;
        if (!file.open(openMode)) {
            if (mode == "create" && file.exists())
                return Error{ErrorCode::Conflict,
                             QStringLiteral("'%1' already exists (mode create)").arg(*path),
                             QStringLiteral("with.path")};
            return Error{ErrorCode::PermissionDenied,
                         QStringLiteral("cannot write '%1': %2").arg(*path, file.errorString()),
                         QStringLiteral("with.path")};
        }
        if (file.write(data) != data.size() || !file.flush())
            return Error{ErrorCode::Unavailable,
                         QStringLiteral("writing '%1' failed: %2").arg(*path, file.errorString()),
                         QStringLiteral("with.path")};
    }
    return Json{{"path", *path}, {"bytes_written", data.size()}};
}

} // namespace ordinaut
