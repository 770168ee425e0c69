// TestData: the folder comes from the build (ORDINAUT_TEST_DATA_DIR).
#include "TestData.h"

#include <QFile>
#include <QString>

namespace ordinaut::test {

QString testDataPath(const char *name)
{
    return QStringLiteral(ORDINAUT_TEST_DATA_DIR "/") + QString::fromUtf8(name);
}

QByteArray testData(const char *name)
{
    QFile file(testDataPath(name));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing test data %s", name);
    return file.readAll();
}

} // namespace ordinaut::test
