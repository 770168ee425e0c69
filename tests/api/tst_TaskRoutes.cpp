// /api/v1/tasks through HttpApi::handle: list filters, text search and keyset pages; snooze,
// cancel, versions and accept; an agent changes only its own tasks (403 otherwise, nothing
// changed); tasks proposed by an agent wait for the owner; every change is audited once and
// every refusal not at all.
#include "support/ApiHarness.h"
#include "support/TempDataDir.h"
#include "support/TestData.h"

#include "api/HttpApi.h"
#include "core/Clock.h"
#include "core/Json.h"
#include "runtime/Engine.h"
#include "schedule/Scheduler.h"
#include "service/Services.h"
#include "store/Database.h"
#include "store/RunQueue.h"

#include <QSet>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTest>
#include <QUrlQuery>

#include <memory>

using namespace ordinaut;

namespace {

const QByteArray kKey(32, 'k');
const QString kStart = QStringLiteral("2026-03-10T09:30:00Z");

Json jsonOf(const HttpResponse &response)
{
    return parseJson(response.body).value_or(Json());
}

QString text(const Json &object, const char *name)
{
    return object.is_object() && object.contains(name) && object[name].is_string()
               ? qs(object[name].get<std::string>())
               : QString();
}

QString describe(const HttpResponse &response)
{
    return QString::number(response.status) + QLatin1Char(' ') + QString::fromUtf8(response.body);
}

// The field a problem+json answer names (its first error's).
QString problemField(const HttpResponse &response)
{
    const Json body = jsonOf(response);
    if (!body.is_object() || !body.contains("errors") || body["errors"].empty())
        return QString();
    return text(body["errors"][0], "field");
}

// A task body: an hourly rule in UTC unless the fields say otherwise.
Json taskBody(const QString &title, const Json &fields = Json::object())
{
    Json body{{"title", title.toStdString()},
              {"schedule_kind", "rrule"},
              {"schedule_expr", "FREQ=HOURLY"},
              {"timezone", "UTC"},
              {"dtstart", "2026-03-01T00:00:00"},
              {"payload",
               {{"pipeline",
                 Json::array({Json{{"id", "a"}, {"uses", "debug.echo"}, {"with", {{"x", 1}}}}})}}}};
    for (const auto &[key, value] : fields.items())
        body[key] = value;
    return body;
}

} // namespace

class tst_TaskRoutes final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init();
    void cleanup();
    void filtersSelectAloneAndCombined();
    void badFiltersAreRefusedNamingTheParameter();
    void textSearchTakesPercentAndUnderscoreLiterally();
    void keysetPagesWalkEveryTaskOnceWhileTasksAreAdded();
    void badCursorOrCursorWithOffsetIsRefused();
    void snoozeRunsAtNowPlusDelayThenFollowsTheSchedule();
    void snoozeRefusesBadBodiesAndTasksWithoutANextRun();
    void snoozeSurvivesAnEditThatKeepsTheSchedule();
    void cancelArchivesTheTaskAndCancelsItsRuns();
    void anArchivedTaskIsReadListedAndDeletedButNotRun();
    void versionsListEverySavedVersionNewestFirst();
    void anotherAgentsTaskIsRefusedOnEveryChangingRoute();
    void anAdminChangesAnyTask();
    void aProposedTaskWaitsForTheOwnersAcceptance();
    void agentSettingTasksStartProposedIsReadAndChanged();
    void agentTasksListsWhatTheAgentCreated();

private:
    HttpResponse call(const QByteArray &method, const QString &path, const QString &token,
                      const Json &body = Json());
    // An agent made by the service with these scopes; its access token.
    QString agentToken(const QString &name, const QStringList &scopes,
                       NewTasks newTasks = NewTasks::Active, QString *agentId = nullptr);
    // Creates a task through the API; its id (empty, with a warning, when refused).
    QString createTask(const QString &token, const Json &body);
    // Every id a list answer holds, in order.
    QStringList ids(const HttpResponse &response);
    int count(const QString &sql) const;
    int auditRows() const { return count(QStringLiteral("SELECT COUNT(*) FROM audit_log")); }
    std::vector<Run> runsOf(const QString &taskId) const;

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Services> m_services;
    std::unique_ptr<HttpApi> m_api;
    // Access tokens last 15 minutes: after moving the clock further, issue new ones.
    QString tokenFor(const QString &agentId);

    QString m_owner; // "*": the desktop user
    QString m_a;     // tasks:read, tasks:write, runs:write
    QString m_b;     // the same rights, another agent
    QString m_aId;
    QString m_bId;
    QString m_ownerId;
};

void tst_TaskRoutes::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    m_clock = std::make_unique<ManualClock>(*parseInstant(kStart));
    // The engine is not started: tests tick their own scheduler on the manual clock.
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, m_clock.get()});
    QVERIFY2(engine, qPrintable(engine ? QString() : engine.error().describe()));
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_api = std::make_unique<HttpApi>(*m_engine, *m_services, kKey);
    const QStringList writer{QStringLiteral("tasks:read"), QStringLiteral("tasks:write"),
                             QStringLiteral("runs:write")};
    m_owner
        = agentToken(QStringLiteral("owner"), {QStringLiteral("*")}, NewTasks::Active, &m_ownerId);
    m_a = agentToken(QStringLiteral("agent A"), writer, NewTasks::Active, &m_aId);
    m_b = agentToken(QStringLiteral("agent B"), writer, NewTasks::Active, &m_bId);
    QVERIFY(!m_owner.isEmpty() && !m_a.isEmpty() && !m_b.isEmpty());
}

void tst_TaskRoutes::cleanup()
{
    m_api.reset();
    m_services.reset();
    m_engine.reset();
    m_clock.reset();
    m_dir.reset();
}

HttpResponse tst_TaskRoutes::call(const QByteArray &method, const QString &path,
                                  const QString &token, const Json &body)
{
    return m_api->handle(test::apiRequest(method, path, token, body));
}

