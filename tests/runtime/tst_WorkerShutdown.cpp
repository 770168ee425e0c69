// Stopping the engine lets a run in progress finish and be recorded: a worker blocked in a slow
// http.request is not cut off (its nested event loop must survive the shutdown request). Runs
// the pool claimed ahead for busy workers are not shown running, and go back to the queue as
// they were when the engine stops. A burst of runs is spread over the pool's workers, whether
// each run wakes it or one change another engine made does.
#include "support/TempDataDir.h"

#include "runtime/Engine.h"
#include "service/Services.h"
#include "store/Database.h"
#include "store/Sql.h"
#include "store/WriteQueue.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

using namespace ordinaut;

namespace {

// Answers every request after `delayMs`, from its own thread (the test thread will be blocked
// in Engine::stop()).
class SlowServer final : public QObject
{
public:
    explicit SlowServer(int delayMs)
        : m_delayMs(delayMs)
    {}

    quint16 start()
    {
        m_server = new QTcpServer(this);
        connect(m_server, &QTcpServer::newConnection, this, [this] {
            QTcpSocket *socket = m_server->nextPendingConnection();
            connect(socket, &QTcpSocket::readyRead, socket, [socket, this] {
                socket->readAll();
                QTimer::singleShot(m_delayMs, socket, [socket] {
                    socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  "Content-Length: 11\r\nConnection: close\r\n\r\n{\"slow\":1}\n");
                    socket->disconnectFromHost();
                });
            });
        });
        m_server->listen(QHostAddress::LocalHost, 0);
        return m_server->serverPort();
    }

private:
    int m_delayMs;
    QTcpServer *m_server = nullptr;
};

} // namespace

class tst_WorkerShutdown final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void stopWaitsForRunInProgress();
    void runsClaimedAheadGoBackAtStop();
    void processedCountsAreSavedWhenIdleAndAtStop();
    void aBurstOfRunsIsSpreadOverTheWorkers();
    void runsQueuedElsewhereAtOnceAreSpreadOverTheWorkers();

private:
    quint16 m_port = 0;
    QThread m_serverThread;
};

void tst_WorkerShutdown::init()
{
    auto *server = new SlowServer(800); // deleted on its own thread when that thread ends
    server->moveToThread(&m_serverThread);
    connect(&m_serverThread, &QThread::finished, server, &QObject::deleteLater);
    m_serverThread.start();
    QMetaObject::invokeMethod(
        server, [&] { m_port = server->start(); }, Qt::BlockingQueuedConnection);
    QVERIFY(m_port != 0);
}

void tst_WorkerShutdown::cleanup()
{
    m_serverThread.quit();
    m_serverThread.wait();
}

namespace {

Json slowTask(quint16 port, const char *overlap)
{
    return Json{
        {"title", "slow"},
        {"overlap_policy", overlap},
        {"payload",
         {{"pipeline",
           {{{"id", "call"},
             {"uses", "http.request"},
             {"with",
              {{"url", QStringLiteral("http://127.0.0.1:%1/").arg(port).toStdString()}}}}}}}}};
}

// One integer from the engine's database, read on this thread's connection.
qint64 number(const Engine &engine, const QString &select)
{
    Result<QSqlQuery> q = sql::exec(engine.database().connection(), select);
    if (!q || !q->next())
        return -1;
    const qint64 value = q->value(0).toLongLong();
    q->finish();
    return value;
}

} // namespace

