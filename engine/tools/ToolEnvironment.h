// ToolEnvironment: what built-in tools may reach beyond their input — the current settings, the
// secret store, the notifier and the orchestrator. The engine fills it at start and keeps the
// settings current; tools read it from worker threads, so every accessor is thread-safe.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <QMutex>

#include <functional>
#include <memory>

namespace ordinaut {

class Notifier;
class Orchestrator;
class SecretStore;

class ToolEnvironment final
{
public:
    ToolEnvironment();
    Q_DISABLE_COPY_MOVE(ToolEnvironment)

    // Every setting by key (EngineSettings::toJson()), defaults included.
    Json settings() const;
    Json setting(const char *key) const;
    void setSettings(Json settings);

    // nullptr until the app provides one: tools that need secrets say so.
    std::shared_ptr<SecretStore> secrets() const;
    void setSecrets(std::shared_ptr<SecretStore> secrets);

    // A LogNotifier until the app provides another.
    std::shared_ptr<Notifier> notifier() const;
    void setNotifier(std::shared_ptr<Notifier> notifier);

    // nullptr until the service layer is built.
    std::shared_ptr<Orchestrator> orchestrator() const;
    void setOrchestrator(std::shared_ptr<Orchestrator> orchestrator);

    // Asked before a language-model call of a run of the task `taskId`: an error (its
    // creator's daily token budget is used up) stops the step. Admits everything until set.
    using Admission = std::function<Status(const QString &taskId)>;
    void setLlmAdmission(Admission admission);
    Status admitLlm(const QString &taskId) const;

private:
    mutable QMutex m_mutex;
    Admission m_llmAdmission;
    Json m_settings = Json::object();
    std::shared_ptr<SecretStore> m_secrets;
    std::shared_ptr<Notifier> m_notifier;
    std::shared_ptr<Orchestrator> m_orchestrator;
};

} // namespace ordinaut
