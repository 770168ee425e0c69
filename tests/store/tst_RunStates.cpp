// The run state machine at the queue, with explicit instants (a manual clock): queued → running
// (claim) → succeeded/failed/timed_out (complete + finish), → waiting (defer) → queued again
// (wake), → canceled (cancel while queued or paused; while running through `canceling`, also when
// its worker dies), → abandoned (lease expired or released at shutdown, then taken over).
// Fencing: once another worker took a run over, the first can record nothing.
#include "support/TempDataDir.h"

#include "store/Database.h"
#include "store/RunQueue.h"
#include "store/RunStore.h"
#include "store/Sql.h"

#include <QTest>

using namespace ordinaut;

class tst_RunStates final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void queuedRunningFinished_data();
    void queuedRunningFinished();
    void pausedRunWaitsAndWakes();
    void cancelWhileQueuedOrPausedEndsAtOnce();
    void cancelWhileRunningGoesThroughCanceling();
    void canceledRunOfADeadWorkerEndsCanceled();
    void pauseOfACanceledRunIsRefused();
    void releasedLeaseIsTakenOverAtOnce();
    void staleWorkerIsFencedOff();
    void unclaimedRunIsAsBefore();

private:
    QString enqueue(qint64 scheduledMs = 1000);
    Claim claim(const QString &worker, const QDateTime &at);
    QString statusOf(const QString &runId) const;
    QString stateOfRow(const QString &runId) const;

    std::unique_ptr<test::TempDataDir> m_dir;
    std::shared_ptr<Database> m_db;
    const QDateTime m_t0 = QDateTime::fromMSecsSinceEpoch(1795000000000, Qt::UTC);
    static constexpr qint64 kLeaseMs = 30000;
};

void tst_RunStates::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::shared_ptr<Database>> db = Database::open(m_dir->databaseFile());
    QVERIFY(db);
    m_db = *db;
}

void tst_RunStates::cleanup()
{
    m_db.reset();
    m_dir.reset();
}

QString tst_RunStates::enqueue(qint64 scheduledMs)
{
    EnqueueRequest request;
    request.taskId = QStringLiteral("task");
    request.scheduledFor = QDateTime::fromMSecsSinceEpoch(scheduledMs, Qt::UTC);
    request.runAt = m_t0;
    Result<std::optional<Run>> run = RunQueue(*m_db).enqueue(request, m_t0);
    if (!run || !run->has_value())
        qFatal("enqueue failed");
    return (*run)->id;
}

Claim tst_RunStates::claim(const QString &worker, const QDateTime &at)
{
    Result<std::optional<Claim>> got = RunQueue(*m_db).claim(worker, at, kLeaseMs);
    if (!got || !got->has_value())
        qFatal("nothing to claim");
    return **got;
}

QString tst_RunStates::statusOf(const QString &runId) const
{
    Result<Run> run = RunStore(*m_db).get(runId, false);
    return run ? toString(run->status) : QStringLiteral("missing");
}

QString tst_RunStates::stateOfRow(const QString &runId) const
{
    Result<QSqlQuery> q = sql::exec(
        m_db->connection(),
        QStringLiteral("SELECT state FROM run_queue WHERE run_id=? ORDER BY id DESC LIMIT 1"),
        {runId});
    return q && q->next() ? q->value(0).toString() : QStringLiteral("none");
}

void tst_RunStates::queuedRunningFinished_data()
{
    QTest::addColumn<int>("status");
    QTest::newRow("succeeded") << int(RunStatus::Succeeded);
    QTest::newRow("failed") << int(RunStatus::Failed);
    QTest::newRow("timed_out") << int(RunStatus::TimedOut);
}

void tst_RunStates::queuedRunningFinished()
{
    QFETCH(int, status);
    const QString runId = enqueue();
    QCOMPARE(statusOf(runId), QStringLiteral("queued"));
    const Claim held = claim(QStringLiteral("w1"), m_t0);
    QCOMPARE(held.runId, runId);
    QCOMPARE(statusOf(runId), QStringLiteral("running"));
    QCOMPARE(stateOfRow(runId), QStringLiteral("leased"));
    QVERIFY(RunQueue(*m_db).complete(held));
    QVERIFY(RunStore(*m_db).finish(runId, RunStatus(status), QString(), Json(), m_t0.addSecs(1)));
    QCOMPARE(statusOf(runId), toString(RunStatus(status)));
    QCOMPARE(stateOfRow(runId), QStringLiteral("done"));
    // Nothing is left to claim, even long after.
    QVERIFY(!RunQueue(*m_db).claim(QStringLiteral("w2"), m_t0.addDays(1), kLeaseMs)->has_value());
}

