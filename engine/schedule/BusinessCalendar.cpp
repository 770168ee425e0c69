// BusinessCalendar: .ics import with libical.
#include "BusinessCalendar.h"

#include "core/Json.h"
#include "store/CalendarStore.h"

#include <QMap>
#include <QRegularExpression>

#include <algorithm>
#include <memory>

#include <libical/ical.h>

namespace ordinaut {

namespace {

// A span longer than this is not a day off but a mistake (or a season).
constexpr int kMaxSpanDays = 366;

struct ComponentDeleter
{
    void operator()(icalcomponent *component) const { icalcomponent_free(component); }
};

struct IteratorDeleter
{
    void operator()(icalrecur_iterator *it) const { icalrecur_iterator_free(it); }
};

QDate dateOf(const icaltimetype &t)
{
    return QDate(t.year, t.month, t.day);
}

QString eventName(icalcomponent *event, int index)
{
    const char *summary = icalcomponent_get_summary(event);
    return summary && *summary ? QStringLiteral("'%1'").arg(QString::fromUtf8(summary))
                               : QStringLiteral("#%1").arg(index);
}

void collectEvents(icalcomponent *component, std::vector<icalcomponent *> &events)
{
    if (icalcomponent_isa(component) == ICAL_VEVENT_COMPONENT) {
        events.push_back(component);
        return;
    }
    for (icalcomponent *child = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT);
         child; child = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT))
        collectEvents(child, events);
}

// How many dates an occurrence starting at `start` touches: DTEND is exclusive for all-day
// events; a timed event touches every date up to its end (a midnight end excluded).
int spanDays(const icaltimetype &start, const icaltimetype &end)
{
    if (icaltime_is_null_time(end))
        return 1;
    const QDate first = dateOf(start);
    QDate last = dateOf(end);
    if (start.is_date || (end.hour == 0 && end.minute == 0 && end.second == 0))
        last = last.addDays(-1);
    return std::max<qint64>(1, first.daysTo(last) + 1);
}

} // namespace

BusinessCalendar::BusinessCalendar(QString name, std::vector<CalendarDay> days)
    : m_name(std::move(name))
    , m_days(std::move(days))
{
    std::sort(m_days.begin(), m_days.end(),
              [](const CalendarDay &a, const CalendarDay &b) { return a.date < b.date; });
}

