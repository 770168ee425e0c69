// Data folder resolution.
#include "DataDir.h"

#include <QDir>
#include <QStandardPaths>

namespace ordinaut {

QString resolveDataDir(const QString &commandLineValue)
{
    if (!commandLineValue.isEmpty())
        return QDir(commandLineValue).absolutePath();
    const QString fromEnvironment = qEnvironmentVariable("ORDINAUT_DATA_DIR");
    if (!fromEnvironment.isEmpty())
        return QDir(fromEnvironment).absolutePath();
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

QString databaseFile(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("ordinaut.sqlite3"));
}

} // namespace ordinaut
