// FeedService: gathers the occurrences of the active tasks in the window (the scheduler's own
// expansion), keeps the earliest, and has libical write them, so escaping and folding are
// RFC 5545's.
#include "FeedService.h"

#include "ScheduleService.h"

#include "core/Clock.h"
#include "core/Json.h"
#include "core/Log.h"
#include "core/Task.h"
#include "runtime/Engine.h"
#include "schedule/ScheduleText.h"
#include "store/TaskStore.h"

#include <QSet>

#include <algorithm>
#include <memory>

#include <libical/ical.h>

namespace ordinaut {

namespace {

struct ComponentDeleter
{
    void operator()(icalcomponent *component) const { icalcomponent_free(component); }
};
using Component = std::unique_ptr<icalcomponent, ComponentDeleter>;

// One event of the feed.
struct Occurrence
{
    QDateTime at;
    const Task *task = nullptr;
    bool snoozed = false; // the task's postponed next run, not an occurrence of its schedule
};

bool earlier(const Occurrence &a, const Occurrence &b)
{
    if (a.at != b.at)
        return a.at < b.at;
    return a.task->id < b.task->id;
}

icaltimetype utcTime(const QDateTime &instant)
{
    return icaltime_from_timet_with_zone(static_cast<time_t>(instant.toSecsSinceEpoch()), 0,
                                         icaltimezone_get_utc_timezone());
}

void addX(icalcomponent *component, const char *name, const QString &text)
{
    icalproperty *property = icalproperty_new_x(text.toUtf8().constData());
    icalproperty_set_x_name(property, name);
    icalcomponent_add_property(component, property);
}

// The schedule in words, the tools the pipeline calls and who made the task.
QString describe(const Task &task, bool snoozed)
{
    QStringList lines;
    if (!task.description.isEmpty())
        lines << task.description << QString();
    lines << ScheduleText::describe(task.schedule);
    if (snoozed)
        lines << QStringLiteral("This run was postponed (snoozed).");
    QStringList tools;
    for (const Step &step : task.pipeline.steps) {
        if (!tools.contains(step.uses))
            tools << step.uses;
    }
    if (!tools.isEmpty())
        lines << QStringLiteral("Tools: ") + tools.join(QStringLiteral(", "));
    lines << QStringLiteral("Created by ") + task.createdBy;
    return lines.join(QLatin1Char('\n'));
}

icalcomponent *eventOf(const Occurrence &occurrence, const QDateTime &now, const QString &urlBase)
{
    const Task &task = *occurrence.task;
    icalcomponent *event = icalcomponent_new_vevent();
    const QString uid
        = QStringLiteral("%1-%2@ordinaut").arg(task.id).arg(occurrence.at.toSecsSinceEpoch());
    icalcomponent_add_property(event, icalproperty_new_uid(uid.toUtf8().constData()));
    icalcomponent_add_property(event, icalproperty_new_dtstamp(utcTime(now)));
    icalcomponent_add_property(event, icalproperty_new_dtstart(utcTime(occurrence.at)));
    const int seconds = task.timeoutSeconds.value_or(FeedService::kDefaultDurationSeconds);
    icalcomponent_add_property(event,
                               icalproperty_new_duration(icaldurationtype_from_int(seconds)));
    icalcomponent_add_property(event, icalproperty_new_summary(task.title.toUtf8().constData()));
    icalcomponent_add_property(event, icalproperty_new_description(
                                          describe(task, occurrence.snoozed).toUtf8().constData()));
    icalcomponent_add_property(event, icalproperty_new_categories("Ordinaut"));
    // The agents' runs do not make the person who subscribes busy.
    icalcomponent_add_property(event, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
    if (task.updatedAt.isValid())
        icalcomponent_add_property(event, icalproperty_new_lastmodified(utcTime(task.updatedAt)));
    const QString path = QStringLiteral("/api/v1/tasks/") + task.id;
    if (!urlBase.isEmpty())
        icalcomponent_add_property(event,
                                   icalproperty_new_url((urlBase + path).toUtf8().constData()));
    addX(event, "X-ORDINAUT-TASK", path);
    return event;
}

} // namespace

FeedService::FeedService(Engine &engine, const ScheduleService &schedules)
    : m_engine(engine)
    , m_schedules(schedules)
{}

Result<Feed> FeedService::calendar(const FeedQuery &query) const
{
    if (query.days < 1 || query.days > kMaxDays)
        return Error::invalid(QStringLiteral("days"),
                              QStringLiteral("must be an integer from 1 to %1").arg(kMaxDays));
    if (query.limit < 1 || query.limit > kMaxLimit)
        return Error::invalid(QStringLiteral("limit"),
                              QStringLiteral("must be an integer from 1 to %1").arg(kMaxLimit));
    if (query.taskIds.size() > kMaxTaskIds)
        return Error::invalid(QStringLiteral("task_id"),
                              QStringLiteral("names %1 tasks; at most %2 may be named")
                                  .arg(query.taskIds.size())
                                  .arg(kMaxTaskIds));

    // The tasks: those named (each must exist), or every active one.
    const TaskStore store(m_engine.database());
    std::vector<Task> tasks;
    if (!query.taskIds.isEmpty()) {
        QSet<QString> seen;
        for (const QString &id : query.taskIds) {
            if (seen.contains(id))
                continue;
            seen.insert(id);
            Result<Task> task = store.get(id);
            if (!task && task.error().code == ErrorCode::NotFound)
                return Error::invalid(QStringLiteral("task_id"),
                                      QStringLiteral("there is no task '%1'").arg(id));
            if (!task)
                return task.error();
            if (task->status == TaskStatus::Active)
                tasks.push_back(std::move(*task));
        }
    } else {
        TaskFilter filter;
        filter.status = TaskStatus::Active;
        filter.limit = 500;
        for (;;) {
            Result<TaskPage> page = store.list(filter);
            if (!page)
                return page.error();
            for (Task &task : page->items)
                tasks.push_back(std::move(task));
            if (!page->more || page->items.empty())
                break;
            filter.after = TaskCursor{tasks.back().createdAt, tasks.back().id};
        }
    }

    Feed feed;
    const QDateTime now = m_engine.clock().now();
    feed.from = now;
    feed.to = now.addDays(query.days);

    // Soonest next run first: the earliest `limit` events are then known early and the later
    // tasks need expanding only up to the last of them.
    std::sort(tasks.begin(), tasks.end(), [](const Task &a, const Task &b) {
        if (a.nextRunAt.isValid() != b.nextRunAt.isValid())
            return a.nextRunAt.isValid();
        return a.nextRunAt < b.nextRunAt;
    });
    // One more than the limit is kept, to tell whether the feed was cut short.
    const int keep = query.limit + 1;
    std::vector<Occurrence> found;
    QDateTime cutoff; // the keep-th earliest event so far, once there are that many
    QStringList failed;
    for (const Task &task : tasks) {
        // An active task without a next run never runs by the clock (manual, event, ended);
        // one snoozed past now runs first at its next run, and nothing before it.
        if (!task.nextRunAt.isValid() || task.schedule.kind == ScheduleKind::Manual
            || task.schedule.kind == ScheduleKind::Event)
            continue;
        const QDateTime start = std::max(now, task.nextRunAt);
        const QDateTime end = cutoff.isValid() ? std::min(feed.to, cutoff.addMSecs(1)) : feed.to;
        if (start >= end)
            continue;
        Result<OccurrenceList> list = m_schedules.occurrences(task.schedule, start, end, keep);
        if (!list) {
            // One task that cannot be expanded does not take the others' runs away: the feed
            // names it, the log says why.
            failed << task.id;
            Log::write(LogLevel::Warn, "feed",
                       QStringLiteral("task %1 left out of the calendar feed: %2")
                           .arg(task.id, list.error().describe()),
                       Json{{"task", task.id}});
            continue;
        }
        const size_t before = found.size();
        if (task.nextRunAt > now
            && (list->occurrences.empty() || list->occurrences.front() != task.nextRunAt))
            found.push_back(Occurrence{task.nextRunAt, &task, true});
        for (const QDateTime &at : list->occurrences) {
            if (found.size() - before >= static_cast<size_t>(keep))
                break;
            found.push_back(Occurrence{at, &task, false});
        }
        if (found.size() > 2 * static_cast<size_t>(keep)) {
            std::nth_element(found.begin(), found.begin() + (keep - 1), found.end(), earlier);
            found.resize(keep);
            cutoff = found.back().at;
        }
    }
    std::sort(found.begin(), found.end(), earlier);
    feed.truncated = found.size() > static_cast<size_t>(query.limit);
    if (feed.truncated)
        found.resize(query.limit);
    feed.events = static_cast<int>(found.size());

    Component calendar(icalcomponent_new_vcalendar());
    icalcomponent *root = calendar.get();
    icalcomponent_add_property(root, icalproperty_new_prodid("-//Ordinaut//Ordinaut//EN"));
    icalcomponent_add_property(root, icalproperty_new_version("2.0"));
    icalcomponent_add_property(root, icalproperty_new_calscale("GREGORIAN"));
    icalcomponent_add_property(root, icalproperty_new_method(ICAL_METHOD_PUBLISH));
    addX(root, "X-WR-CALNAME", QStringLiteral("Ordinaut"));
    // libical does not escape commas and semicolons in X- properties: this text has none.
    QString caption
        = QStringLiteral("Upcoming runs of the agents' active tasks from %1 to %2.")
              .arg(feed.from.toUTC().toString(Qt::ISODate), feed.to.toUTC().toString(Qt::ISODate));
    if (feed.truncated)
        caption += QStringLiteral(" Truncated: only the first %1 runs are shown. Ask for a larger "
                                  "limit or fewer days or tasks.")
                       .arg(query.limit);
    if (!failed.isEmpty())
        caption += QStringLiteral(" Left out because their schedules cannot be expanded (see "
                                  "the log): tasks %1.")
                       .arg(failed.join(QLatin1Char(' ')));
    addX(root, "X-WR-CALDESC", caption);
    for (const Occurrence &occurrence : found)
        icalcomponent_add_component(root, eventOf(occurrence, now, query.taskUrlBase));

    char *text = icalcomponent_as_ical_string_r(root);
    feed.ics = QByteArray(text);
    icalmemory_free_buffer(text);
    return feed;
}

} // namespace ordinaut
