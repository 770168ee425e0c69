// SideEffectLedger: idempotency for tools with effects outside Ordinaut (email.send). Before the
// effect a tool reserves its key; after it, it records the result. A step executed again finds
// the key and returns the recorded result instead of repeating the effect.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <optional>

namespace ordinaut {

class SideEffectLedger
{
public:
    virtual ~SideEffectLedger() = default;
    // Reserves `key` for this attempt. Returns the recorded result when the effect already
    // happened; nullopt when the caller may go ahead. Conflict when an earlier attempt reserved
    // the key but never recorded an outcome (it may or may not have happened; it is not
    // repeated). Unavailable when the database cannot be reached.
    virtual Result<std::optional<Json>> reserve(const QString &key, const QString &runId,
                                                const QString &stepId)
        = 0;
    // Records the effect's result under a reserved key.
    virtual Status record(const QString &key, const Json &result) = 0;
    // Releases a reserved key after the effect certainly did not happen, so a retry may try.
    virtual Status release(const QString &key) = 0;
};

} // namespace ordinaut