QString tst_TaskRoutes::agentToken(const QString &name, const QStringList &scopes,
                                   NewTasks newTasks, QString *agentId)
{
    Result<Agent> agent = m_services->agents.create(name, scopes, QStringLiteral("test"), newTasks);
    if (!agent)
        return QString();
    if (agentId)
        *agentId = agent->id;
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*agent);
    return tokens ? tokens->accessToken : QString();
}

QString tst_TaskRoutes::tokenFor(const QString &agentId)
{
    Result<Agent> agent = m_services->agents.get(agentId);
    if (!agent)
        return QString();
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*agent);
    return tokens ? tokens->accessToken : QString();
}

QString tst_TaskRoutes::createTask(const QString &token, const Json &body)
{
    const HttpResponse made = call("POST", QStringLiteral("/api/v1/tasks"), token, body);
    if (made.status != 201) {
        qWarning("create: %s", qPrintable(describe(made)));
        return QString();
    }
    return text(jsonOf(made), "id");
}

QStringList tst_TaskRoutes::ids(const HttpResponse &response)
{
    QStringList list;
    const Json body = jsonOf(response);
    if (!body.is_object() || !body.contains("items"))
        return list;
    for (const Json &item : body["items"])
        list << text(item, "id");
    return list;
}

int tst_TaskRoutes::count(const QString &sql) const
{
    QSqlQuery query(m_engine->database().connection());
    if (!query.exec(sql) || !query.next())
        return -1;
    return query.value(0).toInt();
}

std::vector<Run> tst_TaskRoutes::runsOf(const QString &taskId) const
{
    RunFilter filter;
    filter.taskId = taskId;
    filter.limit = 500;
    Result<RunPage> page = m_services->runs.list(filter);
    return page ? page->items : std::vector<Run>();
}

void tst_TaskRoutes::filtersSelectAloneAndCombined()
{
    const QString hourlyA = createTask(m_a, taskBody(QStringLiteral("hourly A")));
    const QString cronA
        = createTask(m_a, taskBody(QStringLiteral("cron A"), Json{{"schedule_kind", "cron"},
                                                                  {"schedule_expr", "0 9 * * *"}}));
    const QString manualA
        = createTask(m_a, taskBody(QStringLiteral("manual A"), Json{{"schedule_kind", "manual"},
                                                                    {"schedule_expr", nullptr},
                                                                    {"dtstart", nullptr}}));
    const QString manualB
        = createTask(m_b, taskBody(QStringLiteral("manual B"), Json{{"schedule_kind", "manual"},
                                                                    {"schedule_expr", nullptr},
                                                                    {"dtstart", nullptr}}));
    const QString onceB = createTask(
        m_b, taskBody(QStringLiteral("once B"), Json{{"schedule_kind", "once"},
                                                     {"schedule_expr", "2026-04-01T10:00:00Z"},
                                                     {"dtstart", nullptr}}));
    const QString eventOwner = createTask(
        m_owner, taskBody(QStringLiteral("event owner"), Json{{"schedule_kind", "event"},
                                                              {"schedule_expr", "mail.received"},
                                                              {"dtstart", nullptr}}));
    for (const QString &id : {hourlyA, cronA, manualA, manualB, onceB, eventOwner})
        QVERIFY(!id.isEmpty());
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/%1/pause").arg(cronA), m_a).status, 200);
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/%1/cancel").arg(manualB), m_b).status, 200);
    QString proposerId;
    const QString proposer = agentToken(
        QStringLiteral("proposer"), {QStringLiteral("tasks:read"), QStringLiteral("tasks:write")},
        NewTasks::Proposed, &proposerId);
    const QString proposed = createTask(proposer, taskBody(QStringLiteral("proposed P")));
    QVERIFY(!proposed.isEmpty());

    const QString agentA = QStringLiteral("agent:") + m_aId;
    const QString agentB = QStringLiteral("agent:") + m_bId;
    struct Case
    {
        QString query;
        QSet<QString> expected;
    };
    const std::vector<Case> cases{
        {QString(), {hourlyA, cronA, manualA, manualB, onceB, eventOwner, proposed}},
        {QStringLiteral("status=active"), {hourlyA, manualA, onceB, eventOwner}},
        {QStringLiteral("status=paused"), {cronA}},
        {QStringLiteral("status=archived"), {manualB}},
        {QStringLiteral("status=proposed"), {proposed}},
        {QStringLiteral("schedule_kind=manual"), {manualA, manualB}},
        {QStringLiteral("schedule_kind=cron"), {cronA}},
        {QStringLiteral("schedule_kind=once"), {onceB}},
        {QStringLiteral("schedule_kind=event"), {eventOwner}},
        {QStringLiteral("schedule_kind=rrule"), {hourlyA, proposed}},
        {QStringLiteral("created_by=") + agentA, {hourlyA, cronA, manualA}},
        {QStringLiteral("created_by=") + agentB, {manualB, onceB}},
        {QStringLiteral("created_by=agent:nobody"), {}},
        {QStringLiteral("q=manual"), {manualA, manualB}},
        {QStringLiteral("schedule_kind=manual&status=active"), {manualA}},
        {QStringLiteral("schedule_kind=manual&created_by=") + agentB, {manualB}},
        {QStringLiteral("status=active&created_by=%1&q=HOURLY").arg(agentA), {hourlyA}},
        {QStringLiteral("status=active&schedule_kind=rrule&created_by=") + agentB, {}},
    };
    for (const Case &c : cases) {
        const HttpResponse listed = call("GET", QStringLiteral("/api/v1/tasks?") + c.query, m_a);
        QVERIFY2(listed.status == 200, qPrintable(describe(listed)));
        const QStringList found = ids(listed);
        QVERIFY2(QSet<QString>(found.begin(), found.end()) == c.expected
                     && found.size() == c.expected.size(),
                 qPrintable(c.query + QStringLiteral(" → ") + found.join(QLatin1Char(','))));
        QCOMPARE(jsonOf(listed)["total"].get<int>(), int(c.expected.size()));
    }
    // Newest first.
    QCOMPARE(ids(call("GET", QStringLiteral("/api/v1/tasks?created_by=") + agentA, m_a)),
             (QStringList{manualA, cronA, hourlyA}));
}

