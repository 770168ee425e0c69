// MainWindow implementation.
#include "MainWindow.h"

#include "DashboardLoader.h"
#include "Formatting.h"
#include "RunTableModel.h"
#include "StepTableModel.h"
#include "TaskTableModel.h"

#include "runtime/EventBus.h"

#include <QCloseEvent>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QVBoxLayout>

namespace ordinaut {

namespace {

QTableView *makeTable(QAbstractItemModel *model, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->setWordWrap(false);
    return view;
}

QWidget *titled(const QString &title, QWidget *content, QWidget *parent)
{
    auto *box = new QWidget(parent);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *label = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), box);
    layout->addWidget(label);
    layout->addWidget(content);
    content->setParent(box);
    return box;
}

QString pretty(const Json &value)
{
    return QString::fromStdString(value.dump(2, ' ', false, Json::error_handler_t::replace));
}

} // namespace

MainWindow::MainWindow(Services &services, EventBus &bus, QWidget *parent)
    : QMainWindow(parent)
    , m_services(services)
    , m_loader(new DashboardLoader(services, this))
    , m_tasks(new TaskTableModel(this))
    , m_runs(new RunTableModel(this))
    , m_steps(new StepTableModel(this))
{
    setWindowTitle(tr("Ordinaut"));
    resize(1100, 760);

    auto *vertical = new QSplitter(Qt::Vertical, this);
    m_taskView = makeTable(m_tasks, vertical);
    m_runView = makeTable(m_runs, vertical);
    vertical->addWidget(titled(tr("Tasks"), m_taskView, vertical));
    vertical->addWidget(titled(tr("Recent runs"), m_runView, vertical));

    auto *detailSplit = new QSplitter(Qt::Horizontal, vertical);
    m_stepView = makeTable(m_steps, detailSplit);
    m_detail = new QPlainTextEdit(detailSplit);
    m_detail->setReadOnly(true);
    m_detail->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_detail->setPlaceholderText(tr("Select a run, then a step, to see its input and output."));
    detailSplit->addWidget(titled(tr("Steps of the selected run"), m_stepView, detailSplit));
    detailSplit->addWidget(titled(tr("Step input and output"), m_detail, detailSplit));
    detailSplit->setSizes({460, 640});
    m_stepView->horizontalHeader()->resizeSection(StepTableModel::Index, 36);
    vertical->addWidget(detailSplit);
    vertical->setStretchFactor(0, 2);
    vertical->setStretchFactor(1, 3);
    vertical->setStretchFactor(2, 3);
    setCentralWidget(vertical);

    m_taskView->horizontalHeader()->resizeSection(TaskTableModel::Title, 260);
    m_taskView->horizontalHeader()->resizeSection(TaskTableModel::Schedule, 320);
    m_taskView->horizontalHeader()->resizeSection(TaskTableModel::NextRun, 160);
    m_taskView->horizontalHeader()->resizeSection(TaskTableModel::LastResult, 220);
    m_runView->horizontalHeader()->resizeSection(RunTableModel::Queued, 160);
    m_runView->horizontalHeader()->resizeSection(RunTableModel::Task, 260);

    m_counts = new QLabel(this);
    m_apiStatus = new QLabel(this);
    statusBar()->addWidget(m_counts, 1);
    statusBar()->addPermanentWidget(m_apiStatus);

    m_refreshSoon.setSingleShot(true);
    m_refreshSoon.setInterval(50);
    connect(&m_refreshSoon, &QTimer::timeout, this, &MainWindow::refresh);
    connect(&bus, &EventBus::eventPublished, this, &MainWindow::onEvent);
    connect(m_loader, &DashboardLoader::dashboardLoaded, this, &MainWindow::showSnapshot);
    connect(m_loader, &DashboardLoader::runLoaded, this, &MainWindow::showRun);
    connect(m_loader, &DashboardLoader::loadFailed, this, [this](const QString &message) {
        statusBar()->showMessage(tr("Could not load: %1").arg(message), 10000);
    });
    connect(m_runView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        const QString id = selectedRunId();
        if (id != m_shownRunId) {
            m_shownRunId = id;
            m_steps->setSteps({});
            m_detail->clear();
        }
        if (!id.isEmpty())
            m_loader->requestRun(id);
    });
    connect(m_stepView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::showSelectedStep);

    refresh();
}

MainWindow::~MainWindow() = default;

void MainWindow::setApiStatus(const QString &text)
{
    m_apiStatus->setText(text);
}

void MainWindow::refresh()
{
    m_loader->requestDashboard();
}

void MainWindow::onEvent(const Event &event)
{
    if (event.topic.startsWith(QLatin1String("task."))
        || event.topic.startsWith(QLatin1String("run.")))
        m_refreshSoon.start();
    // An agent's change through MCP, told as it happens.
    if (event.topic == QLatin1String("mcp.tool.called"))
        if (const QString action = ui::agentAction(event.payload); !action.isEmpty())
            statusBar()->showMessage(action, 15000);
    if (event.topic.startsWith(QLatin1String("run.")) && !m_shownRunId.isEmpty()
        && event.payload.value("run_id", std::string()) == m_shownRunId.toStdString())
        m_loader->requestRun(m_shownRunId);
}

void MainWindow::showSnapshot(const DashboardSnapshot &snapshot)
{
    m_tasks->setTasks(snapshot.tasks, snapshot.latestRuns);
    m_runs->setRuns(snapshot.recentRuns);
    m_counts->setText(
        tr("%n task(s)", nullptr, snapshot.taskTotal) + QStringLiteral(" · ")
        + tr("%n recent run(s)", nullptr, static_cast<int>(snapshot.recentRuns.size())));
}

void MainWindow::showRun(const Run &run)
{
    if (run.id != m_shownRunId)
        return;
    m_steps->setSteps(run.steps);
    if (!m_stepView->currentIndex().isValid() && !run.steps.empty())
        m_stepView->selectRow(0);
    showSelectedStep();
    if (run.steps.empty())
        m_detail->setPlainText(run.error.isEmpty() ? tr("No steps have finished yet.")
                                                   : tr("Error: %1").arg(run.error));
}

void MainWindow::showSelectedStep()
{
    const StepRecord *step = m_steps->stepAt(m_stepView->currentIndex().row());
    if (!step)
        return;
    QString text = tr("Step %1 (%2)").arg(step->stepId, step->uses) + QStringLiteral("\n\n")
                   + tr("Input:") + QLatin1Char('\n') + pretty(step->input)
                   + QStringLiteral("\n\n");
    if (step->status == StepStatus::Failed)
        text += tr("Error:") + QLatin1Char('\n') + step->error;
    else
        text += tr("Output:") + QLatin1Char('\n') + pretty(step->output);
    if (m_detail->toPlainText() != text)
        m_detail->setPlainText(text);
}

QString MainWindow::selectedRunId() const
{
    return m_runs
        ->data(m_runs->index(m_runView->currentIndex().row(), 0), RunTableModel::kRunIdRole)
        .toString();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    // The tray keeps Ordinaut running; the window only hides.
    emit closeRequested();
    QMainWindow::closeEvent(event);
}

} // namespace ordinaut
