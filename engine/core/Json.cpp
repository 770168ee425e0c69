// JSON and instant helpers.
#include "Json.h"

#include <QRegularExpression>

namespace ordinaut {

QString formatInstant(const QDateTime &instant)
{
    if (!instant.isValid())
        return {};
    return instant.toUTC().toString(Qt::ISODateWithMs);
}

Json instantJson(const QDateTime &instant)
{
    if (!instant.isValid())
        return nullptr;
    return formatInstant(instant);
}

std::optional<QDateTime> parseInstant(const QString &text)
{
    // Qt accepts more forms than ISO 8601 instants, so the shape is checked first: a date, a
    // time with optional fraction, and a mandatory offset.
    static const QRegularExpression shape(
        QStringLiteral("^(\\d{4}-\\d{2}-\\d{2})[T "
                       "](\\d{2}:\\d{2}(?::\\d{2})?)(?:[.,](\\d{1,9}))?(Z|z|[+-]\\d{2}:?\\d{2})$"));
    const QRegularExpressionMatch m = shape.match(text.trimmed());
    if (!m.hasMatch())
        return std::nullopt;
    const QDate date = QDate::fromString(m.captured(1), Qt::ISODate);
    QString timeText = m.captured(2);
    if (timeText.size() == 5)
        timeText += QStringLiteral(":00");
    QTime time = QTime::fromString(timeText, Qt::ISODate);
    if (!date.isValid() || !time.isValid())
        return std::nullopt;
    const QString fraction = m.captured(3);
    if (!fraction.isEmpty())
        time = time.addMSecs(fraction.left(3).leftJustified(3, QLatin1Char('0')).toInt());
    int offsetSeconds = 0;
    const QString zone = m.captured(4);
    if (zone.compare(QStringLiteral("Z"), Qt::CaseInsensitive) != 0) {
        QString digits = zone.mid(1);
        digits.remove(QLatin1Char(':'));
        const int hours = digits.left(2).toInt();
        const int minutes = digits.mid(2, 2).toInt();
        if (hours > 23 || minutes > 59)
            return std::nullopt;
        offsetSeconds
            = (hours * 3600 + minutes * 60) * (zone.startsWith(QLatin1Char('-')) ? -1 : 1);
    }
    const QDateTime instant(date, time, Qt::OffsetFromUTC, offsetSeconds);
    if (!instant.isValid())
        return std::nullopt;
    return instant.toUTC();
}

QByteArray dumpJson(const Json &value)
{
    return QByteArray::fromStdString(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::optional<Json> parseJson(const QByteArray &text)
{
    Json value = Json::parse(text.begin(), text.end(), nullptr, false);
    if (value.is_discarded())
        return std::nullopt;
    return value;
}

QString jsonTypeName(const Json &value)
{
    switch (value.type()) {
    case Json::value_t::null:
        return QStringLiteral("null");
    case Json::value_t::object:
        return QStringLiteral("an object");
    case Json::value_t::array:
        return QStringLiteral("an array");
    case Json::value_t::string:
        return QStringLiteral("a string");
    case Json::value_t::boolean:
        return QStringLiteral("a boolean");
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
        return QStringLiteral("an integer");
    case Json::value_t::number_float:
        return QStringLiteral("a number");
    default:
        return QStringLiteral("a value");
    }
}

} // namespace ordinaut
