// ScheduleService implementation.
#include "ScheduleService.h"

#include "ScheduleInput.h"

#include "core/Clock.h"
#include "schedule/BusinessCalendar.h"
#include "schedule/Recurrence.h"
#include "schedule/ScheduleText.h"

#include <QSet>
#include <QTimeZone>

namespace ordinaut {

Json occurrencesJson(const std::vector<QDateTime> &instants, const QString &zone)
{
    const QTimeZone tz(zone.toUtf8());
    Json list = Json::array();
    for (const QDateTime &instant : instants)
        list.push_back(instant.toTimeZone(tz).toString(Qt::ISODate));
    return list;
}

Json skippedJson(const std::vector<SkippedOccurrence> &skipped, const Schedule &schedule)
{
    const QTimeZone tz(schedule.timezone.toUtf8());
    Json list = Json::array();
    for (const SkippedOccurrence &entry : skipped)
        list.push_back(Json{{"at", entry.at.toTimeZone(tz).toString(Qt::ISODate)},
                            {"calendar", schedule.calendar},
                            {"reason", entry.reason}});
    return list;
}

Json SchedulePreview::toJson() const
{
    return Json{
        {"occurrences", occurrencesJson(list.occurrences, schedule.timezone)},
        {"skipped", skippedJson(list.skipped, schedule)},
        {"description", description},
        {"schedule_kind", toString(schedule.kind)},
        {"schedule_expr", schedule.expression},
        {"timezone", schedule.timezone},
        {"dtstart", schedule.dtstart.isEmpty() ? Json(nullptr) : Json(schedule.dtstart)},
        {"calendar", schedule.calendar.isEmpty() ? Json(nullptr) : Json(schedule.calendar)}};
}

ScheduleService::ScheduleService(const Clock &clock, CalendarLookup calendars)
    : m_clock(clock)
    , m_calendars(std::move(calendars))
{}

Result<OccurrenceList> ScheduleService::expand(const Schedule &schedule, const QDateTime &after,
                                               int count, const QDateTime &until) const
{
    std::optional<BusinessCalendar> calendar;
    if (!schedule.calendar.isEmpty()) {
        Result<BusinessCalendar> found
            = m_calendars
                  ? m_calendars(schedule.calendar)
                  : Result<BusinessCalendar>(Error::notFound(
                      QStringLiteral("no imported calendar named '%1'").arg(schedule.calendar)));
        if (!found)
            return Error::invalid(QStringLiteral("calendar"), found.error().message);
        calendar = std::move(*found);
    }
    const QTimeZone zone(schedule.timezone.toUtf8());
    OccurrenceList list;
    QDateTime cursor = after;
    while (static_cast<int>(list.occurrences.size()) < count) {
        std::vector<QDateTime> passed;
        Result<QDateTime> next
            = Recurrence::nextAfter(schedule, cursor, calendar ? &*calendar : nullptr, &passed);
        if (!next)
            return next.error();
        for (const QDateTime &at : passed) {
            if (until.isValid() && at >= until)
                break;
            list.skipped.push_back(
                SkippedOccurrence{at, calendar->find(at.toTimeZone(zone).date())->summary});
        }
        if (!next->isValid() || (until.isValid() && *next >= until))
            break;
        list.occurrences.push_back(*next);
        cursor = *next;
    }
    return list;
}

Result<OccurrenceList> ScheduleService::occurrences(const Schedule &schedule, const QDateTime &from,
                                                    const QDateTime &to, int maxCount) const
{
    if (!from.isValid() || !to.isValid() || to <= from)
        return Error::invalid(QStringLiteral("to"), QStringLiteral("must be later than from"));
    if (maxCount < 1)
        return Error::invalid(QStringLiteral("limit"), QStringLiteral("must be at least 1"));
    return expand(schedule, from.addMSecs(-1), maxCount, to);
}

Result<SchedulePreview> ScheduleService::preview(const Json &body) const
{
    if (!body.is_object())
        return Error{
            ErrorCode::MalformedInput,
            QStringLiteral("the body must be a JSON object, got %1").arg(jsonTypeName(body)),
            {}};
    static const QSet<QString> kKnown
        = {QStringLiteral("schedule_kind"), QStringLiteral("schedule_expr"),
           QStringLiteral("timezone"),      QStringLiteral("dtstart"),
           QStringLiteral("count"),         QStringLiteral("after"),
           QStringLiteral("calendar")};
    for (const auto &[key, value] : body.items()) {
        if (!kKnown.contains(qs(key)))
            return Error::invalid(
                qs(key), QStringLiteral("is not a preview field (known: schedule_kind, "
                                        "schedule_expr, timezone, dtstart, calendar, count, "
                                        "after)"));
    }
    int count = kDefaultCount;
    if (body.contains("count")) {
        const Json &value = body["count"];
        if (!value.is_number_integer() || value.get<qint64>() < 1
            || value.get<qint64>() > kMaxCount)
            return Error::invalid(QStringLiteral("count"),
                                  QStringLiteral("must be an integer from 1 to %1").arg(kMaxCount));
        count = value.get<int>();
    }
    const QDateTime now = m_clock.now();
    QDateTime after = now;
    if (body.contains("after")) {
        const auto parsed
            = body["after"].is_string() ? parseInstant(body["after"].get<QString>()) : std::nullopt;
        if (!parsed)
            return Error::invalid(QStringLiteral("after"),
                                  QStringLiteral("must be an ISO 8601 instant with an offset, e.g. "
                                                 "\"2026-03-01T00:00:00Z\""));
        after = *parsed;
    }
    Result<Schedule> schedule = ScheduleInput::apply(body, Schedule{}, TaskInputMode::Create);
    if (!schedule)
        return schedule.error();
    SchedulePreview preview;
    preview.schedule = Recurrence::anchored(*schedule, now);
    if (Status valid = Recurrence::validate(preview.schedule); !valid)
        return valid.error();
    // "after" is exclusive; an occurrence exactly at it is shown (it has not run yet).
    Result<OccurrenceList> list = expand(preview.schedule, after.addMSecs(-1), count, QDateTime());
    if (!list)
        return list.error();
    preview.list = std::move(*list);
    preview.description = ScheduleText::describe(preview.schedule);
    return preview;
}

} // namespace ordinaut
