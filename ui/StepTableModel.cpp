// StepTableModel implementation.
#include "StepTableModel.h"

#include "Formatting.h"

namespace ordinaut {

StepTableModel::StepTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

void StepTableModel::setSteps(std::vector<StepRecord> steps)
{
    if (steps.size() >= m_steps.size() && !m_steps.empty()) {
        // Steps only ever get appended while a run goes on: keep the existing rows (and the
        // selection) and add the new ones.
        const int first = static_cast<int>(m_steps.size());
        if (steps.size() > m_steps.size()) {
            beginInsertRows({}, first, static_cast<int>(steps.size()) - 1);
            m_steps = std::move(steps);
            endInsertRows();
        } else {
            m_steps = std::move(steps);
        }
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_steps = std::move(steps);
    endResetModel();
}

const StepRecord *StepTableModel::stepAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_steps[static_cast<size_t>(row)] : nullptr;
}

int StepTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_steps.size());
}

int StepTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant StepTableModel::data(const QModelIndex &index, int role) const
{
    const StepRecord *step = stepAt(index.row());
    if (!step)
        return {};
    if (role == Qt::ForegroundRole && index.column() == Status)
        return ui::statusColor(step->status == StepStatus::Succeeded ? RunStatus::Succeeded
                               : step->status == StepStatus::Failed  ? RunStatus::Failed
                                                                     : RunStatus::Queued);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Index:
        return step->index + 1;
    case Step:
        return step->stepId;
    case Tool:
        return step->uses;
    case Status:
        switch (step->status) {
        case StepStatus::Succeeded:
            return tr("Succeeded");
        case StepStatus::Failed:
            return tr("Failed");
        case StepStatus::Skipped:
            return tr("Skipped");
        case StepStatus::Waiting:
            return tr("Waiting");
        case StepStatus::TimedOut:
            return tr("Timed out");
        case StepStatus::Canceled:
            return tr("Canceled");
        }
        return {};
    case Duration:
        return ui::duration(step->startedAt, step->finishedAt);
    }
    return {};
}

QVariant StepTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Index:
        return QStringLiteral("#");
    case Step:
        return tr("Step");
    case Tool:
        return tr("Tool");
    case Status:
        return tr("Status");
    case Duration:
        return tr("Duration");
    }
    return {};
}

} // namespace ordinaut
