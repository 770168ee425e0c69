// SecretHash: agents' secrets kept as salted, deliberately slow hashes (scrypt, through
// OpenSSL) and compared in constant time, so a copy of the database does not give them away.
#pragma once

#include "core/Result.h"

#include <QString>

namespace ordinaut {

class SecretHash final
{
public:
    // scrypt's cost: N = 2^logN, block size r, parallelism p. The default takes 32 MiB and
    // some 50–100 ms per check: cheap for a login, dear for guessing.
    struct Cost
    {
        int logN = 15;
        int r = 8;
        int p = 1;
    };

    // "scrypt$<logN>$<r>$<p>$<salt>$<hash>" (base64) for `secret`, with a new random salt.
    // Internal when OpenSSL refuses the parameters.
    static Result<QString> make(const QString &secret, Cost cost);
    static Result<QString> make(const QString &secret) { return make(secret, Cost{}); }
    // Whether `secret` is the one `stored` was made from. False for a malformed `stored`.
    static bool matches(const QString &secret, const QString &stored);
    // A new secret to hand out once: 32 random bytes from the system's generator, base64url.
    static QString generate();
};

} // namespace ordinaut
