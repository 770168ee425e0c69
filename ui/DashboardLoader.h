// DashboardLoader: fetches what the main window shows (tasks, latest runs, recent runs, the
// selected run's steps) on a pool thread and hands the result back as values, so the GUI thread
// never waits on the database.
#pragma once

#include "core/Result.h"
#include "core/Run.h"
#include "core/Task.h"

#include <QFutureWatcher>
#include <QObject>
#include <QThreadPool>

#include <vector>

namespace ordinaut {

struct Services;

struct DashboardSnapshot
{
    std::vector<Task> tasks;
    std::vector<Run> latestRuns;
    std::vector<Run> recentRuns;
    int taskTotal = 0;
    QString error; // empty when everything loaded
};

class DashboardLoader final : public QObject
{
    Q_OBJECT
public:
    explicit DashboardLoader(Services &services, QObject *parent = nullptr);
    // Waits for a load in flight: it uses the services, which may go away next.
    ~DashboardLoader() override;

    static constexpr int kRecentRuns = 200;
    static constexpr int kTasks = 500;

    // Starts a load; a request while one is running is merged into one more load afterwards.
    void requestDashboard();
    void requestRun(const QString &runId);

signals:
    void dashboardLoaded(const ordinaut::DashboardSnapshot &snapshot);
    void runLoaded(const ordinaut::Run &run);
    void loadFailed(const QString &message);

private:
    void startDashboard();

    Services &m_services;
    // Own threads, not the global pool: each holds a database connection that must close (when
    // the thread ends) before the process tears down Qt's globals.
    QThreadPool m_pool;
    QFutureWatcher<DashboardSnapshot> m_dashboard;
    QFutureWatcher<Result<Run>> m_run;
    bool m_dashboardAgain = false;
    QString m_runAgain;
};

} // namespace ordinaut

Q_DECLARE_METATYPE(ordinaut::DashboardSnapshot)
