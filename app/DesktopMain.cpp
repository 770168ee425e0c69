// ordinaut: the desktop app — the embedded engine and local API, the main window and a tray
// icon that keeps Ordinaut running while its window is closed.
#include "ServerHost.h"

#include "MainWindow.h"
#include "TrayIcon.h"
#include "TrayNotifier.h"
#include "tools/ToolEnvironment.h"

#include "core/Log.h"
#include "runtime/Engine.h"
#include "service/Services.h"
#include "store/DataDir.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFutureWatcher>
#include <QLibraryInfo>
#include <QMessageBox>
#include <QScopeGuard>
#include <QThreadPool>
#include <QTranslator>
#include <QtConcurrent/QtConcurrentRun>

using namespace ordinaut;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Ordinaut"));
    QApplication::setApplicationName(QStringLiteral("Ordinaut"));
    QApplication::setApplicationVersion(QStringLiteral(ORDINAUT_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/ordinaut/icons/ordinaut.png")));

    QTranslator translator;
    if (translator.load(QLocale(), QStringLiteral("ordinaut"), QStringLiteral("_"),
                        QStringLiteral(":/i18n")))
        QApplication::installTranslator(&translator);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "Ordinaut — your agents' scheduler"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption({QStringLiteral("data-dir"), QApplication::translate("main", "Data folder."),
                      QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("listen"),
                      QApplication::translate("main", "Local API address."),
                      QStringLiteral("HOST:PORT"), QStringLiteral("127.0.0.1:8080")});
    parser.process(app);

    const QString dataDir = resolveDataDir(parser.value(QStringLiteral("data-dir")));
    QStringList warnings;
    // Logs: standard error and <data dir>/logs/ordinaut.log (rotated), Qt's messages included.
    LogOptions logging;
    logging.directory = QDir(dataDir).filePath(QStringLiteral("logs"));
    if (Status logged = Log::setUp(logging); !logged)
        warnings << logged.error().describe();
    const auto closeLog = qScopeGuard([] { Log::shutDown(); });
    Result<std::unique_ptr<ServerHost>> host
        = ServerHost::create(dataDir, [&warnings](const QString &message) { warnings << message; });
    if (!host) {
        QMessageBox::critical(nullptr, QApplication::translate("main", "Ordinaut cannot start"),
                              host.error().describe());
        return 1;
    }
    (*host)->startEngine();

    MainWindow window((*host)->services(), (*host)->engine().eventBus());
    Result<ListenAddress> address = ListenAddress::parse(parser.value(QStringLiteral("listen")));
    if (!address) {
        window.setApiStatus(address.error().describe());
    } else if (Result<quint16> port = (*host)->startApi(*address); !port) {
        window.setApiStatus(
            QApplication::translate("main", "Local API off: %1").arg(port.error().message));
    } else {
        address->port = *port;
        window.setApiStatus(QApplication::translate("main", "Local API: %1").arg(address->url()));
    }
    for (const QString &warning : std::as_const(warnings))
        qWarning("%s", qPrintable(warning));

    // Background jobs ("Pause all") use the services and a database connection per thread: their
    // own pool, destroyed (threads joined) before the host goes.
    QThreadPool jobs;
    TrayIcon tray;
    const bool trayAvailable = TrayIcon::isAvailable();
    // With a tray, closing the window hides it and Ordinaut keeps running; without one, closing
    // is the only way out, so it quits.
    QApplication::setQuitOnLastWindowClosed(!trayAvailable);
    // notify.desktop steps show up as tray messages while the tray lives; the log otherwise.
    Engine &engine = (*host)->engine();
    auto notifier = std::make_shared<TrayNotifier>();
    if (trayAvailable) {
        tray.show();
        QObject::connect(notifier.get(), &TrayNotifier::notificationRequested, &tray,
                         &TrayIcon::showMessage, Qt::QueuedConnection);
        engine.toolEnvironment().setNotifier(notifier);
    }
    auto restoreLogNotifier
        = qScopeGuard([&engine] { engine.toolEnvironment().setNotifier(nullptr); });
    QObject::connect(&tray, &TrayIcon::openRequested, &window, [&window] {
        window.showNormal();
        window.raise();
        window.activateWindow();
    });
    QObject::connect(&tray, &TrayIcon::quitRequested, &app, &QApplication::quit);
    Services &services = (*host)->services();
    QObject::connect(&tray, &TrayIcon::pauseAllRequested, &window, [&services, &tray, &jobs] {
        // Off the GUI thread: pausing touches every task.
        auto *watcher = new QFutureWatcher<Result<int>>(&tray);
        QObject::connect(watcher, &QFutureWatcher<Result<int>>::finished, &tray, [watcher, &tray] {
            const Result<int> paused = watcher->result();
            tray.showMessage(
                QApplication::translate("main", "Ordinaut"),
                paused ? QApplication::translate("main", "Paused %n task(s).", nullptr, *paused)
                       : paused.error().describe());
            watcher->deleteLater();
        });
        watcher->setFuture(QtConcurrent::run(
            &jobs, [&services] { return services.tasks.pauseAll(QStringLiteral("desktop")); }));
    });
    window.show();

    const int code = QApplication::exec();
    (*host)->stop();
    return code;
}
