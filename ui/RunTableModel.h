// RunTableModel: recent runs, newest first, updated in place as their status changes.
#pragma once

#include "core/Run.h"

#include <QAbstractTableModel>

#include <vector>

namespace ordinaut {

class RunTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Queued, Task, Status, Trigger, Duration, ErrorText, ColumnCount };
    static constexpr int kRunIdRole = Qt::UserRole + 1;

    explicit RunTableModel(QObject *parent = nullptr);

    void setRuns(std::vector<Run> runs);
    const Run *runAt(int row) const;
    int rowOf(const QString &runId) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<Run> m_runs;
};

} // namespace ordinaut
