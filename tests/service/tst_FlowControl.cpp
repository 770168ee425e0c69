// Flow control through the scheduler and run-now, with a manual clock and no workers (the test
// claims and completes runs itself): each overlap_policy when an occurrence comes due while the
// previous run goes on, run-now never skipped, dedupe inside and outside the window.
#include "support/TempDataDir.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "schedule/Scheduler.h"
#include "service/Services.h"
#include "store/AuditLog.h"
#include "store/Database.h"
#include "store/EventLog.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/Sql.h"
#include "store/TaskStore.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

class tst_FlowControl final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void skipRecordsTheOccurrenceWhileThePreviousRunGoes_data();
    void skipRecordsTheOccurrenceWhileThePreviousRunGoes();
    void queueOneKeepsOneOccurrenceWaitingForTheRunningOne();
    void allowRunsOccurrencesTogether();
    void cancelPreviousStopsEarlierRunsAndStartsAfterThem();
    void runNowIsNeverSkippedButWaitsItsTurn();
    void runNowInsideTheDedupeWindowAnswersTheEarlierRun();
    void scheduledOccurrenceInsideTheDedupeWindowIsNotQueued();

private:
    // An hourly task (on the hour, UTC) with these extra fields; its first occurrence is 13:00.
    QString hourlyTask(const Json &extra);
    QString manualTask(const Json &extra);
    // Moves the clock to `hh:00` on the test day and lets the scheduler materialize.
    int tickAt(int hour);
    std::optional<Claim> claim();
    std::vector<Run> runsOf(const QString &taskId); // oldest first
    QString queueState(const QString &runId);
    std::vector<Event> eventsWithTopic(const QString &topic);

    std::unique_ptr<test::TempDataDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Engine> m_engine; // never started: no workers, no scheduler of its own
    std::unique_ptr<Services> m_services;
    std::unique_ptr<Scheduler> m_scheduler;
    std::unique_ptr<QSignalSpy> m_queued;
    std::unique_ptr<QSignalSpy> m_stored;
};

namespace {

QDateTime at(int hour, int minute = 0, int second = 0)
{
    return QDateTime(QDate(2026, 6, 10), QTime(hour, minute, second), Qt::UTC);
}

std::vector<Event> spied(const QSignalSpy &spy)
{
    std::vector<Event> events;
    for (const QList<QVariant> &signal : spy)
        events.push_back(signal.at(0).value<Event>());
    return events;
}

} // namespace

void tst_FlowControl::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_FlowControl::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    m_clock = std::make_unique<ManualClock>(at(12, 30));
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dir->path(), 1, m_clock.get()});
    QVERIFY(engine);
    m_engine = std::move(*engine);
    m_services = std::make_unique<Services>(*m_engine);
    m_scheduler = std::make_unique<Scheduler>(m_engine->database(), *m_clock);
    m_queued = std::make_unique<QSignalSpy>(m_scheduler.get(), &Scheduler::runQueued);
    m_stored = std::make_unique<QSignalSpy>(m_scheduler.get(), &Scheduler::eventStored);
}

void tst_FlowControl::cleanup()
{
    m_stored.reset();
    m_queued.reset();
    m_scheduler.reset();
    m_services.reset();
    m_engine.reset();
    m_clock.reset();
    m_dir.reset();
}

QString tst_FlowControl::hourlyTask(const Json &extra)
{
    Json document{{"title", "hourly"},
                  {"schedule_kind", "rrule"},
                  {"schedule_expr", "FREQ=HOURLY;BYMINUTE=0;BYSECOND=0"},
                  {"timezone", "UTC"},
                  {"dtstart", "2026-06-10T00:00:00"},
                  {"payload", {{"pipeline", Json::array()}}}};
    document.update(extra);
    Result<Task> task = m_services->tasks.create(document, QStringLiteral("test"));
    if (!task)
        qFatal("%s", qPrintable(task.error().describe()));
    if (task->nextRunAt != at(13))
        qFatal("the first occurrence is %s", qPrintable(formatInstant(task->nextRunAt)));
    return task->id;
}

QString tst_FlowControl::manualTask(const Json &extra)
{
    Json document{{"title", "by hand"},
                  {"schedule_kind", "manual"},
                  {"payload", {{"pipeline", Json::array()}}}};
    document.update(extra);
    Result<Task> task = m_services->tasks.create(document, QStringLiteral("test"));
    if (!task)
        qFatal("%s", qPrintable(task.error().describe()));
    return task->id;
}

int tst_FlowControl::tickAt(int hour)
{
    m_clock->set(at(hour));
    return m_scheduler->tick();
}

