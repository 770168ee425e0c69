// Stopping the engine lets a run in progress finish and be recorded: a worker blocked in a slow
// http.request is not cut off (its nested event loop must survive the shutdown request).
#include "support/TempDataDir.h"

#include "runtime/Engine.h"
#include "service/Services.h"

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
    void stopWaitsForRunInProgress();
};

void tst_WorkerShutdown::stopWaitsForRunInProgress()
{
    QThread serverThread;
    auto *server = new SlowServer(800); // deleted on its own thread when that thread ends
    server->moveToThread(&serverThread);
    connect(&serverThread, &QThread::finished, server, &QObject::deleteLater);
    serverThread.start();
    quint16 port = 0;
    QMetaObject::invokeMethod(
        server, [&] { port = server->start(); }, Qt::BlockingQueuedConnection);
    QVERIFY(port != 0);

    test::TempDataDir dir;
    Result<std::unique_ptr<Engine>> engine = Engine::create(EngineOptions{dir.path(), 2, nullptr});
    QVERIFY(engine);
    Services services(**engine);
    (*engine)->start();
    Result<Task> task = services.tasks.create(
        Json{{"title", "slow"},
             {"payload",
              {{"pipeline",
                {{{"id", "call"},
                  {"uses", "http.request"},
                  {"with",
                   {{"url", QStringLiteral("http://127.0.0.1:%1/").arg(port).toStdString()}}}}}}}}},
        QStringLiteral("t"));
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

    serverThread.quit();
    serverThread.wait();
}

QTEST_GUILESS_MAIN(tst_WorkerShutdown)
#include "tst_WorkerShutdown.moc"
