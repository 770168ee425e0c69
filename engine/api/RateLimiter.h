// RateLimiter: a token bucket per agent. Each request takes a token; tokens come back at a
// steady rate up to the bucket's size, so an agent may burst and then goes at the rate. The
// limit is the setting api.rate_limit; requests over it are answered 429 with Retry-After.
#pragma once

#include "core/Json.h"

#include <QHash>
#include <QMutex>
#include <QString>

#include <array>
#include <atomic>

namespace ordinaut {

class Clock;

class RateLimiter final
{
public:
    struct Limit
    {
        double perSecond = 0; // 0: no limit
        int burst = 1;
    };

    explicit RateLimiter(const Clock &clock);
    Q_DISABLE_COPY_MOVE(RateLimiter)

    // The setting's value {"requests_per_second", "burst"}; applies from the next request.
    void configure(const Json &setting);
    void setLimit(Limit limit);
    Limit limit() const;

    // Takes a token from `key`'s bucket: 0 when the request may go ahead, otherwise the whole
    // seconds until a token is back (at least 1).
    int take(const QString &key);

private:
    struct Bucket
    {
        double tokens = 0;
        qint64 updatedUs = 0;
    };
    struct Shard
    {
        QMutex mutex;
        QHash<QString, Bucket> buckets;
    };

    const Clock &m_clock;
    std::atomic<double> m_perSecond{0};
    std::atomic<int> m_burst{1};
    std::array<Shard, 16> m_shards;
};

} // namespace ordinaut
