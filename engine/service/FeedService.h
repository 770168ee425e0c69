// FeedService: what the agents will do, as an iCalendar feed a calendar app can subscribe to —
// one event per upcoming occurrence of every active task, written by libical.
#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QDateTime>
#include <QStringList>

namespace ordinaut {

class Engine;
class ScheduleService;

struct FeedQuery
{
    int days = 14;       // the window: from now on, this many days
    QStringList taskIds; // only these tasks; empty for every active task
    int limit = 500;     // events at most, the earliest
    QString taskUrlBase; // "http://127.0.0.1:8080": events link to <base>/api/v1/tasks/<id>;
                         // empty for no URL property
};

struct Feed
{
    QByteArray ics;         // the VCALENDAR, CRLF lines folded at 75 octets
    int events = 0;         // VEVENTs in it
    bool truncated = false; // more runs fall in the window than `limit`
    QDateTime from;
    QDateTime to;
};

class FeedService final
{
public:
    FeedService(Engine &engine, const ScheduleService &schedules);
    Q_DISABLE_COPY_MOVE(FeedService)

    static constexpr int kDefaultDays = 14;
    static constexpr int kMaxDays = 90;
    static constexpr int kDefaultLimit = 500;
    static constexpr int kMaxLimit = 5000;
    static constexpr int kMaxTaskIds = 100;
    // How long each event lasts when the task sets no timeout.
    static constexpr int kDefaultDurationSeconds = 5 * 60;

    // The feed over [now, now + days): every occurrence of the active tasks (or of those named)
    // as a VEVENT, earliest first, at most `limit`. A snoozed task's postponed run counts as
    // one of them and nothing before it does. UIDs ("<task id>-<epoch seconds>@ordinaut") stay
    // the same from one fetch to the next. InvalidArgument naming `days` (1..kMaxDays), `limit`
    // (1..kMaxLimit) or `task_id` (an unknown id, more than kMaxTaskIds); the store's error when
    // it cannot be read.
    Result<Feed> calendar(const FeedQuery &query) const;

private:
    Engine &m_engine;
    const ScheduleService &m_schedules;
};

} // namespace ordinaut