void tst_WorkerShutdown::stopWaitsForRunInProgress()
{
    test::TempDataDir dir;
    Result<std::unique_ptr<Engine>> engine = Engine::create(EngineOptions{dir.path(), 2, nullptr});
    QVERIFY(engine);
    Services services(**engine);
    (*engine)->start();
    Result<Task> task = services.tasks.create(slowTask(m_port, "queue_one"), QStringLiteral("t"));
    QVERIFY(task);
    Result<Run> run = services.runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("t"));
    QVERIFY(run);
    QTRY_VERIFY_WITH_TIMEOUT(services.runs.get(run->id, false)->status == RunStatus::Running, 5000);

    (*engine)->stop(); // while the request is still waiting for its reply

    Result<Run> after = services.runs.get(run->id, true);
    QVERIFY(after);
    QVERIFY2(after->status == RunStatus::Succeeded, qPrintable(after->error));
    QCOMPARE(int(after->steps.size()), 1);
    QVERIFY(after->steps[0].output["body"]["slow"] == 1);
}

void tst_WorkerShutdown::runsClaimedAheadGoBackAtStop()
{
    constexpr int kRuns = 6;
    test::TempDataDir dir;
    QString taskId;
    {
        Result<std::unique_ptr<Engine>> engine
            = Engine::create(EngineOptions{dir.path(), 2, nullptr});
        QVERIFY(engine);
        Services services(**engine);
        Result<Task> task = services.tasks.create(slowTask(m_port, "allow"), QStringLiteral("t"));
        QVERIFY(task);
        taskId = task->id;
        for (int i = 0; i < kRuns; ++i)
            QVERIFY(services.runs.runNow(taskId, RunTrigger::Manual, QStringLiteral("t")));
        (*engine)->start();
        // Two workers, each in an 800 ms request; the pool claimed runs ahead for them.
        QTRY_COMPARE_WITH_TIMEOUT(
            number(**engine, QStringLiteral("SELECT COUNT(*) FROM runs WHERE status='running'")),
            qint64(2), 5000);
        const qint64 ahead = number(
            **engine, QStringLiteral("SELECT COUNT(*) FROM run_queue q JOIN runs r ON r.id = "
                                     "q.run_id WHERE q.state='leased' AND r.status='queued'"));
        QVERIFY2(ahead >= 1, qPrintable(QStringLiteral("%1 runs claimed ahead").arg(ahead)));

        (*engine)->stop();

        // The two that ran are recorded; the others are queued again, not attempts.
        QCOMPARE(
            number(**engine, QStringLiteral("SELECT COUNT(*) FROM runs WHERE status='succeeded'")),
            qint64(2));
        QCOMPARE(number(**engine, QStringLiteral("SELECT COUNT(*) FROM run_queue WHERE "
                                                 "state IN ('leased', 'canceling')")),
                 qint64(0));
        QCOMPARE(number(**engine, QStringLiteral("SELECT COUNT(*) FROM runs WHERE status NOT IN "
                                                 "('succeeded', 'queued')")),
                 qint64(0));
        QCOMPARE(number(**engine, QStringLiteral("SELECT COUNT(*) FROM runs WHERE started_at "
                                                 "IS NOT NULL AND status='queued'")),
                 qint64(0));
    }
    // The next start runs them, each once, as its first attempt.
    Result<std::unique_ptr<Engine>> again = Engine::create(EngineOptions{dir.path(), 2, nullptr});
    QVERIFY(again);
    (*again)->start();
    QTRY_COMPARE_WITH_TIMEOUT(
        number(**again, QStringLiteral("SELECT COUNT(*) FROM runs WHERE status='succeeded'")),
        qint64(kRuns), 15000);
    QCOMPARE(number(**again, QStringLiteral("SELECT COUNT(*) FROM runs")), qint64(kRuns));
    QCOMPARE(number(**again, QStringLiteral("SELECT MAX(attempt) FROM runs")), qint64(1));
    (*again)->stop();
}