void tst_TaskRoutes::badFiltersAreRefusedNamingTheParameter()
{
    QVERIFY(!createTask(m_a, taskBody(QStringLiteral("one"))).isEmpty());
    const QString longText(TaskService::kMaxQueryText + 1, QLatin1Char('x'));
    const std::vector<std::pair<QString, QString>> cases{
        {QStringLiteral("status=running"), QStringLiteral("status")},
        {QStringLiteral("schedule_kind=weekly"), QStringLiteral("schedule_kind")},
        {QStringLiteral("q=") + longText, QStringLiteral("q")},
        {QStringLiteral("created_by="), QStringLiteral("created_by")},
        {QStringLiteral("limit=0"), QStringLiteral("limit")},
        {QStringLiteral("limit=501"), QStringLiteral("limit")},
        {QStringLiteral("offset=-1"), QStringLiteral("offset")},
    };
    for (const auto &[query, field] : cases) {
        const HttpResponse refused = call("GET", QStringLiteral("/api/v1/tasks?") + query, m_a);
        QVERIFY2(refused.status == 422, qPrintable(query + QLatin1Char(' ') + describe(refused)));
        QCOMPARE(refused.contentType, QByteArray("application/problem+json"));
        QCOMPARE(problemField(refused), field);
    }
    // At the limit is fine.
    const QString longest(TaskService::kMaxQueryText, QLatin1Char('x'));
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks?q=") + longest, m_a).status, 200);
}

void tst_TaskRoutes::textSearchTakesPercentAndUnderscoreLiterally()
{
    const QString percent = createTask(m_a, taskBody(QStringLiteral("100% sure")));
    const QString plain = createTask(m_a, taskBody(QStringLiteral("100 sure")));
    const QString underscore = createTask(m_a, taskBody(QStringLiteral("snake_case report")));
    const QString other = createTask(m_a, taskBody(QStringLiteral("snakeXcase report")));
    const QString described = createTask(
        m_a, taskBody(QStringLiteral("nightly"), Json{{"description", "Copies the Backup\\disk"}}));
    for (const QString &id : {percent, plain, underscore, other, described})
        QVERIFY(!id.isEmpty());
    const auto search = [&](const QString &encoded) {
        const HttpResponse listed = call("GET", QStringLiteral("/api/v1/tasks?q=") + encoded, m_a);
        if (listed.status != 200)
            qWarning("%s", qPrintable(describe(listed)));
        const QStringList found = ids(listed);
        return QSet<QString>(found.begin(), found.end());
    };
    QCOMPARE(search(QStringLiteral("%25")), QSet<QString>{percent});
    QCOMPARE(search(QStringLiteral("100%25")), QSet<QString>{percent});
    QCOMPARE(search(QStringLiteral("_")), QSet<QString>{underscore});
    QCOMPARE(search(QStringLiteral("snake_case")), QSet<QString>{underscore});
    QCOMPARE(search(QStringLiteral("snake%25case")), QSet<QString>());
    // Case-insensitive, over the description too; a backslash is literal as well.
    QCOMPARE(search(QStringLiteral("bAcKuP")), QSet<QString>{described});
    QCOMPARE(search(QStringLiteral("backup%5Cdisk")), QSet<QString>{described});
    QCOMPARE(search(QStringLiteral("sure")), (QSet<QString>{percent, plain}));
}

void tst_TaskRoutes::keysetPagesWalkEveryTaskOnceWhileTasksAreAdded()
{
    // Some tasks share a created_at millisecond: the id breaks the tie.
    QStringList originals;
    for (int i = 0; i < 23; ++i) {
        if (i % 3 == 0)
            m_clock->advanceMs(1);
        originals << createTask(m_a, taskBody(QStringLiteral("task %1").arg(i)));
        QVERIFY(!originals.last().isEmpty());
    }
    QStringList seen;
    QString cursor;
    int pages = 0;
    int added = 0;
    for (;;) {
        const QString path = cursor.isEmpty()
                                 ? QStringLiteral("/api/v1/tasks?limit=5")
                                 : QStringLiteral("/api/v1/tasks?limit=5&cursor=") + cursor;
        const HttpResponse page = call("GET", path, m_a);
        QVERIFY2(page.status == 200, qPrintable(describe(page)));
        const Json body = jsonOf(page);
        seen += ids(page);
        ++pages;
        // Tasks created between pages come before the cursor: a walk started earlier does not
        // see them, and sees every earlier task once.
        for (int i = 0; i < 2; ++i) {
            if (i == 1)
                m_clock->advanceMs(1);
            QVERIFY(!createTask(m_a, taskBody(QStringLiteral("added %1").arg(added++))).isEmpty());
        }
        QCOMPARE(body["has_more"].get<bool>(), !body["next_cursor"].is_null());
        if (body["next_cursor"].is_null())
            break;
        cursor = text(body, "next_cursor");
        QVERIFY(pages < 20);
    }
    QCOMPARE(pages, 5);
    QCOMPARE(seen.size(), originals.size());
    QCOMPARE(QSet<QString>(seen.begin(), seen.end()).size(), seen.size());
    QStringList expected = originals;
    std::reverse(expected.begin(), expected.end());
    QCOMPARE(seen, expected);

    // A cursor combines with filters; total counts the filter, not the cursor.
    const HttpResponse first
        = call("GET", QStringLiteral("/api/v1/tasks?limit=2&q=task%201"), m_a); // 1, 10..19
    const Json firstBody = jsonOf(first);
    QCOMPARE(firstBody["total"].get<int>(), 11);
    const HttpResponse second = call("GET",
                                     QStringLiteral("/api/v1/tasks?limit=20&q=task%201&cursor=")
                                         + text(firstBody, "next_cursor"),
                                     m_a);
    QVERIFY2(second.status == 200, qPrintable(describe(second)));
    QCOMPARE(ids(second).size(), 9);
    QCOMPARE(jsonOf(second)["total"].get<int>(), 11);
    QVERIFY(!jsonOf(second)["has_more"].get<bool>());
    QVERIFY(jsonOf(second)["next_cursor"].is_null());
}

