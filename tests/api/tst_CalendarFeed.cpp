// GET /api/v1/calendar.ics through HttpApi::handle on a manual clock: the feed, read back with
// libical, holds exactly the scheduler's occurrences of the active tasks (time zones, DST,
// business calendars, snoozes), keeps its UIDs, escapes and folds text; the token may come as
// ?token= here and nowhere else; bad parameters are 422 naming them.
#include "support/TempDataDir.h"
#include "support/TestData.h"

#include "api/HttpApi.h"
#include "api/JwtCodec.h"
#include "core/Clock.h"
#include "core/Json.h"
#include "runtime/Engine.h"
#include "service/Services.h"

#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTest>
#include <QUrlQuery>

#include <libical/ical.h>

#include <map>
#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kKey(32, 'f');
const QString kPeer = QStringLiteral("127.0.0.1");
// A Friday, nine days before Europe's clocks go forward (2026-03-29 02:00 → 03:00 CET/CEST).
const char *const kNow = "2026-03-20T07:30:00Z";

// A business calendar with one closed day in the default window.
const QByteArray kOfficeIcs = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Office//EN\r\n"
                              "BEGIN:VEVENT\r\nUID:closed@test\r\nDTSTAMP:20260101T000000Z\r\n"
                              "DTSTART;VALUE=DATE:20260325\r\nDTEND;VALUE=DATE:20260326\r\n"
                              "SUMMARY:Office closed\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

Json taskBody(const QString &title, const Json &fields = Json::object())
{
    Json body{{"title", title},
              {"schedule_kind", "rrule"},
              {"schedule_expr", "FREQ=HOURLY"},
              {"timezone", "UTC"},
              {"dtstart", "2026-03-01T00:00:00"},
              {"payload",
               {{"pipeline",
                 Json::array({Json{{"id", "a"}, {"uses", "debug.echo"}},
                              Json{{"id", "b"}, {"uses", "time.wait"}, {"with", {{"seconds", 1}}}},
                              Json{{"id", "c"}, {"uses", "debug.echo"}}})}}}};
    for (const auto &[key, value] : fields.items())
        body[key] = value;
    return body;
}

struct FeedEvent
{
    QString uid;
    QDateTime start;
    bool startIsUtc = false;
    int durationSeconds = 0;
    QString summary;
    QString description;
    QString url;
    QString taskPath; // X-ORDINAUT-TASK
    QString categories;
    bool transparent = false;
};

// The feed as libical reads it back.
struct ParsedFeed
{
    bool parsed = false;
    int errors = 0;                        // X-LIC-ERROR properties libical added while parsing
    std::map<QString, QString> properties; // of the VCALENDAR, by name
    std::vector<FeedEvent> events;

    std::vector<QDateTime> startsOf(const QString &taskId) const
    {
        std::vector<QDateTime> starts;
        for (const FeedEvent &event : events) {
            if (event.taskPath == QStringLiteral("/api/v1/tasks/") + taskId)
                starts.push_back(event.start);
        }
        return starts;
    }
};

QString text(const char *value)
{
    return value ? QString::fromUtf8(value) : QString();
}

