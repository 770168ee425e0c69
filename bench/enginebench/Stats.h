// Stats: the order statistics the engine benchmark reports, computed one way everywhere.
#pragma once

#include <vector>

namespace ordinaut::bench {

// The nearest-rank percentile, p in [0, 1]: the smallest value such that at least p of all
// values are at or below it (p 0 gives the minimum, p 1 the maximum). 0 for no values.
double percentile(std::vector<double> values, double p);
// The middle value; the mean of the two middle ones for an even count. 0 for no values.
double median(std::vector<double> values);
// `value` rounded to `decimals` places, for a readable report.
double rounded(double value, int decimals);

} // namespace ordinaut::bench
