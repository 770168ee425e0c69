// ClaimBuffer: a small queue with reservations.
#include "ClaimBuffer.h"

#include <algorithm>

namespace ordinaut {

ClaimBuffer::ClaimBuffer(int capacity)
    : m_capacity(std::max(capacity, 0))
{}

std::optional<ClaimedRun> ClaimBuffer::take()
{
    QMutexLocker lock(&m_mutex);
    if (m_runs.empty())
        return std::nullopt;
    ClaimedRun run = std::move(m_runs.front());
    m_runs.pop_front();
    return run;
}

int ClaimBuffer::reserve(int most)
{
    QMutexLocker lock(&m_mutex);
    const int room = m_capacity - static_cast<int>(m_runs.size()) - m_incoming;
    const int granted = std::clamp(room, 0, std::max(most, 0));
    m_incoming += granted;
    return granted;
}

void ClaimBuffer::deliver(std::vector<ClaimedRun> runs, int reserved)
{
    QMutexLocker lock(&m_mutex);
    m_incoming -= reserved;
    for (ClaimedRun &run : runs)
        m_runs.push_back(std::move(run));
}

void ClaimBuffer::forget(int reserved)
{
    QMutexLocker lock(&m_mutex);
    m_incoming -= reserved;
}

std::vector<ClaimedRun> ClaimBuffer::takeAll()
{
    QMutexLocker lock(&m_mutex);
    std::vector<ClaimedRun> all(std::make_move_iterator(m_runs.begin()),
                                std::make_move_iterator(m_runs.end()));
    m_runs.clear();
    return all;
}

int ClaimBuffer::size() const
{
    QMutexLocker lock(&m_mutex);
    return static_cast<int>(m_runs.size());
}

} // namespace ordinaut
