// GUI smoke test, offscreen: the main window on a temp data folder shows a task created through
// the service layer, and a run appears and finishes live, with its steps on selection.
#include "support/TempDataDir.h"

#include "MainWindow.h"
#include "RunTableModel.h"
#include "StepTableModel.h"
#include "TaskTableModel.h"

#include "runtime/Engine.h"
#include "service/Services.h"

#include <QPlainTextEdit>
#include <QStandardPaths>
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

QTEST_MAIN(tst_MainWindow)
#include "tst_MainWindow.moc"