void tst_WorkerShutdown::processedCountsAreSavedWhenIdleAndAtStop()
{
    test::TempDataDir dir;
    Result<std::unique_ptr<Engine>> engine = Engine::create(EngineOptions{dir.path(), 1, nullptr});
    QVERIFY(engine);
    Services services(**engine);
    Result<Task> task = services.tasks.create(
        Json{{"title", "quick"},
             {"payload",
              {{"pipeline", {{{"id", "e"}, {"uses", "debug.echo"}, {"with", Json::object()}}}}}}},
        QStringLiteral("t"));
    QVERIFY2(task, task ? "" : qPrintable(task.error().describe()));
    (*engine)->start();
    const QString processed = QStringLiteral("SELECT COALESCE(SUM(processed), 0) FROM workers");
    const QString succeeded = QStringLiteral("SELECT COUNT(*) FROM runs WHERE status='succeeded'");
    // One at a time: the worker goes idle after each. The first is saved with its outcome, the
    // others together once the save interval is over.
    for (int i = 1; i <= 3; ++i) {
        QVERIFY(services.runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("t")));
        QTRY_COMPARE_WITH_TIMEOUT(number(**engine, succeeded), qint64(i), 5000);
    }
    QTRY_COMPARE_WITH_TIMEOUT(number(**engine, processed), qint64(3), 5000);
    // Stopping saves what is left at once.
    QVERIFY(services.runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("t")));
    QTRY_COMPARE_WITH_TIMEOUT(number(**engine, succeeded), qint64(4), 5000);
    (*engine)->stop();
    QCOMPARE(number(**engine, processed), qint64(4));
}

void tst_WorkerShutdown::aBurstOfRunsIsSpreadOverTheWorkers()
{
    // Four idle workers, four runs queued one after another: each run.queued wakes one worker,
    // an idle one, so all four runs are in their 800 ms request at the same time.
    constexpr int kWorkers = 4;
    test::TempDataDir dir;
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{dir.path(), kWorkers, nullptr});
    QVERIFY(engine);
    Services services(**engine);
    Result<Task> task = services.tasks.create(slowTask(m_port, "allow"), QStringLiteral("t"));
    QVERIFY(task);
    (*engine)->start();
    QTest::qWait(100); // the workers' first look found nothing: they are idle
    for (int i = 0; i < kWorkers; ++i)
        QVERIFY(services.runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("t")));
    QTRY_COMPARE_WITH_TIMEOUT(
        number(**engine, QStringLiteral("SELECT COUNT(*) FROM runs WHERE status='running'")),
        qint64(kWorkers), 600);
    (*engine)->stop();
}

void tst_WorkerShutdown::runsQueuedElsewhereAtOnceAreSpreadOverTheWorkers()
{
    // Runs queued by another engine's connection (as another process would) arrive as one
    // change: one wake-up, and the worker it reaches claims for the pool and wakes the others.
    constexpr int kWorkers = 8;
    test::TempDataDir dir;
    Result<std::unique_ptr<Engine>> runner
        = Engine::create(EngineOptions{dir.path(), kWorkers, nullptr});
    QVERIFY(runner);
    Services runnerServices(**runner);
    Result<Task> task = runnerServices.tasks.create(slowTask(m_port, "allow"), QStringLiteral("t"));
    QVERIFY(task);
    (*runner)->start();
    Result<std::unique_ptr<Engine>> other = Engine::create(EngineOptions{dir.path(), 1, nullptr});
    QVERIFY(other);
    Services otherServices(**other);
    QTest::qWait(100);
    const Status queued = (*other)->database().writer().write(Durability::Durable, [&]() -> Status {
        // Inside one piece: every runNow joins it, and all four arrive in one commit.
        for (int i = 0; i < kWorkers; ++i)
            if (Result<Run> run
                = otherServices.runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("t"));
                !run)
                return run.error();
        return {};
    });
    QVERIFY2(queued, queued ? "" : qPrintable(queued.error().describe()));
    QTRY_COMPARE_WITH_TIMEOUT(
        number(**runner, QStringLiteral("SELECT COUNT(*) FROM runs WHERE status='running'")),
        qint64(kWorkers), 700);
    (*runner)->stop();
}

QTEST_GUILESS_MAIN(tst_WorkerShutdown)
#include "tst_WorkerShutdown.moc"
