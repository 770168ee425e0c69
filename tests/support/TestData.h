// TestData: files under tests/data, read by name ("us-holidays.ics").
#pragma once

#include <QByteArray>
#include <QDateTime>

namespace ordinaut::test {

// The file's bytes; aborts the test run when it is missing.
QByteArray testData(const char *name);
// Its absolute path, for handing to a command line.
QString testDataPath(const char *name);
// An ISO 8601 instant with its offset ("2026-12-25T14:00:00Z"); aborts on a typo.
QDateTime utc(const char *text);

} // namespace ordinaut::test
