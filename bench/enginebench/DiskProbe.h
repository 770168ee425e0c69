// DiskProbe: what one durable write (a page, then fdatasync) costs on the data folder's file
// system, appended and overwritten as SQLite's WAL does, so a report can be read against its
// disk.
#pragma once

#include "core/Result.h"

#include <vector>

namespace ordinaut::bench {

struct SyncLatencies
{
    std::vector<double> appendMs;    // write at the end + fdatasync
    std::vector<double> overwriteMs; // write over an existing page + fdatasync
};

// `samples` of each kind with pages of `bytes`, in a scratch file in `dir` that is removed
// afterwards. Unavailable when the file cannot be made or written.
Result<SyncLatencies> measureSyncLatencies(const QString &dir, int samples, int bytes);

} // namespace ordinaut::bench