ParsedFeed parseFeed(const QByteArray &ics)
{
    ParsedFeed feed;
    icalcomponent *root = icalparser_parse_string(ics.constData());
    if (!root)
        return feed;
    feed.parsed = icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT;
    feed.errors = icalcomponent_count_errors(root);
    for (icalproperty *p = icalcomponent_get_first_property(root, ICAL_ANY_PROPERTY); p;
         p = icalcomponent_get_next_property(root, ICAL_ANY_PROPERTY)) {
        const QString name = icalproperty_isa(p) == ICAL_X_PROPERTY
                                 ? text(icalproperty_get_x_name(p))
                                 : text(icalproperty_get_property_name(p));
        feed.properties[name] = text(icalproperty_get_value_as_string(p));
    }
    for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); c;
         c = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
        FeedEvent event;
        event.uid = text(icalcomponent_get_uid(c));
        const icaltimetype start = icalcomponent_get_dtstart(c);
        event.startIsUtc = icaltime_is_utc(start);
        event.start = QDateTime::fromSecsSinceEpoch(
            icaltime_as_timet_with_zone(start, icaltimezone_get_utc_timezone()), Qt::UTC);
        event.durationSeconds = icaldurationtype_as_int(icalcomponent_get_duration(c));
        event.summary = text(icalcomponent_get_summary(c));
        event.description = text(icalcomponent_get_description(c));
        if (icalproperty *url = icalcomponent_get_first_property(c, ICAL_URL_PROPERTY))
            event.url = text(icalproperty_get_url(url));
        if (icalproperty *cat = icalcomponent_get_first_property(c, ICAL_CATEGORIES_PROPERTY))
            event.categories = text(icalproperty_get_categories(cat));
        if (icalproperty *transp = icalcomponent_get_first_property(c, ICAL_TRANSP_PROPERTY))
            event.transparent = icalproperty_get_transp(transp) == ICAL_TRANSP_TRANSPARENT;
        for (icalproperty *x = icalcomponent_get_first_property(c, ICAL_X_PROPERTY); x;
             x = icalcomponent_get_next_property(c, ICAL_X_PROPERTY)) {
            if (text(icalproperty_get_x_name(x)) == QLatin1String("X-ORDINAUT-TASK"))
                event.taskPath = text(icalproperty_get_x(x));
        }
        feed.events.push_back(event);
    }
    icalcomponent_free(root);
    return feed;
}

QString describe(const HttpResponse &response)
{
    return QString::number(response.status) + QLatin1Char(' ')
           + QString::fromUtf8(response.body.left(600));
}

QByteArray header(const HttpResponse &response, const QByteArray &name)
{
    for (const auto &[key, value] : response.headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

// The field the first entry of a 422 problem names.
QString problemField(const HttpResponse &response)
{
    const Json body = parseJson(response.body).value_or(Json());
    if (!body.is_object() || !body.contains("errors") || !body["errors"].is_array()
        || body["errors"].empty())
        return {};
    const Json &first = body["errors"][0];
    return first.contains("field") && first["field"].is_string() ? first["field"].get<QString>()
                                                                 : QString();
}

QString list(const std::vector<QDateTime> &instants)
{
    QStringList parts;
    for (const QDateTime &at : instants)
        parts << at.toString(Qt::ISODate);
    return parts.join(QLatin1Char(' '));
}

} // namespace

class tst_CalendarFeed final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init();
    void cleanup();
    void theFeedHoldsExactlyTheOccurrencesOfActiveTasks();
    void eventsCarryTheTaskDetails();
    void uidsStayTheSameBetweenFetches();
    void awkwardTitlesSurviveTheRoundTripFolded();
    void daysNarrowTheWindowAndTaskIdTheTasks();
    void aLimitKeepsTheEarliestAndSaysSo();
    void aFrequentTaskFillsALargeLimit();
    void aSnoozedTaskStartsAtItsPostponedRun();
    void aTaskThatCannotBeExpandedIsNamedAndTheOthersStay();
    void badParametersAre422NamingThem_data();
    void badParametersAre422NamingThem();
    void tokensAreCheckedLikeTheHeader();
    void otherRoutesRefuseAQueryToken();

private:
    HttpResponse fetch(const QString &pathAndQuery, const QString &token,
                       const QByteArray &host = QByteArray());
    QString createTask(const Json &body);
    QString tokenFor(const QString &name, const QStringList &scopes);
    std::vector<QDateTime> expected(const QString &taskId, int days,
                                    int maxCount = ScheduleService::kMaxOccurrences) const;

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
    std::unique_ptr<HttpApi> m_api;
    QString m_reader; // an access token holding only tasks:read
    // The standard set: daily in Berlin across the DST change, a cron in New York, daily at
    // noon UTC skipping the office's closed day; paused, manual and event tasks.
    QString m_berlin, m_cron, m_office, m_paused, m_manual, m_event;
};

