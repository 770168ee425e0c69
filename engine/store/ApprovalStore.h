// ApprovalStore: the approvals table — what a paused run asks a person, and the answer.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <QDateTime>

#include <optional>
#include <vector>

namespace ordinaut {

class Database;

struct Approval
{
    QString id;
    QString runId;
    QString taskId;
    int stepIndex = 0;
    QString stepId;
    QString title;
    Json details;
    QString status = QStringLiteral("pending"); // pending | approved | rejected | timed_out
    QDateTime expiresAt;
    QString decidedBy;
    QString comment;
    QDateTime decidedAt;
    QDateTime createdAt;

    Json toJson() const;
};

class ApprovalStore final
{
public:
    explicit ApprovalStore(const Database &database);

    // Inserts unless the run already asked at this step (a re-paused step); returns the
    // stored one either way.
    Result<Approval> ask(const Approval &approval);
    // NotFound for an unknown id.
    Result<Approval> get(const QString &id) const;
    Result<std::optional<Approval>> forStep(const QString &runId, int stepIndex) const;
    // Newest first; all statuses when `status` is empty.
    Result<std::vector<Approval>> list(const QString &status, int limit) const;
    // Records the answer. Conflict when it was already answered (or timed out).
    Status decide(const QString &id, const QString &status, const QString &by,
                  const QString &comment, const QDateTime &at);

private:
    const Database &m_database;
};

} // namespace ordinaut
