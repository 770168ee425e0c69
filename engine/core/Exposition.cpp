// Exposition: the text format's lines and escaping.
#include "Exposition.h"

#include <charconv>
#include <cmath>

namespace ordinaut {

void Exposition::header(std::string_view name, std::string_view type, std::string_view help)
{
    m_text.append("# HELP ").append(name).append(" ").append(escapeHelp(help)).append("\n");
    m_text.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Exposition::sample(std::string_view name, const Labels &labels, double value)
{
    m_text.append(name);
    if (!labels.empty()) {
        m_text.push_back('{');
        bool first = true;
        for (const auto &[label, labelValue] : labels) {
            if (!first)
                m_text.push_back(',');
            first = false;
            m_text.append(label).append("=\"").append(escapeLabelValue(labelValue)).append("\"");
        }
        m_text.push_back('}');
    }
    m_text.push_back(' ');
    m_text.append(number(value));
    m_text.push_back('\n');
}

void Exposition::write(const MetricFamily<MetricCounter> &family)
{
    header(family.name(), "counter", family.help());
    family.forEach([&](const std::vector<std::string> &values, const MetricCounter &counter) {
        sample(family.name(), zip(family.labelNames(), values), counter.value());
    });
}

void Exposition::write(const MetricFamily<MetricGauge> &family)
{
    header(family.name(), "gauge", family.help());
    family.forEach([&](const std::vector<std::string> &values, const MetricGauge &gauge) {
        sample(family.name(), zip(family.labelNames(), values), gauge.value());
    });
}

void Exposition::write(const MetricFamily<MetricHistogram> &family)
{
    header(family.name(), "histogram", family.help());
    family.forEach([&](const std::vector<std::string> &values, const MetricHistogram &histogram) {
        this->histogram(family.name(), zip(family.labelNames(), values), histogram);
    });
}

void Exposition::histogram(std::string_view name, const Labels &labels,
                           const MetricHistogram &histogram)
{
    const MetricHistogram::Snapshot shot = histogram.snapshot();
    const std::string bucketName = std::string(name) + "_bucket";
    Labels withBound = labels;
    withBound.emplace_back("le", std::string_view());
    const std::vector<double> &bounds = histogram.bounds();
    for (std::size_t i = 0; i < shot.cumulative.size(); ++i) {
        const std::string bound = i < bounds.size() ? number(bounds[i]) : std::string("+Inf");
        withBound.back().second = bound;
        sample(bucketName, withBound, double(shot.cumulative[i]));
    }
    sample(std::string(name) + "_sum", labels, shot.sum);
    sample(std::string(name) + "_count", labels, double(shot.cumulative.back()));
}

std::string Exposition::number(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    char buffer[64];
    // General form: 0.0005 rather than 5e-04, exponents only for very large or small values.
    const std::to_chars_result written
        = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general);
    return std::string(buffer, written.ptr);
}

std::string Exposition::escapeLabelValue(std::string_view value)
{
    std::string escaped;
    escaped.reserve(value.size());
    for (const char c : value) {
        if (c == '\\')
            escaped.append("\\\\");
        else if (c == '"')
            escaped.append("\\\"");
        else if (c == '\n')
            escaped.append("\\n");
        else
            escaped.push_back(c);
    }
    return escaped;
}

std::string Exposition::escapeHelp(std::string_view help)
{
    std::string escaped;
    escaped.reserve(help.size());
    for (const char c : help) {
        if (c == '\\')
            escaped.append("\\\\");
        else if (c == '\n')
            escaped.append("\\n");
        else
            escaped.push_back(c);
    }
    return escaped;
}

Exposition::Labels Exposition::zip(const std::vector<std::string> &names,
                                   const std::vector<std::string> &values)
{
    Labels labels;
    labels.reserve(names.size());
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i)
        labels.emplace_back(names[i], values[i]);
    return labels;
}

} // namespace ordinaut