void tst_CalendarFeed::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    m_clock = std::make_unique<ManualClock>(test::utc(kNow));
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, m_clock.get()});
    QVERIFY2(engine, qPrintable(engine ? QString() : engine.error().describe()));
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_api = std::make_unique<HttpApi>(*m_engine, *m_services, kKey);
    m_reader = tokenFor(QStringLiteral("calendar"), {QStringLiteral("tasks:read")});
    QVERIFY(!m_reader.isEmpty());

    Result<CalendarImport> office
        = m_services->calendars.import(QStringLiteral("office"), kOfficeIcs, QStringLiteral("t"));
    QVERIFY2(office, qPrintable(office ? QString() : office.error().describe()));
    m_berlin = createTask(taskBody(QStringLiteral("Berlin morning"),
                                   Json{{"schedule_expr", "FREQ=DAILY;BYHOUR=9;BYMINUTE=0"},
                                        {"timezone", "Europe/Berlin"},
                                        {"dtstart", "2026-03-01T09:00:00"},
                                        {"timeout_seconds", 600}}));
    m_cron = createTask(
        taskBody(QStringLiteral("New York cron"), Json{{"schedule_kind", "cron"},
                                                       {"schedule_expr", "30 */6 * * *"},
                                                       {"timezone", "America/New_York"},
                                                       {"dtstart", nullptr}}));
    m_office = createTask(taskBody(
        QStringLiteral("Office noon"),
        Json{{"schedule_expr", "FREQ=DAILY;BYHOUR=12;BYMINUTE=0"}, {"calendar", "office"}}));
    m_paused = createTask(taskBody(QStringLiteral("Paused hourly")));
    m_manual = createTask(taskBody(
        QStringLiteral("Manual"),
        Json{{"schedule_kind", "manual"}, {"schedule_expr", nullptr}, {"dtstart", nullptr}}));
    m_event
        = createTask(taskBody(QStringLiteral("On mail"), Json{{"schedule_kind", "event"},
                                                              {"schedule_expr", "mail.received"},
                                                              {"dtstart", nullptr}}));
    for (const QString &id : {m_berlin, m_cron, m_office, m_paused, m_manual, m_event})
        QVERIFY(!id.isEmpty());
    QVERIFY(m_services->tasks.pause(m_paused, QStringLiteral("user")));
}

void tst_CalendarFeed::cleanup()
{
    m_api.reset();
    m_services.reset();
    m_engine.reset();
    m_clock.reset();
    m_dir.reset();
}

HttpResponse tst_CalendarFeed::fetch(const QString &pathAndQuery, const QString &token,
                                     const QByteArray &host)
{
    HttpRequest request;
    request.method = "GET";
    request.path = pathAndQuery.section(QLatin1Char('?'), 0, 0);
    QUrlQuery query(pathAndQuery.section(QLatin1Char('?'), 1));
    if (!token.isEmpty())
        query.addQueryItem(QStringLiteral("token"), token);
    request.query = query;
    request.peer = kPeer;
    if (!host.isEmpty())
        request.headers.insert("host", host);
    return m_api->handle(request);
}

QString tst_CalendarFeed::createTask(const Json &body)
{
    Result<Task> task = m_services->tasks.create(body, QStringLiteral("user"));
    if (!task)
        qWarning("create: %s", qPrintable(task.error().describe()));
    return task ? task->id : QString();
}

QString tst_CalendarFeed::tokenFor(const QString &name, const QStringList &scopes)
{
    Result<Agent> agent = m_services->agents.create(name, scopes, QStringLiteral("t"));
    if (!agent)
        return {};
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*agent);
    return tokens ? tokens->accessToken : QString();
}

// What the scheduler's own expansion says about the task over [now, now + days).
std::vector<QDateTime> tst_CalendarFeed::expected(const QString &taskId, int days,
                                                  int maxCount) const
{
    Result<Task> task = m_services->tasks.get(taskId);
    if (!task)
        return {};
    const QDateTime now = m_clock->now();
    Result<OccurrenceList> list
        = m_services->schedules.occurrences(task->schedule, now, now.addDays(days), maxCount);
    return list ? list->occurrences : std::vector<QDateTime>();
}

