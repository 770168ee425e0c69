// RetryPolicy: how a task's failed run is tried again — how many more attempts, and how long to
// wait before each. The wait is a queue row's future run_at: no thread or lease is held.
#pragma once

#include <QString>

#include <optional>

namespace ordinaut {

enum class BackoffStrategy { ExponentialJitter, Linear, Fixed };

struct RetryPolicy
{
    int maxRetries = 0; // attempts after the first, 0..100
    BackoffStrategy strategy = BackoffStrategy::ExponentialJitter;
    qint64 baseDelayMs = 1000;
    qint64 maxDelayMs = 300000;

    // Whether a run that failed on `attempt` (1 = the first) gets another.
    bool allowsAnotherAfter(int attempt) const { return attempt <= maxRetries; }
    // The wait before attempt `attempt + 1`. `random` in [0, 1) spreads exponential retries
    // over [half, full] of the doubled delay so failing tasks do not retry in lockstep.
    qint64 delayMsAfter(int attempt, double random) const;
};

QString toString(BackoffStrategy strategy);
// "exponential" (the stored default before strategies were named) reads as ExponentialJitter.
std::optional<BackoffStrategy> backoffStrategyFromString(const QString &text);

} // namespace ordinaut
