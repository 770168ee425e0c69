// SideEffectLedger: idempotency for tools with effects outside Ordinaut (email.send, file.write).
// Before the effect a tool reserves its key, optionally with an intent (what it is about to do);
// after it, it records the result. A step executed again finds the key and returns the recorded
// result instead of repeating the effect, or finds the intent of an attempt that died in between
// and checks the world to tell whether the effect happened.
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <QDateTime>

#include <optional>
#include <vector>

namespace ordinaut {

// What reserveWithIntent() found under a key.
struct SideEffectReservation
{
    enum class State {
        Reserved,   // the key was free and is now held for this attempt: go ahead
        Recorded,   // the effect happened; `result` is what was recorded
        Unfinished, // an earlier attempt reserved the key and never recorded an outcome
    };
    State state = State::Reserved;
    Json result;          // Recorded
    Json intent;          // Unfinished: what that attempt said it was about to do (null: nothing)
    QString runId;        // Unfinished: that attempt's run
    QDateTime reservedAt; // Unfinished: when it reserved the key
};

class SideEffectLedger
{
public:
    virtual ~SideEffectLedger() = default;
    // Reserves `key` for this attempt, for an effect that cannot be checked afterwards. Returns
    // the recorded result when the effect already happened; nullopt when the caller may go
    // ahead. Conflict when an earlier attempt reserved the key but never recorded an outcome
    // (it may or may not have happened; it is not repeated). Unavailable when the database
    // cannot be reached.
    virtual Result<std::optional<Json>> reserve(const QString &key, const QString &runId,
                                                const QString &stepId)
        = 0;
    // Reserves `key` with `intent`, durably, before the effect. An unfinished earlier
    // reservation is returned with its intent instead of being refused: the caller reconciles
    // it, then retakes, records or gives up. Conflict when the key was released meanwhile;
    // Unavailable when the database cannot be reached.
    virtual Result<SideEffectReservation>
    reserveWithIntent(const QString &key, const QString &runId, const QString &stepId,
                      const Json &intent)
        = 0;
    // Takes over an unfinished reservation once the caller knows its effect did not happen: it
    // now belongs to `runId` with `intent` and counts as reserved after every other key.
    // Conflict when the key is not reserved-and-unrecorded any more.
    virtual Status retake(const QString &key, const QString &runId, const Json &intent) = 0;
    // The intents (where given) of keys starting with `prefix` that were reserved or retaken
    // after `key`, oldest first, recorded or not. How an effect on a shared resource (the end
    // of a file) tells that a later attempt found the resource as it was before this one.
    // NotFound when `key` is not reserved.
    virtual Result<std::vector<Json>> intentsAfter(const QString &key, const QString &prefix) = 0;
    // Records the effect's result under a reserved key.
    virtual Status record(const QString &key, const Json &result) = 0;
    // Releases a reserved key after the effect certainly did not happen, so a retry may try.
    virtual Status release(const QString &key) = 0;
};

} // namespace ordinaut
