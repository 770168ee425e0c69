// TaskTableModel implementation.
#include "TaskTableModel.h"

#include "Formatting.h"

#include "schedule/ScheduleText.h"

namespace ordinaut {

namespace {

QString statusText(TaskStatus status)
{
    switch (status) {
    case TaskStatus::Active:
        return TaskTableModel::tr("Active");
    case TaskStatus::Paused:
        return TaskTableModel::tr("Paused");
    case TaskStatus::Proposed:
        return TaskTableModel::tr("Proposed");
    case TaskStatus::Archived:
        return TaskTableModel::tr("Archived");
    }
    return {};
}

// Only an active task has a next run; the others say why not.
QString nextRunText(const Task &task)
{
    switch (task.status) {
    case TaskStatus::Active:
        return ui::localTime(task.nextRunAt);
    case TaskStatus::Paused:
        return TaskTableModel::tr("paused");
    case TaskStatus::Proposed:
        return TaskTableModel::tr("awaiting your acceptance");
    case TaskStatus::Archived:
        return TaskTableModel::tr("archived");
    }
    return {};
}

} // namespace

TaskTableModel::TaskTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

void TaskTableModel::setTasks(std::vector<Task> tasks, const std::vector<Run> &latestRuns)
{
    QHash<QString, Run> latest;
    for (const Run &run : latestRuns)
        latest.insert(run.taskId, run);
    const bool sameRows = tasks.size() == m_tasks.size()
                          && std::equal(tasks.begin(), tasks.end(), m_tasks.begin(),
                                        [](const Task &a, const Task &b) { return a.id == b.id; });
    if (sameRows) {
        // Same tasks in the same order: update in place so selection and scrolling stay put.
        m_tasks = std::move(tasks);
        m_latest = std::move(latest);
        if (!m_tasks.empty())
            emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_tasks = std::move(tasks);
    m_latest = std::move(latest);
    endResetModel();
}

const Task *TaskTableModel::taskAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_tasks[static_cast<size_t>(row)] : nullptr;
}

int TaskTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_tasks.size());
}

int TaskTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TaskTableModel::data(const QModelIndex &index, int role) const
{
    const Task *task = taskAt(index.row());
    if (!task)
        return {};
    const auto latest = m_latest.constFind(task->id);
    const bool hasRun = latest != m_latest.constEnd();
    if (role == kTaskIdRole)
        return task->id;
    if (role == Qt::ForegroundRole && index.column() == LastResult && hasRun)
        return ui::statusColor(latest->status);
    if (role == Qt::ToolTipRole && index.column() == LastResult && hasRun
        && !latest->error.isEmpty())
        return latest->error;
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Title:
        return task->title;
    case Schedule:
        return ScheduleText::describe(task->schedule);
    case NextRun:
        return nextRunText(*task);
    case LastResult:
        return hasRun ? ui::statusText(latest->status) + QStringLiteral(" · ")
                            + ui::localTime(latest->queuedAt)
                      : tr("never run");
    case Status:
        return statusText(task->status);
    }
    return {};
}

QVariant TaskTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Title:
        return tr("Title");
    case Schedule:
        return tr("Schedule");
    case NextRun:
        return tr("Next run");
    case LastResult:
        return tr("Last result");
    case Status:
        return tr("Status");
    }
    return {};
}

} // namespace ordinaut
