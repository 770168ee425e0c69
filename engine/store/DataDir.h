// Where Ordinaut keeps its data: --data-dir, else ORDINAUT_DATA_DIR, else the platform's
// application-data folder.
#pragma once

#include <QString>

namespace ordinaut {

QString resolveDataDir(const QString &commandLineValue);
QString databaseFile(const QString &dataDir);

} // namespace ordinaut