std::optional<Claim> tst_FlowControl::claim()
{
    Result<std::optional<Claim>> claimed
        = RunQueue(m_engine->database())
              .claim(QStringLiteral("w"), m_clock->now(), 12 * 3600 * 1000);
    if (!claimed)
        qFatal("claim: %s", qPrintable(claimed.error().describe()));
    return *claimed;
}

std::vector<Run> tst_FlowControl::runsOf(const QString &taskId)
{
    std::vector<Run> runs = m_services->runs.list(RunFilter{taskId, std::nullopt, 50, 0})->items;
    std::sort(runs.begin(), runs.end(),
              [](const Run &a, const Run &b) { return a.scheduledFor < b.scheduledFor; });
    return runs;
}

QString tst_FlowControl::queueState(const QString &runId)
{
    Result<QSqlQuery> q
        = sql::exec(m_engine->database().connection(),
                    QStringLiteral("SELECT state FROM run_queue WHERE run_id=?"), {runId});
    return q && q->next() ? q->value(0).toString() : QString();
}

std::vector<Event> tst_FlowControl::eventsWithTopic(const QString &topic)
{
    std::vector<Event> matching;
    const Result<std::vector<Event>> stored = EventLog(m_engine->database()).since(0, 1000);
    if (!stored)
        qFatal("events: %s", qPrintable(stored.error().describe()));
    for (const Event &event : *stored) {
        if (event.topic == topic)
            matching.push_back(event);
    }
    return matching;
}

void tst_FlowControl::skipRecordsTheOccurrenceWhileThePreviousRunGoes_data()
{
    QTest::addColumn<QString>("going");
    QTest::newRow("running") << QStringLiteral("running");
    QTest::newRow("beingCanceled") << QStringLiteral("canceling");
    QTest::newRow("paused") << QStringLiteral("paused");
}

void tst_FlowControl::skipRecordsTheOccurrenceWhileThePreviousRunGoes()
{
    QFETCH(QString, going);
    const QString task = hourlyTask(Json{{"overlap_policy", "skip"}});
    QCOMPARE(tickAt(13), 1);
    const Claim first = *claim();
    RunQueue queue(m_engine->database());
    if (going == QLatin1String("canceling")) {
        QVERIFY(*queue.cancel(first.runId, QStringLiteral("stop"), m_clock->now())
                == CancelEffect::Stopping);
    } else if (going == QLatin1String("paused")) {
        // time.wait until 16:00: no worker holds it, but it has not ended.
        QVERIFY(queue.defer(first, at(16)));
        QVERIFY(RunStore(m_engine->database())
                    .suspend(first.runId, RunStatus::Waiting, Json{{"step_index", 0}}));
    }

    m_queued->clear();
    QCOMPARE(tickAt(14), 0);
    std::vector<Run> runs = runsOf(task);
    QCOMPARE(int(runs.size()), 2);
    const Run &skipped = runs[1];
    QVERIFY2(skipped.status == RunStatus::Skipped, qPrintable(toString(skipped.status)));
    QCOMPARE(skipped.scheduledFor, at(14));
    QCOMPARE(skipped.finishedAt, at(14));
    QVERIFY2(skipped.error.contains(first.runId)
                 && skipped.error.contains(QLatin1String("overlap_policy skip")),
             qPrintable(skipped.error));
    QCOMPARE(queueState(skipped.id), QStringLiteral("done"));
    QCOMPARE(m_queued->count(), 0);
    const std::vector<Event> told = spied(*m_stored);
    QCOMPARE(int(told.size()), 1);
    QCOMPARE(told[0].topic, QStringLiteral("run.finished"));
    QVERIFY(told[0].payload["run_id"] == skipped.id.toStdString());
    QVERIFY(told[0].payload["status"] == "skipped");
    QVERIFY(told[0].payload["still_going"] == first.runId.toStdString());
    QCOMPARE(int(eventsWithTopic(QStringLiteral("run.finished")).size()), 1); // stored too

    // The occurrence is spent: a second look (another engine, a restart) adds nothing.
    QCOMPARE(m_scheduler->tick(), 0);
    QCOMPARE(int(runsOf(task).size()), 2);
    QVERIFY(!claim().has_value());
}

