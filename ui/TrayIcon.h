// TrayIcon: keeps Ordinaut reachable when its window is closed — Open, Pause all, Quit.
#pragma once

#include <QObject>

class QMenu;
class QSystemTrayIcon;

namespace ordinaut {

class TrayIcon final : public QObject
{
    Q_OBJECT
public:
    explicit TrayIcon(QObject *parent = nullptr);
    ~TrayIcon() override;

    static bool isAvailable();
    void show();
    void showMessage(const QString &title, const QString &text);

signals:
    void openRequested();
    void pauseAllRequested();
    void quitRequested();

private:
    QMenu *m_menu;
    QSystemTrayIcon *m_icon;
};

} // namespace ordinaut
