// RunTableModel implementation: merges a new snapshot by id so rows keep their identity.
#include "RunTableModel.h"

#include "Formatting.h"

namespace ordinaut {

RunTableModel::RunTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

void RunTableModel::setRuns(std::vector<Run> runs)
{
    // The common change is "new runs on top, some statuses changed": insert the new rows at the
    // top and update the rest in place, so a selected run stays selected.
    size_t fresh = 0;
    while (fresh < runs.size() && (m_runs.empty() || runs[fresh].id > m_runs.front().id))
        ++fresh;
    const bool tailMatches
        = runs.size() - fresh <= m_runs.size()
          && std::equal(runs.begin() + static_cast<std::ptrdiff_t>(fresh), runs.end(),
                        m_runs.begin(), [](const Run &a, const Run &b) { return a.id == b.id; });
    if (!tailMatches) {
        beginResetModel();
        m_runs = std::move(runs);
        endResetModel();
        return;
    }
    const size_t kept = runs.size() - fresh;
    if (kept < m_runs.size()) {
        beginRemoveRows({}, static_cast<int>(kept), static_cast<int>(m_runs.size()) - 1);
        m_runs.resize(kept);
        endRemoveRows();
    }
    if (fresh > 0) {
        beginInsertRows({}, 0, static_cast<int>(fresh) - 1);
        m_runs.insert(m_runs.begin(), runs.begin(),
                      runs.begin() + static_cast<std::ptrdiff_t>(fresh));
        endInsertRows();
    }
    for (size_t i = fresh; i < runs.size(); ++i)
        m_runs[i] = std::move(runs[i]);
    if (!m_runs.empty())
        emit dataChanged(index(static_cast<int>(fresh), 0), index(rowCount() - 1, ColumnCount - 1));
}

const Run *RunTableModel::runAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_runs[static_cast<size_t>(row)] : nullptr;
}

int RunTableModel::rowOf(const QString &runId) const
{
    for (size_t i = 0; i < m_runs.size(); ++i) {
        if (m_runs[i].id == runId)
            return static_cast<int>(i);
    }
    return -1;
}

int RunTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_runs.size());
}

int RunTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunTableModel::data(const QModelIndex &index, int role) const
{
    const Run *run = runAt(index.row());
    if (!run)
        return {};
    if (role == kRunIdRole)
        return run->id;
    if (role == Qt::ForegroundRole && index.column() == Status)
        return ui::statusColor(run->status);
    if (role == Qt::ToolTipRole && index.column() == ErrorText)
        return run->error;
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Queued:
        return ui::localTime(run->queuedAt);
    case Task:
        return run->taskTitle.isEmpty() ? tr("(deleted task)") : run->taskTitle;
    case Status:
        return ui::statusText(run->status);
    case Trigger:
        return toString(run->trigger);
    case Duration:
        return ui::duration(run->startedAt, run->finishedAt);
    case ErrorText:
        return run->error.section(QLatin1Char('\n'), 0, 0);
    }
    return {};
}

QVariant RunTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Queued:
        return tr("Queued");
    case Task:
        return tr("Task");
    case Status:
        return tr("Status");
    case Trigger:
        return tr("Trigger");
    case Duration:
        return tr("Duration");
    case ErrorText:
        return tr("Error");
    }
    return {};
}

} // namespace ordinaut
