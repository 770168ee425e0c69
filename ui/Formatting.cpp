// Formatting implementation.
#include "Formatting.h"

#include <QCoreApplication>

namespace ordinaut::ui {

QString localTime(const QDateTime &instant)
{
    if (!instant.isValid())
        return QStringLiteral("—");
    return instant.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString duration(const QDateTime &start, const QDateTime &end)
{
    if (!start.isValid() || !end.isValid())
        return {};
    const qint64 ms = start.msecsTo(end);
    if (ms < 1000)
        return QCoreApplication::translate("Formatting", "%1 ms").arg(ms);
    if (ms < 60000)
        return QCoreApplication::translate("Formatting", "%1 s").arg(ms / 1000.0, 0, 'f', 1);
    return QCoreApplication::translate("Formatting", "%1 min %2 s")
        .arg(ms / 60000)
        .arg((ms / 1000) % 60);
}

QString statusText(RunStatus status)
{
    switch (status) {
    case RunStatus::Queued:
        return QCoreApplication::translate("Formatting", "Queued");
    case RunStatus::Running:
        return QCoreApplication::translate("Formatting", "Running");
    case RunStatus::Succeeded:
        return QCoreApplication::translate("Formatting", "Succeeded");
    case RunStatus::Failed:
        return QCoreApplication::translate("Formatting", "Failed");
    case RunStatus::Canceled:
        return QCoreApplication::translate("Formatting", "Canceled");
    case RunStatus::Waiting:
        return QCoreApplication::translate("Formatting", "Waiting");
    case RunStatus::WaitingApproval:
        return QCoreApplication::translate("Formatting", "Awaiting approval");
    case RunStatus::Abandoned:
        return QCoreApplication::translate("Formatting", "Abandoned");
    case RunStatus::TimedOut:
        return QCoreApplication::translate("Formatting", "Timed out");
    case RunStatus::Skipped:
        return QCoreApplication::translate("Formatting", "Skipped");
    }
    return {};
}

QColor statusColor(RunStatus status)
{
    switch (status) {
    case RunStatus::Succeeded:
        return QColor(0x2e, 0x7d, 0x32);
    case RunStatus::Failed:
    case RunStatus::TimedOut:
        return QColor(0xc6, 0x28, 0x28);
    case RunStatus::Running:
        return QColor(0x15, 0x65, 0xc0);
    case RunStatus::WaitingApproval:
        return QColor(0xef, 0x6c, 0x00);
    default:
        return QColor(0x61, 0x61, 0x61);
    }
}

QString agentAction(const Json &payload)
{
    if (!payload.is_object() || !payload.value("ok", false))
        return {};
    const auto text = [&payload](const char *key) {
        const Json value = payload.value(key, Json());
        return value.is_string() ? qs(value.get<std::string>()) : QString();
    };
    const QString tool = text("tool");
    const QString title = text("title");
    const QString what
        = title.isEmpty() ? text("subject") : QStringLiteral("\u2018%1\u2019").arg(title);
    QString done;
    if (tool == QLatin1String("create_task"))
        done = QCoreApplication::translate("agentAction", "created task %1").arg(what);
    else if (tool == QLatin1String("update_task"))
        done = QCoreApplication::translate("agentAction", "changed task %1").arg(what);
    else if (tool == QLatin1String("pause_task"))
        done = QCoreApplication::translate("agentAction", "paused task %1").arg(what);
    else if (tool == QLatin1String("resume_task"))
        done = QCoreApplication::translate("agentAction", "resumed task %1").arg(what);
    else if (tool == QLatin1String("delete_task"))
        done = QCoreApplication::translate("agentAction", "deleted task %1").arg(what);
    else if (tool == QLatin1String("run_task_now"))
        done = QCoreApplication::translate("agentAction", "started a run of %1").arg(what);
    else if (tool == QLatin1String("cancel_run"))
        done = QCoreApplication::translate("agentAction", "canceled a run of %1").arg(what);
    else if (tool == QLatin1String("retry_run"))
        done = QCoreApplication::translate("agentAction", "retried a run of %1").arg(what);
    else if (tool == QLatin1String("approve_run"))
        done = QCoreApplication::translate("agentAction", "approved a run of %1").arg(what);
    else if (tool == QLatin1String("reject_run"))
        done = QCoreApplication::translate("agentAction", "rejected a run of %1").arg(what);
    else if (tool == QLatin1String("publish_event"))
        done = QCoreApplication::translate("agentAction", "published an event");
    else
        return {}; // a read
    QString agent = text("agent_name");
    if (agent.isEmpty())
        agent = QCoreApplication::translate("agentAction", "An agent");
    return agent + QLatin1Char(' ') + done;
}

} // namespace ordinaut::ui