Status BusinessCalendar::checkName(const QString &name)
{
    static const QRegularExpression shape(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"));
    if (!shape.match(name).hasMatch())
        return Error::invalid(QStringLiteral("name"),
                              QStringLiteral("'%1' is not a calendar name: use 1 to 64 letters, "
                                             "digits, '.', '_' or '-' (e.g. \"us-holidays\")")
                                  .arg(name));
    return {};
}

Result<BusinessCalendar> BusinessCalendar::fromIcs(const QString &name, const QByteArray &ics)
{
    if (Status valid = checkName(name); !valid)
        return valid.error();
    const Error notCalendar = Error::invalid(
        QStringLiteral("ics"),
        QStringLiteral("is not an iCalendar file with events (BEGIN:VCALENDAR … BEGIN:VEVENT …)"));
    if (!ics.trimmed().startsWith("BEGIN:VCALENDAR"))
        return notCalendar;
    icalerror_clear_errno();
    const std::unique_ptr<icalcomponent, ComponentDeleter> root(
        icalparser_parse_string(ics.constData()));
    icalerror_clear_errno();
    if (!root)
        return notCalendar;
    std::vector<icalcomponent *> events;
    collectEvents(root.get(), events);
    if (events.empty())
        return notCalendar;

    QMap<QDate, QStringList> days;
    const QDate horizon(kLastYear, 12, 31);
    int index = 0;
    for (icalcomponent *event : events) {
        ++index;
        if (icalcomponent_get_status(event) == ICAL_STATUS_CANCELLED)
            continue;
        const QString label = eventName(event, index);
        const icaltimetype start = icalcomponent_get_dtstart(event);
        if (icaltime_is_null_time(start) || !dateOf(start).isValid())
            return Error::invalid(QStringLiteral("ics"),
                                  QStringLiteral("event %1 has no valid DTSTART").arg(label));
        const int span = spanDays(start, icalcomponent_get_dtend(event));
        if (span > kMaxSpanDays)
            return Error::invalid(QStringLiteral("ics"),
                                  QStringLiteral("event %1 lasts %2 days; a day off lasts at "
                                                 "most %3")
                                      .arg(label)
                                      .arg(span)
                                      .arg(kMaxSpanDays));

        QList<QDate> starts;
        QList<QDate> excluded;
        for (icalproperty *p = icalcomponent_get_first_property(event, ICAL_EXDATE_PROPERTY); p;
             p = icalcomponent_get_next_property(event, ICAL_EXDATE_PROPERTY))
            excluded << dateOf(icalproperty_get_exdate(p));
        for (icalproperty *p = icalcomponent_get_first_property(event, ICAL_RDATE_PROPERTY); p;
             p = icalcomponent_get_next_property(event, ICAL_RDATE_PROPERTY)) {
            const icaldatetimeperiodtype rdate = icalproperty_get_rdate(p);
            const icaltimetype at
                = icaltime_is_null_time(rdate.time) ? rdate.period.start : rdate.time;
            if (!icaltime_is_null_time(at))
                starts << dateOf(at);
        }
        icalproperty *rrule = icalcomponent_get_first_property(event, ICAL_RRULE_PROPERTY);
        if (!rrule) {
            starts << dateOf(start);
        } else {
            const std::unique_ptr<icalrecur_iterator, IteratorDeleter> it(
                icalrecur_iterator_new(icalproperty_get_rrule(rrule), start));
            if (!it)
                return Error::invalid(QStringLiteral("ics"),
                                      QStringLiteral("event %1 has an RRULE libical cannot "
                                                     "expand")
                                          .arg(label));
            for (icaltimetype next = icalrecur_iterator_next(it.get());
                 !icaltime_is_null_time(next) && dateOf(next) <= horizon;
                 next = icalrecur_iterator_next(it.get())) {
                starts << dateOf(next);
                if (starts.size() > kMaxDays)
                    return Error::invalid(QStringLiteral("ics"),
                                          QStringLiteral("event %1 recurs more than %2 times "
                                                         "before %3; a business calendar lists "
                                                         "days off, not working days")
                                              .arg(label)
                                              .arg(kMaxDays)
                                              .arg(kLastYear + 1));
            }
        }
        const char *summary = icalcomponent_get_summary(event);
        const QString text = summary ? QString::fromUtf8(summary).trimmed() : QString();
        for (const QDate &first : std::as_const(starts)) {
            if (excluded.contains(first))
                continue;
            for (int d = 0; d < span; ++d) {
                QStringList &names = days[first.addDays(d)];
                if (!text.isEmpty() && !names.contains(text))
                    names << text;
            }
        }
        if (days.size() > kMaxDays)
            return Error::invalid(QStringLiteral("ics"),
                                  QStringLiteral("lists more than %1 days off").arg(kMaxDays));
    }
    std::vector<CalendarDay> list;
    list.reserve(size_t(days.size()));
    for (auto it = days.cbegin(); it != days.cend(); ++it)
        list.push_back(CalendarDay{it.key(), it.value().join(QStringLiteral("; "))});
    return BusinessCalendar(name, std::move(list));
}

const CalendarDay *BusinessCalendar::find(const QDate &date) const
{
    const auto it
        = std::lower_bound(m_days.begin(), m_days.end(), date,
                           [](const CalendarDay &day, const QDate &d) { return day.date < d; });
    return it != m_days.end() && it->date == date ? &*it : nullptr;
}

QByteArray BusinessCalendar::daysToJson() const
{
    Json list = Json::array();
    for (const CalendarDay &day : m_days)
        list.push_back(Json::array({day.date.toString(Qt::ISODate), day.summary}));
    return dumpJson(list);
}

Result<BusinessCalendar> BusinessCalendar::fromStored(const QString &name, const QByteArray &json)
{
    const auto list = parseJson(json);
    if (!list || !list->is_array())
        return Error::internal(QStringLiteral("calendar %1 has unreadable days").arg(name));
    std::vector<CalendarDay> days;
    days.reserve(list->size());
    for (const Json &entry : *list) {
        if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string()
            || !entry[1].is_string())
            return Error::internal(QStringLiteral("calendar %1 has unreadable days").arg(name));
        days.push_back(CalendarDay{QDate::fromString(entry[0].get<QString>(), Qt::ISODate),
                                   entry[1].get<QString>()});
    }
    return BusinessCalendar(name, std::move(days));
}

Result<BusinessCalendar> loadCalendar(const Database &database, const QString &name)
{
    Result<CalendarRecord> record = CalendarStore(database).get(name);
    if (!record)
        return record.error();
    return BusinessCalendar::fromStored(record->name, record->days);
}

} // namespace ordinaut
