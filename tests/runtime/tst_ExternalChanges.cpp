// ExternalChanges: a run queued through another engine's database connection (as another
// process would) is picked up by this engine's workers at once, not at its scheduler's next
// wake-up a minute later.
#include "support/TempDataDir.h"

#include "runtime/Engine.h"
#include "service/Services.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTest>

using namespace ordinaut;

class tst_ExternalChanges final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void runQueuedElsewhereIsPickedUpAtOnce();
    void anIdleEngineStaysQuiet();
};

void tst_ExternalChanges::runQueuedElsewhereIsPickedUpAtOnce()
{
    test::TempDataDir dir;
    // The engine that runs: its own Database object, so its own connections.
    Result<std::unique_ptr<Engine>> runner = Engine::create(EngineOptions{dir.path(), 1, nullptr});
    QVERIFY(runner);
    Services runnerServices(**runner);
    (*runner)->start();
    // The other side: never started, it only queues (like `ordinaut-server` on the same folder
    // while the desktop app runs).
    Result<std::unique_ptr<Engine>> other = Engine::create(EngineOptions{dir.path(), 1, nullptr});
    QVERIFY(other);
    Services otherServices(**other);
    QTest::qWait(200); // the runner's scheduler has looked and gone to sleep for a minute

    Result<Task> task = otherServices.tasks.create(
        Json{{"title", "from elsewhere"},
             {"schedule_kind", "manual"},
             {"payload", {{"pipeline", Json::parse(R"j([{"id":"a","uses":"debug.echo"}])j")}}}},
        QStringLiteral("test"));
    QVERIFY2(task, task ? "" : qPrintable(task.error().describe()));
    QElapsedTimer waited;
    waited.start();
    Result<Run> queued
        = otherServices.runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(queued);
    QTRY_VERIFY_WITH_TIMEOUT(runnerServices.runs.get(queued->id, false)->isFinished(), 5000);
    const Run done = *runnerServices.runs.get(queued->id, false);
    QCOMPARE(toString(done.status), QStringLiteral("succeeded"));
    QVERIFY2(done.worker.startsWith((*runner)->id()), qPrintable(done.worker));
    QVERIFY2(waited.elapsed() < 5000, qPrintable(QString::number(waited.elapsed())));
    (*runner)->stop();
}

void tst_ExternalChanges::anIdleEngineStaysQuiet()
{
    // Its own writes (the scheduler's, the checkpointer's) must not set off a loop of looks and
    // rescans that write again.
    test::TempDataDir dir;
    Result<std::unique_ptr<Engine>> engine = Engine::create(EngineOptions{dir.path(), 1, nullptr});
    QVERIFY(engine);
    Services services(**engine);
    QVERIFY(services.tasks.create(
        Json{{"title", "hourly"},
             {"schedule_kind", "rrule"},
             {"schedule_expr", "FREQ=HOURLY"},
             {"payload", {{"pipeline", Json::parse(R"j([{"id":"a","uses":"debug.echo"}])j")}}}},
        QStringLiteral("test")));
    (*engine)->start();
    QTest::qWait(1000); // start-up writes settle (checkpoint after 200 ms)
    const QString wal = dir.databaseFile() + QStringLiteral("-wal");
    const QDateTime before = QFileInfo(wal).lastModified();
    const qint64 sizeBefore = QFileInfo(wal).size();
    QTest::qWait(1500);
    QCOMPARE(QFileInfo(wal).size(), sizeBefore);
    QVERIFY2(QFileInfo(wal).lastModified() == before, "the idle engine kept writing");
    (*engine)->stop();
}

QTEST_GUILESS_MAIN(tst_ExternalChanges)
#include "tst_ExternalChanges.moc"