void tst_CalendarFeed::theFeedHoldsExactlyTheOccurrencesOfActiveTasks()
{
    const HttpResponse response = fetch(QStringLiteral("/api/v1/calendar.ics"), m_reader);
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    QCOMPARE(response.contentType, QByteArray("text/calendar; charset=utf-8"));
    const ParsedFeed feed = parseFeed(response.body);
    QVERIFY(feed.parsed);
    QCOMPARE(feed.errors, 0);

    // The expansion the scheduler uses, task by task.
    for (const QString &id : {m_berlin, m_cron, m_office}) {
        const std::vector<QDateTime> want = expected(id, 14);
        QVERIFY(!want.empty());
        QVERIFY2(feed.startsOf(id) == want,
                 qPrintable(QStringLiteral("%1: got %2, want %3")
                                .arg(id, list(feed.startsOf(id)), list(want))));
    }
    // …and what that means: 09:00 in Berlin is 08:00Z before the change and 07:00Z after it,
    // from 2026-03-20 to 2026-04-03 (07:00Z, before the window ends at 07:30Z).
    const std::vector<QDateTime> berlin = feed.startsOf(m_berlin);
    QCOMPARE(berlin.size(), size_t(15));
    QCOMPARE(berlin.front(), test::utc("2026-03-20T08:00:00Z"));
    QVERIFY(std::count(berlin.begin(), berlin.end(), test::utc("2026-03-28T08:00:00Z")) == 1);
    QVERIFY(std::count(berlin.begin(), berlin.end(), test::utc("2026-03-29T07:00:00Z")) == 1);
    QCOMPARE(berlin.back(), test::utc("2026-04-03T07:00:00Z"));
    // Four a day in New York (EDT): 04:30, 10:30, 16:30, 22:30Z, for 14 days.
    QCOMPARE(feed.startsOf(m_cron).size(), size_t(56));
    // Noon UTC from 03-20 to 04-02 except the office's closed day.
    const std::vector<QDateTime> office = feed.startsOf(m_office);
    QCOMPARE(office.size(), size_t(13));
    QVERIFY(std::count(office.begin(), office.end(), test::utc("2026-03-24T12:00:00Z")) == 1);
    QVERIFY(std::count(office.begin(), office.end(), test::utc("2026-03-25T12:00:00Z")) == 0);
    // Nothing else: paused, manual and event tasks have no occurrences.
    QCOMPARE(feed.events.size(), size_t(15 + 56 + 13));
    for (const QString &id : {m_paused, m_manual, m_event})
        QVERIFY2(feed.startsOf(id).empty(), qPrintable(id));
    // Earliest first, in UTC.
    for (size_t i = 0; i < feed.events.size(); ++i) {
        QVERIFY(feed.events[i].startIsUtc);
        if (i > 0)
            QVERIFY(feed.events[i - 1].start <= feed.events[i].start);
    }
    QCOMPARE(header(response, "X-Ordinaut-Events"), QByteArray("84"));
    QCOMPARE(header(response, "X-Ordinaut-Truncated"), QByteArray("false"));
    // Resuming the paused task brings its occurrences in.
    QVERIFY(m_services->tasks.resume(m_paused, QStringLiteral("user")));
    const ParsedFeed resumed
        = parseFeed(fetch(QStringLiteral("/api/v1/calendar.ics"), m_reader).body);
    QVERIFY(resumed.startsOf(m_paused) == expected(m_paused, 14));
    QCOMPARE(resumed.startsOf(m_paused).size(), size_t(14 * 24));
}

