// Metric instruments for the Prometheus text format: counters, gauges and histograms with fixed
// buckets, updated with atomics from any thread, and MetricFamily, one instrument per label set.
// A family holds at most `maxSeries` label sets; later ones share one series whose labels all
// read "other", so a caller passing unexpected values cannot grow memory or cardinality.
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ordinaut {

class MetricCounter final
{
public:
    // Counters only go up: a negative amount is ignored.
    void add(double amount = 1)
    {
        if (amount > 0)
            m_value.fetch_add(amount, std::memory_order_relaxed);
    }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0};
};

class MetricGauge final
{
public:
    void set(double value) { m_value.store(value, std::memory_order_relaxed); }
    void add(double amount) { m_value.fetch_add(amount, std::memory_order_relaxed); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0};
};

class MetricHistogram final
{
public:
    // `bounds`: the buckets' upper bounds (le), ascending; +Inf is implied.
    explicit MetricHistogram(std::vector<double> bounds)
        : m_bounds(std::move(bounds))
        , m_counts(std::make_unique<std::atomic<quint64>[]>(m_bounds.size() + 1))
    {}
    Q_DISABLE_COPY_MOVE(MetricHistogram)

    void observe(double value)
    {
        // `le` is inclusive: the first bound not below the value.
        const auto bucket = std::lower_bound(m_bounds.begin(), m_bounds.end(), value);
        m_counts[static_cast<std::size_t>(bucket - m_bounds.begin())].fetch_add(
            1, std::memory_order_relaxed);
        m_sum.fetch_add(value, std::memory_order_relaxed);
    }

    struct Snapshot
    {
        std::vector<quint64> cumulative; // per bound, then +Inf (== count)
        double sum = 0;
    };
    // Cumulative counts read once each, so +Inf always equals the sum of the buckets even
    // while observations go on.
    Snapshot snapshot() const
    {
        Snapshot shot;
        shot.cumulative.reserve(m_bounds.size() + 1);
        quint64 running = 0;
        for (std::size_t i = 0; i <= m_bounds.size(); ++i) {
            running += m_counts[i].load(std::memory_order_relaxed);
            shot.cumulative.push_back(running);
        }
        shot.sum = m_sum.load(std::memory_order_relaxed);
        return shot;
    }
    const std::vector<double> &bounds() const { return m_bounds; }

private:
    const std::vector<double> m_bounds;
    std::unique_ptr<std::atomic<quint64>[]> m_counts;
    std::atomic<double> m_sum{0};
};

template<typename Instrument>
class MetricFamily final
{
public:
    MetricFamily(std::string name, std::string help, std::vector<std::string> labelNames,
                 std::function<std::unique_ptr<Instrument>()> make, std::size_t maxSeries = 256)
        : m_name(std::move(name))
        , m_help(std::move(help))
        , m_labelNames(std::move(labelNames))
        , m_make(std::move(make))
        , m_maxSeries(maxSeries)
    {}
    Q_DISABLE_COPY_MOVE(MetricFamily)

    // The instrument of one label set, made on first use. `values` in the order of the label
    // names. Any thread.
    Instrument &with(std::initializer_list<std::string_view> values)
    {
        std::string key;
        for (std::string_view value : values) {
            key.append(value);
            key.push_back('\x1f');
        }
        {
            std::shared_lock lock(m_mutex);
            if (const auto found = m_series.find(key); found != m_series.end())
                return *found->second.instrument;
        }
        std::unique_lock lock(m_mutex);
        if (const auto found = m_series.find(key); found != m_series.end())
            return *found->second.instrument;
        std::vector<std::string> labelValues(values.begin(), values.end());
        if (m_series.size() >= m_maxSeries) {
            labelValues.assign(m_labelNames.size(), std::string("other"));
            key.clear();
            for (const std::string &value : labelValues) {
                key.append(value);
                key.push_back('\x1f');
            }
            if (const auto found = m_series.find(key); found != m_series.end())
                return *found->second.instrument;
        }
        Series &series = m_series[key];
        series.labelValues = std::move(labelValues);
        series.instrument = m_make();
        return *series.instrument;
    }

    // Calls `visit(labelValues, instrument)` for every series, in a stable order.
    void forEach(const std::function<void(const std::vector<std::string> &, const Instrument &)>
                     &visit) const
    {
        std::shared_lock lock(m_mutex);
        for (const auto &[key, series] : m_series)
            visit(series.labelValues, *series.instrument);
    }

    const std::string &name() const { return m_name; }
    const std::string &help() const { return m_help; }
    const std::vector<std::string> &labelNames() const { return m_labelNames; }

private:
    struct Series
    {
        std::vector<std::string> labelValues;
        std::unique_ptr<Instrument> instrument;
    };

    const std::string m_name;
    const std::string m_help;
    const std::vector<std::string> m_labelNames;
    const std::function<std::unique_ptr<Instrument>()> m_make;
    const std::size_t m_maxSeries;
    mutable std::shared_mutex m_mutex;
    std::map<std::string, Series> m_series;
};

} // namespace ordinaut
