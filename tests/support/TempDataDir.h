// TempDataDir: a fresh data folder per test, removed afterwards.
#pragma once

#include <QTemporaryDir>

namespace ordinaut::test {

class TempDataDir final
{
public:
    TempDataDir();
    QString path() const { return m_dir.path(); }
    QString databaseFile() const;

private:
    QTemporaryDir m_dir;
};

} // namespace ordinaut::test
