// ScheduleService implementation.
#include "ScheduleService.h"

#include "ScheduleInput.h"

#include "core/Clock.h"
#include "schedule/Recurrence.h"
#include "schedule/ScheduleText.h"

#include <QSet>
#include <QTimeZone>

namespace ordinaut {

Json SchedulePreview::toJson() const
{
    const QTimeZone zone(schedule.timezone.toUtf8());
    Json list = Json::array();
    for (const QDateTime &instant : occurrences)
        list.push_back(instant.toTimeZone(zone).toString(Qt::ISODate));
    return Json{{"occurrences", std::move(list)},
                {"description", description},
                {"schedule_kind", toString(schedule.kind)},
                {"schedule_expr", schedule.expression},
                {"timezone", schedule.timezone},
                {"dtstart", schedule.dtstart.isEmpty() ? Json(nullptr) : Json(schedule.dtstart)}};
}

ScheduleService::ScheduleService(const Clock &clock)
    : m_clock(clock)
{}

Result<std::vector<QDateTime>> ScheduleService::occurrences(const Schedule &schedule,
                                                            const QDateTime &from,
                                                            const QDateTime &to) const
{
    if (!from.isValid() || !to.isValid() || to <= from)
        return Error::invalid(QStringLiteral("to"), QStringLiteral("must be later than from"));
    std::vector<QDateTime> list;
    QDateTime cursor = from.addMSecs(-1);
    while (static_cast<int>(list.size()) < kMaxOccurrences) {
        Result<QDateTime> next = Recurrence::nextAfter(schedule, cursor);
        if (!next)
            return next.error();
        if (!next->isValid() || *next >= to)
            break;
        list.push_back(*next);
        cursor = *next;
    }
    return list;
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
           QStringLiteral("count"),         QStringLiteral("after")};
    for (const auto &[key, value] : body.items()) {
        if (!kKnown.contains(qs(key)))
            return Error::invalid(
                qs(key), QStringLiteral("is not a preview field (known: schedule_kind, "
                                        "schedule_expr, timezone, dtstart, count, after)"));
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
    QDateTime cursor = after.addMSecs(-1);
    while (static_cast<int>(preview.occurrences.size()) < count) {
        Result<QDateTime> next = Recurrence::nextAfter(preview.schedule, cursor);
        if (!next)
            return next.error();
        if (!next->isValid())
            break;
        preview.occurrences.push_back(*next);
        cursor = *next;
    }
    preview.description = ScheduleText::describe(preview.schedule);
    return preview;
}

} // namespace ordinaut
