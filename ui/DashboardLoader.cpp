// DashboardLoader implementation on QtConcurrent.
#include "DashboardLoader.h"

#include "service/Services.h"

#include <QtConcurrent/QtConcurrentRun>

namespace ordinaut {

DashboardLoader::DashboardLoader(Services &services, QObject *parent)
    : QObject(parent)
    , m_services(services)
{
    m_pool.setMaxThreadCount(2);
    connect(&m_dashboard, &QFutureWatcher<DashboardSnapshot>::finished, this, [this] {
        const DashboardSnapshot snapshot = m_dashboard.result();
        if (!snapshot.error.isEmpty())
            emit loadFailed(snapshot.error);
        else
            emit dashboardLoaded(snapshot);
        if (m_dashboardAgain) {
            m_dashboardAgain = false;
            startDashboard();
        }
    });
    connect(&m_run, &QFutureWatcher<Result<Run>>::finished, this, [this] {
        const Result<Run> run = m_run.result();
        if (run)
            emit runLoaded(*run);
        else if (run.error().code != ErrorCode::NotFound)
            emit loadFailed(run.error().describe());
        if (!m_runAgain.isEmpty()) {
            const QString id = std::exchange(m_runAgain, QString());
            requestRun(id);
        }
    });
}

DashboardLoader::~DashboardLoader()
{
    m_dashboard.waitForFinished();
    m_run.waitForFinished();
    m_pool.waitForDone();
}

void DashboardLoader::requestDashboard()
{
    if (m_dashboard.isRunning()) {
        m_dashboardAgain = true;
        return;
    }
    startDashboard();
}

void DashboardLoader::startDashboard()
{
    Services &services = m_services;
    m_dashboard.setFuture(QtConcurrent::run(&m_pool, [&services] {
        DashboardSnapshot snapshot;
        Result<TaskPage> tasks = services.tasks.list(std::nullopt, kTasks, 0);
        Result<std::vector<Run>> latest = services.runs.latestPerTask();
        RunFilter filter;
        filter.limit = kRecentRuns;
        Result<RunPage> runs = services.runs.list(filter);
        if (!tasks || !latest || !runs) {
            snapshot.error = !tasks
                                 ? tasks.error().describe()
                                 : (!latest ? latest.error().describe() : runs.error().describe());
            return snapshot;
        }
        snapshot.tasks = std::move(tasks->items);
        snapshot.taskTotal = tasks->total;
        snapshot.latestRuns = std::move(*latest);
        snapshot.recentRuns = std::move(runs->items);
        return snapshot;
    }));
}

void DashboardLoader::requestRun(const QString &runId)
{
    if (m_run.isRunning()) {
        m_runAgain = runId;
        return;
    }
    Services &services = m_services;
    m_run.setFuture(
        QtConcurrent::run(&m_pool, [&services, runId] { return services.runs.get(runId, true); }));
}

} // namespace ordinaut
