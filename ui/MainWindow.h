// MainWindow: tasks, recent runs (live) and the selected run's steps with their input and
// output. Talks to the engine only through the service layer and its events.
#pragma once

#include "core/Event.h"

#include <QMainWindow>
#include <QTimer>

class QLabel;
class QPlainTextEdit;
class QTableView;
class QTabWidget;

namespace ordinaut {

class DashboardLoader;
class EventBus;
class RunTableModel;
class StepTableModel;
class TaskTableModel;
struct DashboardSnapshot;
struct Run;
struct Services;

class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(Services &services, EventBus &bus, QWidget *parent = nullptr);
    ~MainWindow() override;
    Q_DISABLE_COPY_MOVE(MainWindow)

    // Shown in the status bar: where the API listens, or why it does not.
    void setApiStatus(const QString &text);

    // For tests and the tray: the models behind the views.
    TaskTableModel *taskModel() const { return m_tasks; }
    RunTableModel *runModel() const { return m_runs; }
    StepTableModel *stepModel() const { return m_steps; }
    QTableView *runView() const { return m_runView; }
    QPlainTextEdit *detailView() const { return m_detail; }
    void refresh();

signals:
    void closeRequested();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void onEvent(const ordinaut::Event &event);
    void showSnapshot(const DashboardSnapshot &snapshot);
    void showRun(const Run &run);
    void showSelectedStep();
    QString selectedRunId() const;

    Services &m_services;
    DashboardLoader *m_loader;
    TaskTableModel *m_tasks;
    RunTableModel *m_runs;
    StepTableModel *m_steps;
    QTableView *m_taskView;
    QTableView *m_runView;
    QTableView *m_stepView;
    QPlainTextEdit *m_detail;
    QLabel *m_counts;
    QLabel *m_apiStatus;
    QTimer m_refreshSoon; // coalesces bursts of events into one reload
    QString m_shownRunId;
};

} // namespace ordinaut
