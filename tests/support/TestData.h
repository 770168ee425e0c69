// TestData: files under tests/data, read by name ("us-holidays.ics").
#pragma once

#include <QByteArray>

namespace ordinaut::test {

// The file's bytes; aborts the test run when it is missing.
QByteArray testData(const char *name);
// Its absolute path, for handing to a command line.
QString testDataPath(const char *name);

} // namespace ordinaut::test
