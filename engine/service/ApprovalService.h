// ApprovalService: the approvals people are asked for by human.approve steps, and their
// answers. Deciding wakes the paused run at once; every decision is audited.
#pragma once

#include "store/ApprovalStore.h"

namespace ordinaut {

class Engine;

enum class ApprovalDecision { Approve, Reject };

class ApprovalService final
{
public:
    explicit ApprovalService(Engine &engine);

    // Newest first. `status` "pending", "approved", "rejected", "timed_out" or empty for all;
    // InvalidArgument for anything else.
    Result<std::vector<Approval>> list(const QString &status, int limit) const;
    Result<Approval> get(const QString &id) const;
    // NotFound for an unknown id; Conflict when it was already answered or timed out.
    Result<Approval> decide(const QString &id, ApprovalDecision decision, const QString &comment,
                            const QString &actor);
    // Decides the pending approval of a run that waits for one, as decide() does. NotFound for
    // an unknown run; Conflict when the run is not waiting_approval.
    Result<Approval> decideForRun(const QString &runId, ApprovalDecision decision,
                                  const QString &comment, const QString &actor);

private:
    Engine &m_engine;
};

} // namespace ordinaut