void tst_RunStates::pausedRunWaitsAndWakes()
{
    const QString runId = enqueue();
    const Claim held = claim(QStringLiteral("w1"), m_t0);
    QVERIFY(RunQueue(*m_db).defer(held, m_t0.addSecs(3600)));
    QVERIFY(RunStore(*m_db).suspend(runId, RunStatus::WaitingApproval, Json{{"step_index", 0}}));
    QCOMPARE(statusOf(runId), QStringLiteral("waiting_approval"));
    // Not before its time…
    QVERIFY(!RunQueue(*m_db).claim(QStringLiteral("w2"), m_t0.addSecs(60), kLeaseMs)->has_value());
    // …unless woken (an approval was decided).
    QVERIFY(*RunQueue(*m_db).wake(runId, m_t0.addSecs(60)));
    const Claim again = claim(QStringLiteral("w2"), m_t0.addSecs(60));
    QCOMPARE(again.runId, runId); // the same run goes on
    QCOMPARE(statusOf(runId), QStringLiteral("running"));
}

void tst_RunStates::cancelWhileQueuedOrPausedEndsAtOnce()
{
    const QString queued = enqueue(1000);
    Result<CancelEffect> effect
        = RunQueue(*m_db).cancel(queued, QStringLiteral("canceled by ada"), m_t0);
    QVERIFY(effect && *effect == CancelEffect::Canceled);
    QCOMPARE(statusOf(queued), QStringLiteral("canceled"));
    QCOMPARE(stateOfRow(queued), QStringLiteral("done"));
    QCOMPARE(RunStore(*m_db).get(queued, false)->error, QStringLiteral("canceled by ada"));

    const QString paused = enqueue(2000);
    const Claim held = claim(QStringLiteral("w1"), m_t0);
    QVERIFY(RunQueue(*m_db).defer(held, m_t0.addSecs(3600)));
    QVERIFY(RunStore(*m_db).suspend(paused, RunStatus::Waiting, Json{{"step_index", 0}}));
    effect = RunQueue(*m_db).cancel(paused, QStringLiteral("canceled by ada"), m_t0);
    QVERIFY(effect && *effect == CancelEffect::Canceled);
    QCOMPARE(statusOf(paused), QStringLiteral("canceled"));
    QVERIFY(RunStore(*m_db).get(paused, false)->resume.is_null());
    // A finished run has nothing to cancel.
    effect = RunQueue(*m_db).cancel(paused, QStringLiteral("again"), m_t0);
    QVERIFY(effect && *effect == CancelEffect::None);
}

void tst_RunStates::cancelWhileRunningGoesThroughCanceling()
{
    const QString runId = enqueue();
    const Claim held = claim(QStringLiteral("w1"), m_t0);
    Result<CancelEffect> effect
        = RunQueue(*m_db).cancel(runId, QStringLiteral("canceled by ada"), m_t0);
    QVERIFY(effect && *effect == CancelEffect::Stopping);
    QCOMPARE(stateOfRow(runId), QStringLiteral("canceling"));
    QCOMPARE(statusOf(runId), QStringLiteral("running")); // until its worker stops it
    // The worker hears of it at its next renewal, with the reason.
    std::vector<Claim> lost;
    std::vector<CancelRequest> canceling;
    QVERIFY(RunQueue(*m_db).renew({held}, m_t0.addSecs(10), kLeaseMs, &lost, &canceling));
    QVERIFY(lost.empty());
    QCOMPARE(int(canceling.size()), 1);
    QCOMPARE(canceling[0].message, QStringLiteral("canceled by ada"));
    // It records the run canceled: its lease still holds.
    QVERIFY(RunQueue(*m_db).complete(held));
    QVERIFY(RunStore(*m_db).finish(runId, RunStatus::Canceled, QStringLiteral("canceled by ada"),
                                   Json(), m_t0.addSecs(11)));
    QCOMPARE(stateOfRow(runId), QStringLiteral("done"));
    QCOMPARE(statusOf(runId), QStringLiteral("canceled"));
}

void tst_RunStates::canceledRunOfADeadWorkerEndsCanceled()
{
    const QString runId = enqueue();
    claim(QStringLiteral("w1"), m_t0);
    QVERIFY(RunQueue(*m_db).cancel(runId, QStringLiteral("canceled by ada"), m_t0));
    // w1 dies: no renewal. Once its lease runs out the run is not taken over but canceled.
    Result<std::optional<Claim>> next
        = RunQueue(*m_db).claim(QStringLiteral("w2"), m_t0.addMSecs(kLeaseMs + 1), kLeaseMs);
    QVERIFY(next);
    QVERIFY(!next->has_value());
    QCOMPARE(statusOf(runId), QStringLiteral("canceled"));
    QCOMPARE(stateOfRow(runId), QStringLiteral("done"));
    QCOMPARE(RunStore(*m_db).get(runId, false)->error, QStringLiteral("canceled by ada"));
}