void tst_FlowControl::queueOneKeepsOneOccurrenceWaitingForTheRunningOne()
{
    const QString task = hourlyTask(Json::object()); // queue_one is the default
    QCOMPARE(tickAt(13), 1);
    const Claim first = *claim();
    QCOMPARE(tickAt(14), 1); // waits behind the first
    QCOMPARE(tickAt(15), 0); // one is waiting already
    std::vector<Run> runs = runsOf(task);
    QCOMPARE(int(runs.size()), 3);
    QVERIFY(runs[1].status == RunStatus::Queued);
    QVERIFY(runs[2].status == RunStatus::Skipped);
    QVERIFY2(runs[2].error.contains(QLatin1String("queue_one"))
                 && runs[2].error.contains(first.runId),
             qPrintable(runs[2].error));

    // The waiting occurrence does not start while the first goes on, only after it.
    QVERIFY(!claim().has_value());
    QVERIFY(RunQueue(m_engine->database()).complete(first));
    const std::optional<Claim> second = claim();
    QVERIFY(second.has_value());
    QCOMPARE(second->runId, runs[1].id);
    // With the second running and none waiting, the next occurrence waits again.
    QCOMPARE(tickAt(16), 1);
}

void tst_FlowControl::allowRunsOccurrencesTogether()
{
    const QString task = hourlyTask(Json{{"overlap_policy", "allow"}});
    QCOMPARE(tickAt(13), 1);
    const Claim first = *claim();
    QCOMPARE(tickAt(14), 1);
    QCOMPARE(tickAt(15), 1);
    const std::optional<Claim> second = claim();
    const std::optional<Claim> third = claim();
    QVERIFY(second.has_value() && third.has_value());
    QCOMPARE(queueState(first.runId), QStringLiteral("leased"));
    QCOMPARE(m_stored->count(), 0);
    for (const Run &run : runsOf(task))
        QVERIFY(run.status == RunStatus::Running);
}

void tst_FlowControl::cancelPreviousStopsEarlierRunsAndStartsAfterThem()
{
    const QString task = hourlyTask(Json{{"overlap_policy", "cancel_previous"}});
    QCOMPARE(tickAt(13), 1);
    const Claim first = *claim();
    QCOMPARE(tickAt(14), 1);
    std::vector<Run> runs = runsOf(task);
    const QString second = runs[1].id;
    QCOMPARE(queueState(first.runId), QStringLiteral("canceling"));
    std::vector<Event> told = spied(*m_stored);
    QCOMPARE(int(told.size()), 1);
    QCOMPARE(told[0].topic, QStringLiteral("run.cancel_requested"));
    QVERIFY(told[0].payload["run_id"] == first.runId.toStdString());
    const QString message = qs(told[0].payload.value("message", std::string()));
    QVERIFY2(message.contains(second) && message.contains(QLatin1String("cancel_previous")),
             qPrintable(message));
    QCOMPARE(runs[0].error, message); // kept for the worker to record
    // The new run waits until the canceled one has ended.
    QVERIFY(!claim().has_value());

    // Another occurrence while the first is still stopping: the one that had not started ends
    // at once; the first is not asked twice.
    m_stored->clear();
    QCOMPARE(tickAt(15), 1);
    runs = runsOf(task);
    QCOMPARE(int(runs.size()), 3);
    QVERIFY2(runs[1].status == RunStatus::Canceled, qPrintable(toString(runs[1].status)));
    QCOMPARE(queueState(second), QStringLiteral("done"));
    told = spied(*m_stored);
    QCOMPARE(int(told.size()), 1);
    QCOMPARE(told[0].topic, QStringLiteral("run.finished"));
    QVERIFY(told[0].payload["run_id"] == second.toStdString());
    QVERIFY(told[0].payload["status"] == "canceled");
    QVERIFY(!claim().has_value());

    // The first run's worker lets go: the newest occurrence starts.
    QVERIFY(RunQueue(m_engine->database()).complete(first));
    const std::optional<Claim> third = claim();
    QVERIFY(third.has_value());
    QCOMPARE(third->runId, runs[2].id);
}

void tst_FlowControl::runNowIsNeverSkippedButWaitsItsTurn()
{
    const QString task = hourlyTask(Json{{"overlap_policy", "skip"}});
    QCOMPARE(tickAt(13), 1);
    const Claim first = *claim();
    m_clock->set(at(13, 10));
    bool deduplicated = true;
    Result<Run> manual
        = m_services->runs.runNow(task, RunTrigger::Manual, QStringLiteral("t"), &deduplicated);
    QVERIFY(manual);
    QVERIFY(!deduplicated);
    QVERIFY(manual->status == RunStatus::Queued);
    QCOMPARE(queueState(manual->id), QStringLiteral("pending"));
    // The task's runs start one at a time: it starts once the scheduled run has ended.
    QVERIFY(!claim().has_value());
    QVERIFY(RunQueue(m_engine->database()).complete(first));
    const std::optional<Claim> next = claim();
    QVERIFY(next.has_value());
    QCOMPARE(next->runId, manual->id);
}