void tst_CalendarFeed::eventsCarryTheTaskDetails()
{
    const HttpResponse response = fetch(
        QStringLiteral("/api/v1/calendar.ics?task_id=%1&task_id=%2").arg(m_berlin, m_office),
        m_reader, "127.0.0.1:8765");
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    const ParsedFeed feed = parseFeed(response.body);
    QCOMPARE(feed.properties.at(QStringLiteral("PRODID")),
             QStringLiteral("-//Ordinaut//Ordinaut//EN"));
    QCOMPARE(feed.properties.at(QStringLiteral("VERSION")), QStringLiteral("2.0"));
    QCOMPARE(feed.properties.at(QStringLiteral("CALSCALE")), QStringLiteral("GREGORIAN"));
    QCOMPARE(feed.properties.at(QStringLiteral("METHOD")), QStringLiteral("PUBLISH"));
    QCOMPARE(feed.properties.at(QStringLiteral("X-WR-CALNAME")), QStringLiteral("Ordinaut"));
    QVERIFY(feed.properties.count(QStringLiteral("X-WR-CALDESC")) == 1);

    const FeedEvent &first = feed.events.at(0);
    QCOMPARE(first.uid, QStringLiteral("%1-%2@ordinaut")
                            .arg(m_berlin)
                            .arg(test::utc("2026-03-20T08:00:00Z").toSecsSinceEpoch()));
    QCOMPARE(first.summary, QStringLiteral("Berlin morning"));
    QCOMPARE(first.durationSeconds, 600); // the task's timeout
    QVERIFY2(first.description.contains(QStringLiteral("Europe/Berlin")),
             qPrintable(first.description));
    QVERIFY2(first.description.contains(QStringLiteral("Tools: debug.echo, time.wait\n")),
             qPrintable(first.description));
    QVERIFY2(first.description.endsWith(QStringLiteral("Created by user")),
             qPrintable(first.description));
    QCOMPARE(first.url, QStringLiteral("http://127.0.0.1:8765/api/v1/tasks/") + m_berlin);
    QCOMPARE(first.taskPath, QStringLiteral("/api/v1/tasks/") + m_berlin);
    QCOMPARE(first.categories, QStringLiteral("Ordinaut"));
    QVERIFY(first.transparent);
    const auto office
        = std::find_if(feed.events.begin(), feed.events.end(), [](const FeedEvent &e) {
              return e.summary == QLatin1String("Office noon");
          });
    QVERIFY(office != feed.events.end());
    QCOMPARE(office->durationSeconds, 300); // no timeout: five minutes
    QVERIFY2(office->description.contains(QStringLiteral("office")),
             qPrintable(office->description));
    // Without a Host there is no absolute URL, the task path stays.
    const ParsedFeed bare = parseFeed(fetch(QStringLiteral("/api/v1/calendar.ics"), m_reader).body);
    QVERIFY(!bare.events.empty());
    QVERIFY(bare.events.front().url.isEmpty());
    QVERIFY(bare.events.front().taskPath.startsWith(QStringLiteral("/api/v1/tasks/")));
}

void tst_CalendarFeed::uidsStayTheSameBetweenFetches()
{
    const ParsedFeed before
        = parseFeed(fetch(QStringLiteral("/api/v1/calendar.ics"), m_reader).body);
    m_clock->advanceMs(20 * 60 * 1000); // 07:50Z: nothing has come due yet
    const QString later = tokenFor(QStringLiteral("later"), {QStringLiteral("tasks:read")});
    const ParsedFeed after = parseFeed(fetch(QStringLiteral("/api/v1/calendar.ics"), later).body);
    QVERIFY(!before.events.empty());
    QCOMPARE(after.events.size(), before.events.size());
    QSet<QString> uids;
    for (size_t i = 0; i < before.events.size(); ++i) {
        QCOMPARE(after.events[i].uid, before.events[i].uid);
        QCOMPARE(after.events[i].start, before.events[i].start);
        uids.insert(before.events[i].uid);
    }
    QCOMPARE(uids.size(), qsizetype(before.events.size())); // and each one is unique
}

void tst_CalendarFeed::awkwardTitlesSurviveTheRoundTripFolded()
{
    const QString title = QStringLiteral(
        "Back up, rotate; report\nsecond line: Größe, naïve café — 日本語のタイトル \\ "
        "and a long tail so the line is well past seventy-five octets");
    const QString id = createTask(taskBody(title, Json{{"schedule_expr", "FREQ=DAILY;BYHOUR=6"},
                                                       {"description", "Über; alles,\nnicht"}}));
    QVERIFY(!id.isEmpty());
    const HttpResponse response
        = fetch(QStringLiteral("/api/v1/calendar.ics?days=3&task_id=") + id, m_reader);
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    const ParsedFeed feed = parseFeed(response.body);
    QCOMPARE(feed.errors, 0);
    QCOMPARE(feed.events.size(), size_t(3));
    for (const FeedEvent &event : feed.events) {
        QCOMPARE(event.summary, title);
        QVERIFY2(event.description.startsWith(QStringLiteral("Über; alles,\nnicht\n\n")),
                 qPrintable(event.description));
    }
    // RFC 5545: CRLF line ends, TEXT escaped, lines folded at 75 octets and never inside a
    // UTF-8 character.
    QVERIFY(response.body.contains("SUMMARY:Back up\\, rotate\\; report\\nsecond line"));
    QVERIFY(response.body.endsWith("END:VCALENDAR\r\n"));
    const QList<QByteArray> lines = response.body.split('\n');
    int continuations = 0;
    for (const QByteArray &line : lines) {
        if (line.isEmpty())
            continue;
        QVERIFY2(line.endsWith('\r'), line.constData());
        QVERIFY2(line.size() - 1 <= 75, line.constData());
        if (line.startsWith(' '))
            ++continuations;
    }
    QVERIFY(continuations > 0);
}