void tst_TaskRoutes::badCursorOrCursorWithOffsetIsRefused()
{
    for (int i = 0; i < 3; ++i)
        QVERIFY(!createTask(m_a, taskBody(QStringLiteral("t%1").arg(i))).isEmpty());
    const QString cursor
        = text(jsonOf(call("GET", QStringLiteral("/api/v1/tasks?limit=1"), m_a)), "next_cursor");
    QVERIFY(!cursor.isEmpty());
    const QString notAnId = QString::fromLatin1(
        QByteArray("123.not-an-id")
            .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    const QString noTime = QString::fromLatin1(
        QByteArray("x.01890a5d-ac96-774b-bcce-b302099a8057")
            .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    for (const QString &bad : {QStringLiteral("garbage!"), QStringLiteral("%3D%3D%3D"), notAnId,
                               noTime, QString(), cursor.left(cursor.size() - 3)}) {
        const HttpResponse refused
            = call("GET", QStringLiteral("/api/v1/tasks?cursor=") + bad, m_a);
        QVERIFY2(refused.status == 422, qPrintable(bad + QLatin1Char(' ') + describe(refused)));
        QCOMPARE(problemField(refused), QStringLiteral("cursor"));
    }
    for (const QString &offset : {QStringLiteral("0"), QStringLiteral("2")}) {
        const HttpResponse refused = call(
            "GET", QStringLiteral("/api/v1/tasks?cursor=%1&offset=%2").arg(cursor, offset), m_a);
        QCOMPARE(refused.status, 422);
        QCOMPARE(refused.contentType, QByteArray("application/problem+json"));
        QCOMPARE(problemField(refused), QStringLiteral("offset"));
    }
    QCOMPARE(ids(call("GET", QStringLiteral("/api/v1/tasks?cursor=") + cursor, m_a)).size(), 2);
}

void tst_TaskRoutes::snoozeRunsAtNowPlusDelayThenFollowsTheSchedule()
{
    Scheduler scheduler(m_engine->database(), *m_clock);
    const QString id = createTask(m_a, taskBody(QStringLiteral("hourly")));
    QVERIFY(!id.isEmpty());
    QCOMPARE(text(jsonOf(call("GET", QStringLiteral("/api/v1/tasks/") + id, m_a)), "next_run_at"),
             QStringLiteral("2026-03-10T10:00:00.000Z"));
    const int audited = auditRows();
    // 2 hours: the 10:00 and 11:00 occurrences are skipped.
    const HttpResponse snoozed = call("POST", QStringLiteral("/api/v1/tasks/%1/snooze").arg(id),
                                      m_a, Json{{"delay_seconds", 7200}});
    QVERIFY2(snoozed.status == 200, qPrintable(describe(snoozed)));
    QCOMPARE(text(jsonOf(snoozed), "next_run_at"), QStringLiteral("2026-03-10T11:30:00.000Z"));
    QCOMPARE(auditRows(), audited + 1);
    QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM audit_log WHERE action='task.snooze'")), 1);
    QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM events WHERE topic='task.snoozed'")), 1);

    for (const char *at :
         {"2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", "2026-03-10T11:29:59.999Z"}) {
        m_clock->set(test::utc(at));
        QCOMPARE(scheduler.tick(), 0);
        QVERIFY2(runsOf(id).empty(), at);
    }
    m_clock->set(test::utc("2026-03-10T11:30:00Z"));
    QCOMPARE(scheduler.tick(), 1);
    std::vector<Run> runs = runsOf(id);
    QCOMPARE(runs.size(), size_t(1));
    QCOMPARE(runs[0].scheduledFor, test::utc("2026-03-10T11:30:00Z"));
    // The schedule goes on: its next occurrence after the snooze, and none made up before.
    QCOMPARE(m_services->tasks.get(id)->nextRunAt, test::utc("2026-03-10T12:00:00Z"));
    m_clock->set(test::utc("2026-03-10T11:59:59Z"));
    QCOMPARE(scheduler.tick(), 0);
    m_clock->set(test::utc("2026-03-10T12:00:00Z"));
    QCOMPARE(scheduler.tick(), 1);
    runs = runsOf(id);
    QCOMPARE(runs.size(), size_t(2));
    QCOMPARE(runs[0].scheduledFor, test::utc("2026-03-10T12:00:00Z"));
    QCOMPARE(m_services->tasks.get(id)->nextRunAt, test::utc("2026-03-10T13:00:00Z"));
}

void tst_TaskRoutes::snoozeRefusesBadBodiesAndTasksWithoutANextRun()
{
    const QString id = createTask(m_a, taskBody(QStringLiteral("hourly")));
    const QString path = QStringLiteral("/api/v1/tasks/%1/snooze").arg(id);
    const int audited = auditRows();
    const QDateTime before = m_services->tasks.get(id)->nextRunAt;
    const std::vector<std::pair<Json, QString>> bodies{
        {Json::object(), QStringLiteral("delay_seconds")},
        {Json{{"delay_seconds", 0}}, QStringLiteral("delay_seconds")},
        {Json{{"delay_seconds", -5}}, QStringLiteral("delay_seconds")},
        {Json{{"delay_seconds", TaskService::kMaxSnoozeSeconds + 1}},
         QStringLiteral("delay_seconds")},
        {Json{{"delay_seconds", "60"}}, QStringLiteral("delay_seconds")},
        {Json{{"delay_seconds", 1.5}}, QStringLiteral("delay_seconds")},
        {Json{{"delay_seconds", 600}, {"until", "tomorrow"}}, QStringLiteral("until")},
    };
    for (const auto &[body, field] : bodies) {
        const HttpResponse refused = call("POST", path, m_a, body);
        QVERIFY2(refused.status == 422, qPrintable(QString::fromUtf8(dumpJson(body))
                                                   + QLatin1Char(' ') + describe(refused)));
        QCOMPARE(problemField(refused), field);
    }
    // At the limit is fine later; a snooze that would bring the run forward is not one.
    const HttpResponse sooner = call("POST", path, m_a, Json{{"delay_seconds", 60}});
    QCOMPARE(sooner.status, 409);
    QCOMPARE(problemField(sooner), QStringLiteral("delay_seconds"));
    QCOMPARE(m_services->tasks.get(id)->nextRunAt, before);
    QCOMPARE(auditRows(), audited);

    const QString manual
        = createTask(m_a, taskBody(QStringLiteral("manual"), Json{{"schedule_kind", "manual"},
                                                                  {"schedule_expr", nullptr},
                                                                  {"dtstart", nullptr}}));
    const QString paused = createTask(m_a, taskBody(QStringLiteral("paused")));
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/%1/pause").arg(paused), m_a).status, 200);
    const int auditedNow = auditRows();
    for (const QString &taskId : {manual, paused}) {
        const HttpResponse refused
            = call("POST", QStringLiteral("/api/v1/tasks/%1/snooze").arg(taskId), m_a,
                   Json{{"delay_seconds", 600}});
        QVERIFY2(refused.status == 409, qPrintable(describe(refused)));
        QVERIFY2(text(jsonOf(refused), "detail").contains(taskId), qPrintable(describe(refused)));
    }
    QCOMPARE(auditRows(), auditedNow);
    QCOMPARE(
        call("POST", path, m_a, Json{{"delay_seconds", TaskService::kMaxSnoozeSeconds}}).status,
        200);
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/unknown/snooze"), m_a,
                  Json{{"delay_seconds", 600}})
                 .status,
             404);
}