void tst_RunStates::pauseOfACanceledRunIsRefused()
{
    const QString runId = enqueue();
    const Claim held = claim(QStringLiteral("w1"), m_t0);
    QVERIFY(RunQueue(*m_db).cancel(runId, QStringLiteral("canceled by ada"), m_t0));
    Status deferred = RunQueue(*m_db).defer(held, m_t0.addSecs(60));
    QVERIFY(!deferred);
    QVERIFY(deferred.error().code == ErrorCode::Canceled);
    QCOMPARE(stateOfRow(runId), QStringLiteral("canceling"));
}

void tst_RunStates::releasedLeaseIsTakenOverAtOnce()
{
    const QString runId = enqueue();
    const Claim held = claim(QStringLiteral("engine-a/w1"), m_t0);
    // Engine A shuts down 5 s into a 30 s lease and releases it.
    QVERIFY(RunQueue(*m_db).release({held}, m_t0.addSecs(5)));
    const Claim taken = claim(QStringLiteral("engine-b/w1"), m_t0.addSecs(5));
    QCOMPARE(taken.abandonedRunId, runId);
    QVERIFY(taken.runId != runId);
    QCOMPARE(statusOf(runId), QStringLiteral("abandoned"));
    QCOMPARE(statusOf(taken.runId), QStringLiteral("running"));
    QCOMPARE(RunStore(*m_db).get(taken.runId, false)->attempt, 2);
    QVERIFY(taken.leaseEpoch > held.leaseEpoch);
}

void tst_RunStates::staleWorkerIsFencedOff()
{
    const QString runId = enqueue();
    const Claim stale = claim(QStringLiteral("w1"), m_t0);
    // w1 hangs past its lease; w2 takes the run over.
    const Claim fresh = claim(QStringLiteral("w2"), m_t0.addMSecs(kLeaseMs + 1));
    QCOMPARE(fresh.abandonedRunId, runId);
    // w1 wakes up: its renewal reports the loss, and it can neither complete nor pause.
    std::vector<Claim> lost;
    QVERIFY(RunQueue(*m_db).renew({stale}, m_t0.addMSecs(kLeaseMs + 2), kLeaseMs, &lost));
    QCOMPARE(int(lost.size()), 1);
    Status completed = RunQueue(*m_db).complete(stale);
    QVERIFY(!completed);
    QVERIFY(completed.error().code == ErrorCode::Conflict);
    Status deferred = RunQueue(*m_db).defer(stale, m_t0.addSecs(3600));
    QVERIFY(!deferred);
    QVERIFY(deferred.error().code == ErrorCode::Conflict);
    // w2's lease is untouched and it records normally.
    QVERIFY(RunQueue(*m_db).complete(fresh));
}

void tst_RunStates::unclaimedRunIsAsBefore()
{
    // A worker that claimed a run with its previous outcome but is stopping hands it back.
    const QString fresh = enqueue(1000);
    const Claim first = claim(QStringLiteral("w1"), m_t0);
    QVERIFY(RunQueue(*m_db).unclaim(first));
    QCOMPARE(statusOf(fresh), QStringLiteral("queued"));
    QVERIFY(!RunStore(*m_db).get(fresh, false)->startedAt.isValid());
    QCOMPARE(stateOfRow(fresh), QStringLiteral("pending"));
    const Claim again = claim(QStringLiteral("w2"), m_t0);
    QCOMPARE(again.runId, fresh);
    QCOMPARE(again.leaseEpoch, first.leaseEpoch); // the epoch went back, then forward again
    QVERIFY(!RunQueue(*m_db).unclaim(first));     // w1's lease is w2's now
    QVERIFY(RunQueue(*m_db).complete(again));

    // A paused run goes back to waiting, not queued.
    const QString paused = enqueue(2000);
    const Claim held = claim(QStringLiteral("w1"), m_t0);
    QVERIFY(RunQueue(*m_db).defer(held, m_t0));
    QVERIFY(RunStore(*m_db).suspend(paused, RunStatus::Waiting,
                                    Json{{"step_index", 0}, {"kind", "wait"}}));
    const Claim resumed = claim(QStringLiteral("w1"), m_t0);
    QCOMPARE(resumed.runId, paused);
    QVERIFY(RunQueue(*m_db).unclaim(resumed));
    QCOMPARE(statusOf(paused), QStringLiteral("waiting"));
}

QTEST_GUILESS_MAIN(tst_RunStates)
#include "tst_RunStates.moc"