void tst_CalendarFeed::daysNarrowTheWindowAndTaskIdTheTasks()
{
    const ParsedFeed day = parseFeed(
        fetch(QStringLiteral("/api/v1/calendar.ics?days=1&task_id=%1&task_id=%2&task_id=%3")
                  .arg(m_berlin, m_cron, m_paused),
              m_reader)
            .body);
    QVERIFY(day.startsOf(m_berlin) == expected(m_berlin, 1));
    QCOMPARE(day.startsOf(m_berlin).size(), size_t(1));
    QVERIFY(day.startsOf(m_cron) == expected(m_cron, 1));
    QCOMPARE(day.startsOf(m_cron).size(), size_t(4));
    QCOMPARE(day.events.size(), size_t(5)); // the paused one named has none; others not named

    const ParsedFeed quarter = parseFeed(
        fetch(QStringLiteral("/api/v1/calendar.ics?days=90&task_id=") + m_berlin, m_reader).body);
    // 09:00 in Berlin is 07:00Z in summer: 2026-06-18 still falls before the end at 07:30Z.
    QCOMPARE(quarter.events.size(), size_t(91));
    QVERIFY(quarter.startsOf(m_berlin) == expected(m_berlin, 90));

    const HttpResponse unknown = fetch(QStringLiteral("/api/v1/calendar.ics?task_id=") + m_berlin
                                           + QStringLiteral("&task_id=no-such-task"),
                                       m_reader);
    QVERIFY2(unknown.status == 422, qPrintable(describe(unknown)));
    QCOMPARE(problemField(unknown), QStringLiteral("task_id"));
    QVERIFY(unknown.body.contains("no-such-task"));
}

void tst_CalendarFeed::aLimitKeepsTheEarliestAndSaysSo()
{
    const HttpResponse all = fetch(QStringLiteral("/api/v1/calendar.ics"), m_reader);
    const ParsedFeed full = parseFeed(all.body);
    const HttpResponse cut = fetch(QStringLiteral("/api/v1/calendar.ics?limit=10"), m_reader);
    QVERIFY2(cut.status == 200, qPrintable(describe(cut)));
    const ParsedFeed feed = parseFeed(cut.body);
    QCOMPARE(feed.events.size(), size_t(10));
    for (size_t i = 0; i < feed.events.size(); ++i)
        QCOMPARE(feed.events[i].uid, full.events[i].uid);
    QCOMPARE(header(cut, "X-Ordinaut-Truncated"), QByteArray("true"));
    QCOMPARE(header(cut, "X-Ordinaut-Events"), QByteArray("10"));
    QVERIFY2(
        feed.properties.at(QStringLiteral("X-WR-CALDESC")).contains(QStringLiteral("Truncated")),
        qPrintable(feed.properties.at(QStringLiteral("X-WR-CALDESC"))));
    QVERIFY(
        !full.properties.at(QStringLiteral("X-WR-CALDESC")).contains(QStringLiteral("Truncated")));
    // Exactly as many as there are is not truncated.
    const HttpResponse exact = fetch(QStringLiteral("/api/v1/calendar.ics?limit=84"), m_reader);
    QCOMPARE(parseFeed(exact.body).events.size(), size_t(84));
    QCOMPARE(header(exact, "X-Ordinaut-Truncated"), QByteArray("false"));
}

