// RateLimiter: buckets in shards, so requests of different agents rarely share a lock.
#include "RateLimiter.h"

#include "core/Clock.h"

#include <algorithm>
#include <cmath>

namespace ordinaut {

RateLimiter::RateLimiter(const Clock &clock)
    : m_clock(clock)
{}

void RateLimiter::configure(const Json &setting)
{
    if (!setting.is_object())
        return;
    Limit limit;
    limit.perSecond = setting.value("requests_per_second", 0.0);
    limit.burst = setting.value("burst", 1);
    setLimit(limit);
}

void RateLimiter::setLimit(Limit limit)
{
    m_burst.store(std::max(1, limit.burst), std::memory_order_relaxed);
    m_perSecond.store(std::max(0.0, limit.perSecond), std::memory_order_relaxed);
}

RateLimiter::Limit RateLimiter::limit() const
{
    return Limit{m_perSecond.load(std::memory_order_relaxed),
                 m_burst.load(std::memory_order_relaxed)};
}

int RateLimiter::take(const QString &key)
{
    const double rate = m_perSecond.load(std::memory_order_relaxed);
    if (rate <= 0)
        return 0;
    const double burst = m_burst.load(std::memory_order_relaxed);
    const qint64 nowUs = m_clock.nowUs();
    Shard &shard = m_shards[qHash(key) % m_shards.size()];
    QMutexLocker lock(&shard.mutex);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end())
        it = shard.buckets.insert(key, Bucket{burst, nowUs});
    Bucket &bucket = *it;
    // Tokens earned since the last request, up to the bucket's size (which a lowered limit
    // also cuts back to).
    const double elapsed = std::max<qint64>(0, nowUs - bucket.updatedUs) / 1e6;
    bucket.tokens = std::min(burst, bucket.tokens + elapsed * rate);
    bucket.updatedUs = nowUs;
    if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1 - bucket.tokens) / rate)));
}

} // namespace ordinaut
