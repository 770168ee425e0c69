// GUI smoke test, offscreen: the main window on a temp data folder shows a task created through
// the service layer, and a run appears and finishes live, with its steps on selection.
#include "support/TempDataDir.h"

#include "MainWindow.h"
#include "RunTableModel.h"
#include "StepTableModel.h"
#include "TaskTableModel.h"

#include "runtime/Engine.h"
#include "runtime/EventBus.h"
#include "service/Services.h"

#include <QPlainTextEdit>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTest>

using namespace ordinaut;

class tst_MainWindow final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void showsTaskCreatedThroughServices();
    void newRunAppearsLiveAndShowsItsSteps();
    void agentActionsThroughMcpAreTold();

private:
    test::TempDataDir m_dataDir;
};

void tst_MainWindow::showsTaskCreatedThroughServices()
{
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dataDir.path(), 1, nullptr});
    QVERIFY(engine);
    Services services(**engine);
    const Json body = Json::parse(R"({"title":"Water the plants","schedule_kind":"rrule",
        "schedule_expr":"FREQ=DAILY;BYHOUR=8;BYMINUTE=0","timezone":"Europe/Berlin",
        "dtstart":"2026-01-01T08:00:00",
        "payload":{"pipeline":[{"id":"say","uses":"debug.echo","with":{"text":"water"}}]}})");
    Result<Task> task = services.tasks.create(body, QStringLiteral("test"));
    QVERIFY2(task, qPrintable(task ? QString() : task.error().describe()));

    MainWindow window(services, (*engine)->eventBus());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    TaskTableModel *model = window.taskModel();
    QTRY_COMPARE(model->rowCount(), 1);
    QCOMPARE(model->index(0, TaskTableModel::Title).data().toString(),
             QStringLiteral("Water the plants"));
    QCOMPARE(model->index(0, TaskTableModel::Schedule).data().toString(),
             QStringLiteral("Every day at 08:00 (Europe/Berlin)"));
    QCOMPARE(model->index(0, TaskTableModel::LastResult).data().toString(),
             QStringLiteral("never run"));
    QVERIFY(
        model->index(0, TaskTableModel::NextRun).data().toString().startsWith(QLatin1String("20")));

    // A task created while the window is open appears without a refresh.
    Result<Task> second = services.tasks.create(
        Json::parse(
            R"({"title":"Second","payload":{"pipeline":[{"id":"a","uses":"debug.echo","with":{}}]}})"),
        QStringLiteral("test"));
    QVERIFY(second);
    QTRY_COMPARE(model->rowCount(), 2);
}

void tst_MainWindow::newRunAppearsLiveAndShowsItsSteps()
{
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dataDir.path(), 2, nullptr});
    QVERIFY(engine);
    Services services(**engine);
    (*engine)->start();
    Result<Task> task = services.tasks.create(
        Json::parse(R"({"title":"Echo now","payload":{"params":{"who":"world"},
            "pipeline":[{"id":"hello","uses":"debug.echo","with":{"greeting":"hello ${params.who}"}}]}})"),
        QStringLiteral("test"));
    QVERIFY(task);

    MainWindow window(services, (*engine)->eventBus());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    RunTableModel *runs = window.runModel();
    const int before = runs->rowCount();

    Result<Run> run = services.runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("test"));
    QVERIFY(run);
    QTRY_COMPARE(runs->rowCount(), before + 1);
    QTRY_COMPARE(runs->index(0, RunTableModel::Status).data().toString(),
                 QStringLiteral("Succeeded"));
    QCOMPARE(runs->index(0, RunTableModel::Task).data().toString(), QStringLiteral("Echo now"));

    window.runView()->selectRow(0);
    QTRY_COMPARE(window.stepModel()->rowCount(), 1);
    QTRY_VERIFY(window.detailView()->toPlainText().contains(QLatin1String("hello world")));
    (*engine)->stop();
}

void tst_MainWindow::agentActionsThroughMcpAreTold()
{
    Result<std::unique_ptr<Engine>> engine
        = Engine::create(EngineOptions{m_dataDir.path(), 1, nullptr});
    QVERIFY(engine);
    Services services(**engine);
    MainWindow window(services, (*engine)->eventBus());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    EventBus &bus = (*engine)->eventBus();
    // What McpServer publishes for each tool call.
    QVERIFY(bus.publish(QStringLiteral("mcp.tool.called"),
                        Json{{"tool", "create_task"},
                             {"ok", true},
                             {"agent_name", "Claude"},
                             {"subject", "t1"},
                             {"title", "Daily briefing"}},
                        QStringLiteral("agent:a1")));
    QTRY_COMPARE(window.statusBar()->currentMessage(),
                 QString::fromUtf8("Claude created task \u2018Daily briefing\u2019"));
    // Reads and failed calls change nothing, so they are not told.
    window.statusBar()->clearMessage();
    QVERIFY(bus.publish(QStringLiteral("mcp.tool.called"),
                        Json{{"tool", "list_tasks"}, {"ok", true}, {"agent_name", "Claude"}},
                        QStringLiteral("agent:a1")));
    QVERIFY(bus.publish(QStringLiteral("mcp.tool.called"),
                        Json{{"tool", "pause_task"}, {"ok", false}, {"agent_name", "Claude"}},
                        QStringLiteral("agent:a1")));
    QVERIFY(bus.publish(QStringLiteral("mcp.tool.called"),
                        Json{{"tool", "run_task_now"},
                             {"ok", true},
                             {"agent_name", "Claude"},
                             {"title", "Daily briefing"}},
                        QStringLiteral("agent:a1")));
    QTRY_COMPARE(window.statusBar()->currentMessage(),
                 QString::fromUtf8("Claude started a run of \u2018Daily briefing\u2019"));
}

QTEST_MAIN(tst_MainWindow)
#include "tst_MainWindow.moc"