void tst_CalendarFeed::aFrequentTaskFillsALargeLimit()
{
    // Every 15 minutes for 90 days is 8640 runs: the feed stops at the limit, not at a smaller
    // cap of its own, and what it keeps is the earliest 5000 over all tasks.
    const QString frequent = createTask(taskBody(
        QStringLiteral("Quarter-hourly"), Json{{"schedule_expr", "FREQ=MINUTELY;INTERVAL=15"}}));
    QVERIFY(!frequent.isEmpty());
    QElapsedTimer timer;
    timer.start();
    const HttpResponse response
        = fetch(QStringLiteral("/api/v1/calendar.ics?days=90&limit=5000"), m_reader);
    const qint64 elapsedMs = timer.elapsed();
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    const ParsedFeed feed = parseFeed(response.body);
    QCOMPARE(feed.events.size(), size_t(5000));
    QCOMPARE(header(response, "X-Ordinaut-Truncated"), QByteArray("true"));
    const std::vector<QDateTime> quarters = feed.startsOf(frequent);
    QVERIFY2(quarters.size() > 4500, qPrintable(QString::number(quarters.size())));
    QCOMPARE(quarters.front(), test::utc(kNow));
    for (size_t i = 1; i < quarters.size(); ++i)
        QCOMPARE(quarters[i - 1].secsTo(quarters[i]), qint64(15 * 60));
    // The same as merging every task's own expansion and keeping the first 5000.
    std::vector<std::pair<QDateTime, QString>> merged;
    for (const QString &id : {m_berlin, m_cron, m_office, frequent}) {
        for (const QDateTime &at : expected(id, 90, 5001))
            merged.emplace_back(at, id);
    }
    std::sort(merged.begin(), merged.end());
    merged.resize(5000);
    for (size_t i = 0; i < merged.size(); ++i) {
        QCOMPARE(feed.events[i].start, merged[i].first);
        QCOMPARE(feed.events[i].taskPath, QStringLiteral("/api/v1/tasks/") + merged[i].second);
    }
    qInfo("5000 events over 90 days, 4 tasks: %lld ms, %lld bytes", elapsedMs,
          qint64(response.body.size()));
}

void tst_CalendarFeed::aSnoozedTaskStartsAtItsPostponedRun()
{
    // Snoozed by 30 hours: the next run is 2026-03-21T13:30Z, then the schedule goes on.
    QVERIFY(m_services->tasks.snooze(m_office, 30 * 3600, QStringLiteral("user")));
    const ParsedFeed feed = parseFeed(
        fetch(QStringLiteral("/api/v1/calendar.ics?days=3&task_id=") + m_office, m_reader).body);
    const std::vector<QDateTime> want
        = {test::utc("2026-03-21T13:30:00Z"), test::utc("2026-03-22T12:00:00Z")};
    QVERIFY2(feed.startsOf(m_office) == want, qPrintable(list(feed.startsOf(m_office))));
    QVERIFY(feed.events.front().description.contains(QStringLiteral("snoozed")));
}

void tst_CalendarFeed::aTaskThatCannotBeExpandedIsNamedAndTheOthersStay()
{
    // Made in 2020 with a COUNT that has to be walked from its start: by now reaching the
    // present takes more steps than the expansion's budget.
    m_clock->set(test::utc("2020-01-01T00:00:00Z"));
    const QString endless = createTask(
        taskBody(QStringLiteral("Endless"), Json{{"schedule_expr", "FREQ=MINUTELY;COUNT=10000000"},
                                                 {"dtstart", "2020-01-01T00:00:00"}}));
    m_clock->set(test::utc(kNow));
    QVERIFY(!endless.isEmpty());
    const HttpResponse response
        = fetch(QStringLiteral("/api/v1/calendar.ics?task_id=%1&task_id=%2").arg(endless, m_office),
                m_reader);
    QVERIFY2(response.status == 200, qPrintable(describe(response)));
    const ParsedFeed feed = parseFeed(response.body);
    QVERIFY(feed.startsOf(m_office) == expected(m_office, 14));
    QVERIFY(feed.startsOf(endless).empty());
    const QString caption = feed.properties.at(QStringLiteral("X-WR-CALDESC"));
    QVERIFY2(caption.contains(QStringLiteral("cannot be expanded")) && caption.contains(endless),
             qPrintable(caption));
}

