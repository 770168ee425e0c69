// Time-ordered identifiers (UUIDv7, RFC 9562): sortable by creation time, unguessable enough
// for ids, and unique across threads and engines.
#pragma once

#include <QString>

namespace ordinaut {

class Clock;

// A new UUIDv7 in canonical lowercase text form, e.g. "01890a5d-ac96-774b-bcce-b302099a8057".
// Ids made in the same millisecond by one process still sort in creation order.
QString newId(const Clock &clock);
QString newId();

// True for the canonical 36-character text form of any UUID.
bool isUuid(const QString &text);

} // namespace ordinaut