void tst_FlowControl::runNowInsideTheDedupeWindowAnswersTheEarlierRun()
{
    const QString task = manualTask(Json{{"dedupe_key", "daily-report"},
                                         {"dedupe_window_seconds", 600},
                                         {"overlap_policy", "allow"}});
    bool deduplicated = true;
    const Run first
        = *m_services->runs.runNow(task, RunTrigger::Api, QStringLiteral("agent"), &deduplicated);
    QVERIFY(!deduplicated);
    QVERIFY(claim().has_value()); // it may be running or finished: the answer is the same

    m_clock->set(at(12, 39, 59)); // 599 s later
    Result<Run> again
        = m_services->runs.runNow(task, RunTrigger::Api, QStringLiteral("agent"), &deduplicated);
    QVERIFY(again);
    QVERIFY(deduplicated);
    QCOMPARE(again->id, first.id);
    QVERIFY(again->status == RunStatus::Running);
    QCOMPARE(int(runsOf(task).size()), 1);
    QCOMPARE(int(eventsWithTopic(QStringLiteral("run.queued")).size()), 1);
    Result<std::vector<AuditEntry>> audit = AuditLog(m_engine->database()).forSubject(task);
    QVERIFY(audit);
    QStringList actions;
    for (const AuditEntry &entry : *audit)
        actions << entry.action;
    QCOMPARE(actions, QStringList({QStringLiteral("task.create"), QStringLiteral("task.run_now"),
                                   QStringLiteral("task.run_now_deduplicated")}));
    QVERIFY(audit->back().details["run_id"] == first.id.toStdString());

    // A retry is the same occurrence's next attempt, never an answer by dedupe.
    EnqueueRequest retry;
    retry.taskId = task;
    retry.taskVersion = 1;
    retry.scheduledFor = first.scheduledFor;
    retry.runAt = m_clock->now();
    retry.attempt = 2;
    retry.trigger = RunTrigger::Retry;
    EnqueueReport report;
    Result<std::optional<Run>> retried
        = RunQueue(m_engine->database()).enqueue(retry, m_clock->now(), &report);
    QVERIFY(retried && retried->has_value());
    QVERIFY(report.effect == EnqueueEffect::Queued);
    QVERIFY((*retried)->id != first.id);

    // The window is over 600 s after the first was queued: a new run.
    m_clock->set(at(12, 40));
    Result<Run> later
        = m_services->runs.runNow(task, RunTrigger::Api, QStringLiteral("agent"), &deduplicated);
    QVERIFY(later);
    QVERIFY(!deduplicated);
    QVERIFY(later->id != first.id);
    QVERIFY(later->status == RunStatus::Queued);
    QCOMPARE(int(eventsWithTopic(QStringLiteral("run.queued")).size()), 2);
    // …and it opens a window of its own.
    m_clock->set(at(12, 45));
    QCOMPARE(
        m_services->runs.runNow(task, RunTrigger::Api, QStringLiteral("agent"), &deduplicated)->id,
        later->id);
    QVERIFY(deduplicated);
}

void tst_FlowControl::scheduledOccurrenceInsideTheDedupeWindowIsNotQueued()
{
    const QString task = hourlyTask(
        Json{{"dedupe_key", "sync"}, {"dedupe_window_seconds", 7200}, {"overlap_policy", "allow"}});
    QCOMPARE(tickAt(13), 1);
    QCOMPARE(tickAt(14), 0); // one hour after the 13:00 run was queued: answered by it
    QCOMPARE(int(runsOf(task).size()), 1);
    QCOMPARE(m_stored->count(), 0);
    QCOMPARE(TaskStore(m_engine->database()).get(task)->nextRunAt, at(15)); // still advanced
    QCOMPARE(tickAt(15), 1); // two hours after: outside the window
    const std::vector<Run> runs = runsOf(task);
    QCOMPARE(int(runs.size()), 2);
    QCOMPARE(runs[1].scheduledFor, at(15));
    // A run-now inside the new run's window is answered with it.
    m_clock->set(at(15, 30));
    bool deduplicated = false;
    QCOMPARE(
        m_services->runs.runNow(task, RunTrigger::Manual, QStringLiteral("t"), &deduplicated)->id,
        runs[1].id);
    QVERIFY(deduplicated);
}

QTEST_GUILESS_MAIN(tst_FlowControl)
#include "tst_FlowControl.moc"
