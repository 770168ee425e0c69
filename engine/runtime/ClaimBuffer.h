// ClaimBuffer: runs the worker pool has claimed that no worker has started yet. The commit that
// records a worker's outcome also claims the pool's next runs; they wait here, their leases held
// and renewed like any other, for the first free worker. A worker then goes from one run to the
// next without waiting for the commit of the last one. A few runs per worker wait (enough to
// cover a commit and its flush), so a busy engine holds back little from other engines, and a
// stopping pool hands them back as they were (never started, not an attempt).
#pragma once

#include "core/Cancellation.h"
#include "core/Event.h"
#include "store/RunQueue.h"

#include <QMutex>

#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace ordinaut {

struct ClaimedRun
{
    Claim claim;
    std::vector<Event> events; // recorded with the claim, announced when the run starts
    std::shared_ptr<Cancellation> cancellation;
    // Claimed ahead for the buffer: the run is not marked running (nor run.started recorded)
    // until a worker starts it.
    bool started = true;
};

class ClaimBuffer final
{
public:
    explicit ClaimBuffer(int capacity);
    Q_DISABLE_COPY_MOVE(ClaimBuffer)

    int capacity() const { return m_capacity; }
    // The oldest waiting run, if any.
    std::optional<ClaimedRun> take();
    // How many runs (up to `most`) may be claimed for the buffer now. They count as waiting
    // until deliver() or forget() says what became of them.
    int reserve(int most);
    void deliver(std::vector<ClaimedRun> runs, int reserved);
    void forget(int reserved);
    // Everything waiting (at shutdown, to hand back).
    std::vector<ClaimedRun> takeAll();
    int size() const;

private:
    const int m_capacity;
    mutable QMutex m_mutex;
    std::deque<ClaimedRun> m_runs;
    int m_incoming = 0; // reserved, not yet delivered or forgotten
};

} // namespace ordinaut
