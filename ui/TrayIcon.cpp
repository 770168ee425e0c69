// TrayIcon implementation.
#include "TrayIcon.h"

#include <QMenu>
#include <QSystemTrayIcon>

namespace ordinaut {

TrayIcon::TrayIcon(QObject *parent)
    : QObject(parent)
    , m_menu(new QMenu)
    , m_icon(new QSystemTrayIcon(QIcon(QStringLiteral(":/ordinaut/icons/ordinaut.png")), this))
{
    m_menu->addAction(tr("Open Ordinaut"), this, &TrayIcon::openRequested);
    m_menu->addAction(tr("Pause all tasks"), this, &TrayIcon::pauseAllRequested);
    m_menu->addSeparator();
    m_menu->addAction(tr("Quit"), this, &TrayIcon::quitRequested);
    m_icon->setContextMenu(m_menu);
    m_icon->setToolTip(tr("Ordinaut"));
    connect(m_icon, &QSystemTrayIcon::activated, this,
            [this](QSystemTrayIcon::ActivationReason reason) {
                if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
                    emit openRequested();
            });
}

TrayIcon::~TrayIcon()
{
    delete m_menu; // QMenu cannot take a QObject parent
}

bool TrayIcon::isAvailable()
{
    return QSystemTrayIcon::isSystemTrayAvailable();
}

void TrayIcon::show()
{
    m_icon->show();
}

void TrayIcon::showMessage(const QString &title, const QString &text)
{
    m_icon->showMessage(title, text);
}

} // namespace ordinaut