void tst_CalendarFeed::badParametersAre422NamingThem_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("field");
    const auto row = [](const char *name, const char *query, const char *field) {
        QTest::newRow(name) << QString::fromLatin1(query) << QString::fromLatin1(field);
    };
    row("days 0", "days=0", "days");
    row("days 91", "days=91", "days");
    row("days text", "days=week", "days");
    row("days empty", "days=", "days");
    row("limit 0", "limit=0", "limit");
    row("limit 5001", "limit=5001", "limit");
    row("limit negative", "limit=-3", "limit");
    QString many;
    for (int i = 0; i < 101; ++i)
        many += QStringLiteral("&task_id=t%1").arg(i);
    QTest::newRow("101 task ids") << many.mid(1) << QStringLiteral("task_id");
}

void tst_CalendarFeed::badParametersAre422NamingThem()
{
    QFETCH(QString, query);
    QFETCH(QString, field);
    const HttpResponse response = fetch(QStringLiteral("/api/v1/calendar.ics?") + query, m_reader);
    QVERIFY2(response.status == 422, qPrintable(describe(response)));
    QCOMPARE(response.contentType, QByteArray("application/problem+json"));
    QCOMPARE(problemField(response), field);
}

void tst_CalendarFeed::tokensAreCheckedLikeTheHeader()
{
    const QString path = QStringLiteral("/api/v1/calendar.ics");
    QCOMPARE(fetch(path, QString()).status, 401);
    QCOMPARE(fetch(path, QStringLiteral("not-a-token")).status, 401);
    QCOMPARE(fetch(path, QStringLiteral("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl")).status, 401);
    // A token without tasks:read is refused for its scope.
    const QString runsOnly = tokenFor(QStringLiteral("runs"), {QStringLiteral("runs:read")});
    const HttpResponse forbidden = fetch(path, runsOnly);
    QVERIFY2(forbidden.status == 403, qPrintable(describe(forbidden)));
    // The header works as on every route.
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.peer = kPeer;
    request.headers.insert("authorization", "Bearer " + m_reader.toLatin1());
    QCOMPARE(m_api->handle(request).status, 200);
    // A revoked token, then an expired one (access tokens live 15 minutes).
    const QString revoked = tokenFor(QStringLiteral("revoked"), {QStringLiteral("tasks:read")});
    QVERIFY(m_api->authenticator().revoke(revoked, QStringLiteral("t")));
    QCOMPARE(fetch(path, revoked).status, 401);
    QCOMPARE(fetch(path, m_reader).status, 200);
    m_clock->advanceMs((Authenticator::kAccessSeconds + JwtCodec::kLeewaySeconds + 1) * 1000LL);
    const HttpResponse expired = fetch(path, m_reader);
    QVERIFY2(expired.status == 401, qPrintable(describe(expired)));
    QVERIFY(expired.body.contains("expired"));
}

void tst_CalendarFeed::otherRoutesRefuseAQueryToken()
{
    const HttpResponse tasks = fetch(QStringLiteral("/api/v1/tasks"), m_reader);
    QVERIFY2(tasks.status == 401, qPrintable(describe(tasks)));
    QVERIFY(tasks.body.contains("?token="));
    QCOMPARE(fetch(QStringLiteral("/api/v1/tasks/") + m_berlin, m_reader).status, 401);
    const QString admin = tokenFor(QStringLiteral("admin"), {QStringLiteral("*")});
    QCOMPARE(fetch(QStringLiteral("/api/v1/agents"), admin).status, 401);
    // The same token in the header is fine there.
    HttpRequest request;
    request.method = "GET";
    request.path = QStringLiteral("/api/v1/tasks");
    request.peer = kPeer;
    request.headers.insert("authorization", "Bearer " + m_reader.toLatin1());
    QCOMPARE(m_api->handle(request).status, 200);
}

QTEST_GUILESS_MAIN(tst_CalendarFeed)
#include "tst_CalendarFeed.moc"
