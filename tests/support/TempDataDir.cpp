// TempDataDir implementation.
#include "TempDataDir.h"

#include <QDir>

namespace ordinaut::test {

TempDataDir::TempDataDir()
    : m_dir(QDir::tempPath() + QStringLiteral("/ordinaut-test-XXXXXX"))
{}

QString TempDataDir::databaseFile() const
{
    return QDir(path()).filePath(QStringLiteral("ordinaut.sqlite3"));
}

} // namespace ordinaut::test
