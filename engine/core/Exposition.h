// Exposition: writes metrics in the Prometheus text exposition format, version 0.0.4 — a HELP
// and a TYPE line per family, then its samples; label values and help text escaped.
#pragma once

#include "MetricFamily.h"

#include <QByteArray>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ordinaut {

class Exposition final
{
public:
    static constexpr const char *kContentType = "text/plain; version=0.0.4; charset=utf-8";

    using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

    // `type`: counter, gauge or histogram. Once per family, before its samples.
    void header(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, const Labels &labels, double value);

    // A whole family with its header; a family without series writes only the header.
    void write(const MetricFamily<MetricCounter> &family);
    void write(const MetricFamily<MetricGauge> &family);
    void write(const MetricFamily<MetricHistogram> &family);
    // One histogram's _bucket (cumulative, ending in +Inf), _sum and _count samples.
    void histogram(std::string_view name, const Labels &labels, const MetricHistogram &histogram);

    // Shortest text that reads back as the same double; +Inf, -Inf and NaN as Prometheus
    // spells them.
    static std::string number(double value);
    static std::string escapeLabelValue(std::string_view value);
    static std::string escapeHelp(std::string_view help);

    const std::string &text() const { return m_text; }
    QByteArray toUtf8() const { return QByteArray(m_text.data(), qsizetype(m_text.size())); }

private:
    static Labels zip(const std::vector<std::string> &names,
                      const std::vector<std::string> &values);

    std::string m_text;
};

} // namespace ordinaut