void tst_TaskRoutes::snoozeSurvivesAnEditThatKeepsTheSchedule()
{
    const QString id = createTask(m_a, taskBody(QStringLiteral("hourly")));
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/%1/snooze").arg(id), m_a,
                  Json{{"delay_seconds", 7200}})
                 .status,
             200);
    const HttpResponse renamed
        = call("PUT", QStringLiteral("/api/v1/tasks/") + id, m_a, Json{{"title", "renamed"}});
    QVERIFY2(renamed.status == 200, qPrintable(describe(renamed)));
    QCOMPARE(text(jsonOf(renamed), "next_run_at"), QStringLiteral("2026-03-10T11:30:00.000Z"));
    // A new schedule starts over from it.
    const HttpResponse rescheduled = call("PUT", QStringLiteral("/api/v1/tasks/") + id, m_a,
                                          Json{{"schedule_expr", "FREQ=MINUTELY;INTERVAL=30"}});
    QVERIFY2(rescheduled.status == 200, qPrintable(describe(rescheduled)));
    QCOMPARE(text(jsonOf(rescheduled), "next_run_at"), QStringLiteral("2026-03-10T09:30:00.000Z"));
}

void tst_TaskRoutes::cancelArchivesTheTaskAndCancelsItsRuns()
{
    const QString id = createTask(m_a, taskBody(QStringLiteral("to cancel")));
    QVERIFY(!id.isEmpty());
    QStringList runIds;
    for (int i = 0; i < 3; ++i) {
        const HttpResponse queued
            = call("POST", QStringLiteral("/api/v1/tasks/%1/run-now").arg(id), m_a);
        QVERIFY2(queued.status == 202, qPrintable(describe(queued)));
        runIds << text(jsonOf(queued), "id");
    }
    // One of them is being worked on: its worker is asked to stop it.
    Result<std::optional<Claim>> claimed
        = RunQueue(m_engine->database()).claim(QStringLiteral("worker-1"), m_clock->now(), 30000);
    QVERIFY(claimed && claimed->has_value());
    const QString running = (*claimed)->runId;
    const int audited = auditRows();
    const int events = count(QStringLiteral("SELECT COUNT(*) FROM events"));

    const HttpResponse canceled
        = call("POST", QStringLiteral("/api/v1/tasks/%1/cancel").arg(id), m_a);
    QVERIFY2(canceled.status == 200, qPrintable(describe(canceled)));
    const Json body = jsonOf(canceled);
    QCOMPARE(text(body, "status"), QStringLiteral("archived"));
    QVERIFY(body["next_run_at"].is_null());
    QVERIFY2(body["stopping_runs"] == Json::array({running.toStdString()}),
             dumpJson(body["stopping_runs"]).constData());
    QCOMPARE(body["canceled_runs"].size(), size_t(2));
    for (const Run &run : runsOf(id)) {
        if (run.id == running)
            QVERIFY2(run.status == RunStatus::Running, qPrintable(toString(run.status)));
        else
            QVERIFY2(run.status == RunStatus::Canceled, qPrintable(toString(run.status)));
    }
    QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM run_queue WHERE state='canceling'")), 1);
    QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM run_queue WHERE state='pending'")), 0);
    // One audit row; one task event, and one for each run it ended (the running one's worker
    // hears run.cancel_requested).
    QCOMPARE(auditRows(), audited + 1);
    QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM audit_log WHERE action='task.cancel'")), 1);
    QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM events WHERE topic='task.canceled'")), 1);
    QCOMPARE(
        count(QStringLiteral("SELECT COUNT(*) FROM events WHERE topic='run.cancel_requested'")), 1);
    QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM events")), events + 4);

    // Idempotent: again changes nothing and is not audited.
    const HttpResponse again = call("POST", QStringLiteral("/api/v1/tasks/%1/cancel").arg(id), m_a);
    QCOMPARE(again.status, 200);
    QCOMPARE(text(jsonOf(again), "status"), QStringLiteral("archived"));
    QCOMPARE(auditRows(), audited + 1);
    // It never fires again.
    Scheduler scheduler(m_engine->database(), *m_clock);
    m_clock->set(test::utc("2026-03-10T15:00:00Z"));
    QCOMPARE(scheduler.tick(), 0);
}

