// TaskTableModel: the task list (title, schedule, next run, last result, status) for a view.
// Fed with snapshots loaded off the GUI thread; never queries anything itself.
#pragma once

#include "core/Run.h"
#include "core/Task.h"

#include <QAbstractTableModel>
#include <QHash>

#include <vector>

namespace ordinaut {

class TaskTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Title, Schedule, NextRun, LastResult, Status, ColumnCount };
    static constexpr int kTaskIdRole = Qt::UserRole + 1;

    explicit TaskTableModel(QObject *parent = nullptr);

    void setTasks(std::vector<Task> tasks, const std::vector<Run> &latestRuns);
    const Task *taskAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<Task> m_tasks;
    QHash<QString, Run> m_latest;
};

} // namespace ordinaut
