// ToolEnvironment: guarded accessors.
#include "ToolEnvironment.h"

#include "Notifier.h"
#include "Orchestrator.h"

namespace ordinaut {

ToolEnvironment::ToolEnvironment()
    : m_notifier(std::make_shared<LogNotifier>())
{}

Json ToolEnvironment::settings() const
{
    QMutexLocker lock(&m_mutex);
    return m_settings;
}

Json ToolEnvironment::setting(const char *key) const
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_settings.find(key);
    return it == m_settings.end() ? Json() : *it;
}

void ToolEnvironment::setSettings(Json settings)
{
    QMutexLocker lock(&m_mutex);
    m_settings = std::move(settings);
}

std::shared_ptr<SecretStore> ToolEnvironment::secrets() const
{
    QMutexLocker lock(&m_mutex);
    return m_secrets;
}

void ToolEnvironment::setSecrets(std::shared_ptr<SecretStore> secrets)
{
    QMutexLocker lock(&m_mutex);
    m_secrets = std::move(secrets);
}

std::shared_ptr<Notifier> ToolEnvironment::notifier() const
{
    QMutexLocker lock(&m_mutex);
    return m_notifier;
}

void ToolEnvironment::setNotifier(std::shared_ptr<Notifier> notifier)
{
    QMutexLocker lock(&m_mutex);
    m_notifier = notifier ? std::move(notifier) : std::make_shared<LogNotifier>();
}

std::shared_ptr<Orchestrator> ToolEnvironment::orchestrator() const
{
    QMutexLocker lock(&m_mutex);
    return m_orchestrator;
}

void ToolEnvironment::setOrchestrator(std::shared_ptr<Orchestrator> orchestrator)
{
    QMutexLocker lock(&m_mutex);
    m_orchestrator = std::move(orchestrator);
}

void ToolEnvironment::setLlmAdmission(Admission admission)
{
    QMutexLocker lock(&m_mutex);
    m_llmAdmission = std::move(admission);
}

Status ToolEnvironment::admitLlm(const QString &taskId) const
{
    Admission admission;
    {
        QMutexLocker lock(&m_mutex);
        admission = m_llmAdmission;
    }
    return admission ? admission(taskId) : Status();
}

} // namespace ordinaut