void tst_TaskRoutes::anArchivedTaskIsReadListedAndDeletedButNotRun()
{
    const QString id = createTask(m_a, taskBody(QStringLiteral("archived")));
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/%1/cancel").arg(id), m_a).status, 200);
    const int audited = auditRows();
    for (const char *action : {"resume", "pause", "run-now"}) {
        const HttpResponse refused = call(
            "POST", QStringLiteral("/api/v1/tasks/%1/%2").arg(id, QLatin1String(action)), m_a);
        QVERIFY2(refused.status == 409, qPrintable(describe(refused)));
        QVERIFY2(text(jsonOf(refused), "detail").contains(QLatin1String("archived")),
                 qPrintable(describe(refused)));
    }
    const HttpResponse edited
        = call("PUT", QStringLiteral("/api/v1/tasks/") + id, m_a, Json{{"title", "again"}});
    QCOMPARE(edited.status, 409);
    QCOMPARE(auditRows(), audited);
    QVERIFY(runsOf(id).empty());
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks/") + id, m_b).status, 200);
    QCOMPARE(ids(call("GET", QStringLiteral("/api/v1/tasks?status=archived"), m_b)),
             QStringList{id});
    QCOMPARE(call("DELETE", QStringLiteral("/api/v1/tasks/") + id, m_a).status, 204);
    QCOMPARE(auditRows(), audited + 1);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks/") + id, m_a).status, 404);
}

void tst_TaskRoutes::versionsListEverySavedVersionNewestFirst()
{
    const QString id = createTask(m_a, taskBody(QStringLiteral("first")));
    m_clock->advanceMs(1000);
    QCOMPARE(
        call("PUT", QStringLiteral("/api/v1/tasks/") + id, m_a, Json{{"title", "second"}}).status,
        200);
    m_clock->advanceMs(1000);
    QCOMPARE(call("PUT", QStringLiteral("/api/v1/tasks/") + id, m_owner,
                  Json{{"title", "third"}, {"schedule_expr", "FREQ=DAILY"}})
                 .status,
             200);
    const HttpResponse listed
        = call("GET", QStringLiteral("/api/v1/tasks/%1/versions").arg(id), m_b);
    QVERIFY2(listed.status == 200, qPrintable(describe(listed)));
    const Json body = jsonOf(listed);
    QCOMPARE(body["total"].get<int>(), 3);
    QCOMPARE(body["items"].size(), size_t(3));
    QVERIFY(!body["has_more"].get<bool>());
    const Json newest = body["items"][0];
    QCOMPARE(newest["version"].get<int>(), 3);
    QCOMPARE(text(newest["task"], "title"), QStringLiteral("third"));
    QCOMPARE(text(newest["task"], "schedule_expr"), QStringLiteral("FREQ=DAILY"));
    QVERIFY(newest["task"]["payload"]["pipeline"].is_array());
    QVERIFY(text(newest, "saved_by").startsWith(QLatin1String("agent:")));
    QVERIFY(text(newest, "saved_by") != QStringLiteral("agent:") + m_aId);
    QCOMPARE(text(newest, "saved_at"), QStringLiteral("2026-03-10T09:30:02.000Z"));
    QCOMPARE(body["items"][1]["version"].get<int>(), 2);
    QCOMPARE(text(body["items"][1]["task"], "title"), QStringLiteral("second"));
    QCOMPARE(text(body["items"][1], "saved_by"), QStringLiteral("agent:") + m_aId);
    QCOMPARE(body["items"][2]["version"].get<int>(), 1);
    QCOMPARE(text(body["items"][2]["task"], "title"), QStringLiteral("first"));

    const HttpResponse middle
        = call("GET", QStringLiteral("/api/v1/tasks/%1/versions?limit=1&offset=1").arg(id), m_a);
    QCOMPARE(jsonOf(middle)["items"].size(), size_t(1));
    QCOMPARE(jsonOf(middle)["items"][0]["version"].get<int>(), 2);
    QVERIFY(jsonOf(middle)["has_more"].get<bool>());
    QCOMPARE(call("GET", QStringLiteral("/api/v1/tasks/unknown/versions"), m_a).status, 404);
    QCOMPARE(
        problemField(call("GET", QStringLiteral("/api/v1/tasks/%1/versions?limit=0").arg(id), m_a)),
        QStringLiteral("limit"));
}

