// Stats: nearest-rank percentiles and medians.
#include "Stats.h"

#include <algorithm>
#include <cmath>

namespace ordinaut::bench {

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const auto n = static_cast<double>(values.size());
    // The tolerance keeps 0.99 * 2000 (1979.9999…) from rounding its rank past 1980.
    const double rank = std::ceil(std::clamp(p, 0.0, 1.0) * n - 1e-9);
    const auto index = static_cast<size_t>(std::clamp(rank, 1.0, n)) - 1;
    return values[index];
}

double median(std::vector<double> values)
{
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const size_t middle = values.size() / 2;
    return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2.0;
}

double rounded(double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

} // namespace ordinaut::bench
