// TestData: the folder comes from the build (ORDINAUT_TEST_DATA_DIR).
#include "TestData.h"

#include "core/Json.h"

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

QDateTime utc(const char *text)
{
    const auto instant = parseInstant(QString::fromLatin1(text));
    if (!instant)
        qFatal("not an instant: %s", text);
    return *instant;
}

} // namespace ordinaut::test