void tst_TaskRoutes::anotherAgentsTaskIsRefusedOnEveryChangingRoute()
{
    const QString id = createTask(m_a, taskBody(QStringLiteral("A's task")));
    QVERIFY(!id.isEmpty());
    const HttpResponse before = call("GET", QStringLiteral("/api/v1/tasks/") + id, m_a);
    const int audited = auditRows();
    const QString base = QStringLiteral("/api/v1/tasks/") + id;
    const std::vector<std::tuple<QByteArray, QString, Json>> routes{
        {"PUT", base, Json{{"title", "hijacked"}}},
        {"DELETE", base, Json()},
        {"POST", base + QStringLiteral("/pause"), Json()},
        {"POST", base + QStringLiteral("/resume"), Json()},
        {"POST", base + QStringLiteral("/snooze"), Json{{"delay_seconds", 7200}}},
        {"POST", base + QStringLiteral("/cancel"), Json()},
        {"POST", base + QStringLiteral("/accept"), Json()},
        {"POST", base + QStringLiteral("/run-now"), Json()},
    };
    for (const auto &[method, path, body] : routes) {
        const HttpResponse refused = call(method, path, m_b, body);
        QVERIFY2(refused.status == 403, qPrintable(path + QLatin1Char(' ') + describe(refused)));
        QCOMPARE(refused.contentType, QByteArray("application/problem+json"));
        const QString detail = text(jsonOf(refused), "detail");
        QVERIFY2(detail.contains(QStringLiteral("agent:") + m_aId)
                     && detail.contains(QLatin1String("agents:admin")),
                 qPrintable(detail));
    }
    // Nothing changed: the same task, no audit row, no run.
    const HttpResponse after = call("GET", QStringLiteral("/api/v1/tasks/") + id, m_b);
    QCOMPARE(after.status, 200);
    QVERIFY2(jsonOf(after) == jsonOf(before), qPrintable(describe(after)));
    QCOMPARE(auditRows(), audited);
    QVERIFY(runsOf(id).empty());
    // An unknown task is still 404, not 403.
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/unknown/pause"), m_b).status, 404);
}

void tst_TaskRoutes::anAdminChangesAnyTask()
{
    const QString id = createTask(m_a, taskBody(QStringLiteral("A's task")));
    const QString base = QStringLiteral("/api/v1/tasks/") + id;
    int audited = auditRows();
    const std::vector<std::tuple<QByteArray, QString, Json, int>> steps{
        {"PUT", base, Json{{"title", "by the owner"}}, 200},
        {"POST", base + QStringLiteral("/pause"), Json(), 200},
        {"POST", base + QStringLiteral("/resume"), Json(), 200},
        {"POST", base + QStringLiteral("/snooze"), Json{{"delay_seconds", 7200}}, 200},
        {"POST", base + QStringLiteral("/run-now"), Json(), 202},
        {"POST", base + QStringLiteral("/cancel"), Json(), 200},
        {"DELETE", base, Json(), 204},
    };
    for (const auto &[method, path, body, status] : steps) {
        const HttpResponse done = call(method, path, m_owner, body);
        QVERIFY2(done.status == status, qPrintable(path + QLatin1Char(' ') + describe(done)));
        QCOMPARE(auditRows(), ++audited);
    }
    // The creator itself may, too.
    const QString own = createTask(m_a, taskBody(QStringLiteral("own")));
    audited = auditRows();
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/%1/pause").arg(own), m_a).status, 200);
    QCOMPARE(auditRows(), audited + 1);
}

void tst_TaskRoutes::aProposedTaskWaitsForTheOwnersAcceptance()
{
    QString proposerId;
    QString proposer = agentToken(
        QStringLiteral("careful"),
        {QStringLiteral("tasks:read"), QStringLiteral("tasks:write"), QStringLiteral("runs:write")},
        NewTasks::Proposed, &proposerId);
    // Asking for active changes nothing: status is not the agent's to set.
    const HttpResponse made
        = call("POST", QStringLiteral("/api/v1/tasks"), proposer,
               taskBody(QStringLiteral("proposal"), Json{{"status", "active"}}));
    QVERIFY2(made.status == 201, qPrintable(describe(made)));
    const QString id = text(jsonOf(made), "id");
    QCOMPARE(text(jsonOf(made), "status"), QStringLiteral("proposed"));
    QVERIFY(jsonOf(made)["next_run_at"].is_null());
    const QString base = QStringLiteral("/api/v1/tasks/") + id;

    // It never fires, even long after its occurrences.
    Scheduler scheduler(m_engine->database(), *m_clock);
    m_clock->set(test::utc("2026-03-10T12:30:00Z"));
    QCOMPARE(scheduler.tick(), 0);
    QVERIFY(runsOf(id).empty());
    proposer = tokenFor(proposerId);
    m_owner = tokenFor(m_ownerId);
    m_a = tokenFor(m_aId);

    const int audited = auditRows();
    const HttpResponse runNow = call("POST", base + QStringLiteral("/run-now"), proposer);
    QCOMPARE(runNow.status, 409);
    QVERIFY2(
        text(jsonOf(runNow), "detail").contains(QLatin1String("awaits the owner's acceptance")),
        qPrintable(describe(runNow)));
    // Not even the owner runs it before accepting it.
    QCOMPARE(call("POST", base + QStringLiteral("/run-now"), m_owner).status, 409);
    QCOMPARE(call("POST", base + QStringLiteral("/resume"), proposer).status, 409);
    QCOMPARE(call("POST", base + QStringLiteral("/pause"), proposer).status, 409);
    QCOMPARE(call("POST", base + QStringLiteral("/snooze"), proposer, Json{{"delay_seconds", 60}})
                 .status,
             409);
    const HttpResponse selfAccepted = call("POST", base + QStringLiteral("/accept"), proposer);
    QCOMPARE(selfAccepted.status, 403);
    QVERIFY(text(jsonOf(selfAccepted), "detail").contains(QLatin1String("agents:admin")));
    QCOMPARE(auditRows(), audited);
    QVERIFY(runsOf(id).empty());

    // Its creator may still edit it; it stays proposed.
    const HttpResponse edited = call("PUT", base, proposer, Json{{"title", "better proposal"}});
    QVERIFY2(edited.status == 200, qPrintable(describe(edited)));
    QCOMPARE(text(jsonOf(edited), "status"), QStringLiteral("proposed"));
    QVERIFY(jsonOf(edited)["next_run_at"].is_null());
    QCOMPARE(auditRows(), audited + 1);

    const HttpResponse accepted = call("POST", base + QStringLiteral("/accept"), m_owner);
    QVERIFY2(accepted.status == 200, qPrintable(describe(accepted)));
    QCOMPARE(text(jsonOf(accepted), "status"), QStringLiteral("active"));
    QCOMPARE(text(jsonOf(accepted), "next_run_at"), QStringLiteral("2026-03-10T13:00:00.000Z"));
    QCOMPARE(auditRows(), audited + 2);
    QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM audit_log WHERE action='task.accept'")), 1);
    QCOMPARE(count(QStringLiteral("SELECT COUNT(*) FROM events WHERE topic='task.accepted'")), 1);
    // Accepting again changes nothing.
    QCOMPARE(call("POST", base + QStringLiteral("/accept"), m_owner).status, 200);
    QCOMPARE(auditRows(), audited + 2);
    m_clock->set(test::utc("2026-03-10T13:00:00Z"));
    QCOMPARE(scheduler.tick(), 1);
    QCOMPARE(runsOf(id).size(), size_t(1));
    proposer = tokenFor(proposerId);
    m_owner = tokenFor(m_ownerId);
    m_a = tokenFor(m_aId);

    // The owner may also reject a proposal by deleting it.
    const QString rejected = createTask(proposer, taskBody(QStringLiteral("rejected")));
    QCOMPARE(
        text(jsonOf(call("GET", QStringLiteral("/api/v1/tasks/") + rejected, m_owner)), "status"),
        QStringLiteral("proposed"));
    QCOMPARE(call("DELETE", QStringLiteral("/api/v1/tasks/") + rejected, m_owner).status, 204);
    // A paused task is not a proposal.
    const QString paused = createTask(m_a, taskBody(QStringLiteral("paused")));
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/%1/pause").arg(paused), m_a).status, 200);
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/%1/accept").arg(paused), m_owner).status,
             409);
}

