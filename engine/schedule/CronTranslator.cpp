// CronTranslator implementation.
#include "CronTranslator.h"

#include <QMap>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace ordinaut {

namespace {

struct Field
{
    const char *name;
    int min;
    int max;
    QMap<QString, int> names;
};

Error fieldError(const Field &field, int index, const QString &message)
{
    return Error::invalid(QStringLiteral("schedule_expr"),
                          QStringLiteral("cron field %1 (%2): %3")
                              .arg(index + 1)
                              .arg(QString::fromLatin1(field.name), message));
}

Result<int> number(const Field &field, int index, const QString &text)
{
    const QString lower = text.toLower();
    if (field.names.contains(lower))
        return field.names.value(lower);
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok)
        return fieldError(
            field, index,
            QStringLiteral("'%1' is not a number%2")
                .arg(text, field.names.isEmpty() ? QString() : QStringLiteral(" or a name")));
    if (value < field.min || value > field.max)
        return fieldError(
            field, index,
            QStringLiteral("%1 is out of range %2-%3").arg(value).arg(field.min).arg(field.max));
    return value;
}

// The values a field allows; `restricted` is false for "*" (and "*/1").
Result<QList<int>> parseField(const Field &field, int index, const QString &text, bool *restricted)
{
    QSet<int> values;
    *restricted = true;
    for (const QString &part : text.split(QLatin1Char(','))) {
        if (part.isEmpty())
            return fieldError(field, index, QStringLiteral("empty list item in '%1'").arg(text));
        QString range = part;
        int step = 1;
        if (const int slash = part.indexOf(QLatin1Char('/')); slash >= 0) {
            bool ok = false;
            step = part.mid(slash + 1).toInt(&ok);
            if (!ok || step < 1)
                return fieldError(field, index, QStringLiteral("'%1' has a bad step").arg(part));
            range = part.left(slash);
        }
        int from = field.min;
        int to = field.max;
        if (range == QLatin1String("*")) {
            if (step == 1 && text == part)
                *restricted = false;
        } else if (const int dash = range.indexOf(QLatin1Char('-')); dash > 0) {
            Result<int> a = number(field, index, range.left(dash));
            Result<int> b = number(field, index, range.mid(dash + 1));
            if (!a)
                return a.error();
            if (!b)
                return b.error();
            from = *a;
            to = *b;
            if (from > to)
                return fieldError(field, index,
                                  QStringLiteral("range '%1' runs backwards").arg(range));
        } else {
            Result<int> a = number(field, index, range);
            if (!a)
                return a.error();
            from = *a;
            to = part.contains(QLatin1Char('/')) ? field.max : *a; // "5/15" means 5-max/15
        }
        for (int v = from; v <= to; v += step)
            values.insert(v);
    }
    QList<int> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    return sorted;
}

QString joinNumbers(const QList<int> &values)
{
    QStringList parts;
    for (int v : values)
        parts << QString::number(v);
    return parts.join(QLatin1Char(','));
}

} // namespace

Result<QStringList> CronTranslator::toRRules(const QString &cron)
{
    static const QMap<QString, int> kMonths
        = {{QStringLiteral("jan"), 1},  {QStringLiteral("feb"), 2},  {QStringLiteral("mar"), 3},
           {QStringLiteral("apr"), 4},  {QStringLiteral("may"), 5},  {QStringLiteral("jun"), 6},
           {QStringLiteral("jul"), 7},  {QStringLiteral("aug"), 8},  {QStringLiteral("sep"), 9},
           {QStringLiteral("oct"), 10}, {QStringLiteral("nov"), 11}, {QStringLiteral("dec"), 12}};
    static const QMap<QString, int> kDays
        = {{QStringLiteral("sun"), 0}, {QStringLiteral("mon"), 1}, {QStringLiteral("tue"), 2},
           {QStringLiteral("wed"), 3}, {QStringLiteral("thu"), 4}, {QStringLiteral("fri"), 5},
           {QStringLiteral("sat"), 6}};
    const Field fields[5] = {{"minute", 0, 59, {}},
                             {"hour", 0, 23, {}},
                             {"day of month", 1, 31, {}},
                             {"month", 1, 12, kMonths},
                             {"day of week", 0, 7, kDays}};
    const QStringList parts = cron.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (parts.size() != 5)
        return Error::invalid(
            QStringLiteral("schedule_expr"),
            QStringLiteral("'%1' has %2 fields; cron needs 5: minute hour day-of-month month "
                           "day-of-week (e.g. \"30 7 * * 1-5\")")
                .arg(cron)
                .arg(parts.size()));
    QList<int> values[5];
    bool restricted[5];
    for (int i = 0; i < 5; ++i) {
        Result<QList<int>> parsed = parseField(fields[i], i, parts[i], &restricted[i]);
        if (!parsed)
            return parsed.error();
        values[i] = *parsed;
    }
    static const char *const kByDay[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA", "SU"};
    QSet<QString> dayCodes;
    for (int day : std::as_const(values[4]))
        dayCodes.insert(QString::fromLatin1(kByDay[day]));
    QStringList days(dayCodes.begin(), dayCodes.end());
    days.sort();

    QString base = QStringLiteral("FREQ=DAILY;BYHOUR=%1;BYMINUTE=%2")
                       .arg(joinNumbers(values[1]), joinNumbers(values[0]));
    if (restricted[3])
        base += QStringLiteral(";BYMONTH=") + joinNumbers(values[3]);
    const QString byMonthDay = QStringLiteral(";BYMONTHDAY=") + joinNumbers(values[2]);
    const QString byDay = QStringLiteral(";BYDAY=") + days.join(QLatin1Char(','));
    if (restricted[2] && restricted[4])
        return QStringList{base + byMonthDay, base + byDay}; // Vixie: either day field matches
    if (restricted[2])
        return QStringList{base + byMonthDay};
    if (restricted[4])
        return QStringList{base + byDay};
    return QStringList{base};
}

} // namespace ordinaut
