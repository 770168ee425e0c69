// StepTableModel: the steps of the selected run.
#pragma once

#include "core/StepRecord.h"

#include <QAbstractTableModel>

#include <vector>

namespace ordinaut {

class StepTableModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Index, Step, Tool, Status, Duration, ColumnCount };

    explicit StepTableModel(QObject *parent = nullptr);

    void setSteps(std::vector<StepRecord> steps);
    const StepRecord *stepAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<StepRecord> m_steps;
};

} // namespace ordinaut