void tst_TaskRoutes::agentSettingTasksStartProposedIsReadAndChanged()
{
    const HttpResponse made = call("POST", QStringLiteral("/api/v1/agents"), m_owner,
                                   Json{{"name", "cautious"},
                                        {"scopes", Json::array({"tasks:read", "tasks:write"})},
                                        {"tasks_start_proposed", true}});
    QVERIFY2(made.status == 201, qPrintable(describe(made)));
    QVERIFY(jsonOf(made)["tasks_start_proposed"].get<bool>());
    const QString id = text(jsonOf(made), "id");
    QVERIFY(
        jsonOf(call("GET", QStringLiteral("/api/v1/agents/") + id, m_owner))["tasks_start_proposed"]
            .get<bool>());
    Result<Agent> agent = m_services->agents.get(id);
    QVERIFY(agent);
    const QString token = m_api->authenticator().issue(*agent)->accessToken;
    QCOMPARE(text(jsonOf(call("POST", QStringLiteral("/api/v1/tasks"), token,
                              taskBody(QStringLiteral("one")))),
                  "status"),
             QStringLiteral("proposed"));

    const int audited = auditRows();
    const HttpResponse refused = call("PATCH", QStringLiteral("/api/v1/agents/") + id, m_owner,
                                      Json{{"tasks_start_proposed", "no"}});
    QCOMPARE(refused.status, 422);
    QCOMPARE(problemField(refused), QStringLiteral("tasks_start_proposed"));
    QCOMPARE(auditRows(), audited);
    const HttpResponse changed = call("PATCH", QStringLiteral("/api/v1/agents/") + id, m_owner,
                                      Json{{"tasks_start_proposed", false}});
    QVERIFY2(changed.status == 200, qPrintable(describe(changed)));
    QVERIFY(!jsonOf(changed)["tasks_start_proposed"].get<bool>());
    QCOMPARE(auditRows(), audited + 1);
    QCOMPARE(text(jsonOf(call("POST", QStringLiteral("/api/v1/tasks"), token,
                              taskBody(QStringLiteral("two")))),
                  "status"),
             QStringLiteral("active"));
    // Default: false.
    const HttpResponse plain
        = call("POST", QStringLiteral("/api/v1/agents"), m_owner,
               Json{{"name", "plain"}, {"scopes", Json::array({"tasks:read"})}});
    QVERIFY(!jsonOf(plain)["tasks_start_proposed"].get<bool>());
}

void tst_TaskRoutes::agentTasksListsWhatTheAgentCreated()
{
    const QString first = createTask(m_a, taskBody(QStringLiteral("a1")));
    const QString second = createTask(m_a, taskBody(QStringLiteral("a2")));
    const QString others = createTask(m_b, taskBody(QStringLiteral("b1")));
    QVERIFY(!first.isEmpty() && !second.isEmpty() && !others.isEmpty());
    QCOMPARE(call("POST", QStringLiteral("/api/v1/tasks/%1/pause").arg(first), m_a).status, 200);
    const QString path = QStringLiteral("/api/v1/agents/%1/tasks").arg(m_aId);
    const HttpResponse listed = call("GET", path, m_owner);
    QVERIFY2(listed.status == 200, qPrintable(describe(listed)));
    QCOMPARE(ids(listed), (QStringList{second, first}));
    QCOMPARE(jsonOf(listed)["total"].get<int>(), 2);
    QVERIFY(jsonOf(listed).contains("next_cursor"));
    QCOMPARE(ids(call("GET", path + QStringLiteral("?status=paused"), m_owner)),
             QStringList{first});
    const HttpResponse paged = call("GET", path + QStringLiteral("?limit=1"), m_owner);
    QCOMPARE(ids(paged), QStringList{second});
    QCOMPARE(ids(call("GET", path + QStringLiteral("?cursor=") + text(jsonOf(paged), "next_cursor"),
                      m_owner)),
             QStringList{first});
    QCOMPARE(call("GET", path, m_a).status, 403);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/agents/unknown/tasks"), m_owner).status, 404);
    QCOMPARE(problemField(call("GET", path + QStringLiteral("?created_by=user"), m_owner)),
             QStringLiteral("created_by"));
}

QTEST_GUILESS_MAIN(tst_TaskRoutes)
#include "tst_TaskRoutes.moc"
