// RetryPolicy: delays per strategy, capped.
#include "RetryPolicy.h"

#include <algorithm>
#include <cmath>

namespace ordinaut {

qint64 RetryPolicy::delayMsAfter(int attempt, double random) const
{
    const int n = std::max(attempt, 1);
    double delay = 0;
    switch (strategy) {
    case BackoffStrategy::Fixed:
        delay = double(baseDelayMs);
        break;
    case BackoffStrategy::Linear:
        delay = double(baseDelayMs) * n;
        break;
    case BackoffStrategy::ExponentialJitter:
        delay = std::min(double(maxDelayMs), double(baseDelayMs) * std::pow(2.0, n - 1));
        delay *= 0.5 + 0.5 * std::clamp(random, 0.0, 1.0);
        break;
    }
    return std::min<qint64>(maxDelayMs, static_cast<qint64>(delay));
}

QString toString(BackoffStrategy strategy)
{
    switch (strategy) {
    case BackoffStrategy::ExponentialJitter:
        return QStringLiteral("exponential_jitter");
    case BackoffStrategy::Linear:
        return QStringLiteral("linear");
    case BackoffStrategy::Fixed:
        return QStringLiteral("fixed");
    }
    return {};
}

std::optional<BackoffStrategy> backoffStrategyFromString(const QString &text)
{
    if (text == QLatin1String("exponential_jitter") || text == QLatin1String("exponential"))
        return BackoffStrategy::ExponentialJitter;
    if (text == QLatin1String("linear"))
        return BackoffStrategy::Linear;
    if (text == QLatin1String("fixed"))
        return BackoffStrategy::Fixed;
    return std::nullopt;
}

} // namespace ordinaut
