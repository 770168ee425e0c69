// Error: what went wrong, where, in words a person can act on. Engine functions return it
// inside Result<T> instead of throwing.
#pragma once

#include <QString>

#include <vector>

namespace ordinaut {

enum class ErrorCode {
    InvalidArgument,      // the input breaks a rule; `field` says where
    MalformedInput,       // the input cannot be parsed at all (bad JSON)
    NotFound,             // the subject does not exist
    Conflict,             // the subject changed meanwhile or is in the wrong state
    Unauthenticated,      // no or a bad credential
    PermissionDenied,     // a good credential without the right
    PayloadTooLarge,      // a body or document over its limit
    UnsupportedMediaType, // a body that is not JSON
    Timeout,              // a deadline passed
    Canceled,             // someone canceled the work (a run canceled while a tool waited)
    Unavailable,          // a dependency (database, network peer) cannot be reached
    RateLimited,          // too many attempts: try again later
    Internal,             // a bug or an impossible state
};

// One problem at one place, for checks that report every problem they find.
struct Diagnostic
{
    QString field; // JSON path, "payload.pipeline[2].with.subject"
    QString message;
};

struct Error
{
    ErrorCode code = ErrorCode::Internal;
    QString message;
    QString field; // JSON path of the offending field, empty when not about one
    // Every problem when a check found several; the first is also `field` and `message`.
    std::vector<Diagnostic> diagnostics = {};

    static Error invalid(const QString &field, const QString &message)
    {
        return Error{ErrorCode::InvalidArgument, message, field};
    }
    static Error notFound(const QString &message)
    {
        return Error{ErrorCode::NotFound, message, {}};
    }
    static Error internal(const QString &message)
    {
        return Error{ErrorCode::Internal, message, {}};
    }

    // "payload.pipeline[1].uses: unknown tool 'x'" — field and message together.
    QString describe() const
    {
        return field.isEmpty() ? message : field + QStringLiteral(": ") + message;
    }
};

} // namespace ordinaut
