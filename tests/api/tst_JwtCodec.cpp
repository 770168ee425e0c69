// JwtCodec: issued access tokens carry their claims, and every token that is forged, altered,
// malformed, out of date or made for someone else is refused. Forgeries are made here by hand
// (Qt's HMAC and base64url), never with libjwt, so the test does not share the codec's mistakes.
#include "api/JwtCodec.h"

#include "core/Clock.h"
#include "core/Json.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QTest>

#include <limits>

using namespace ordinaut;

class tst_JwtCodec final : public QObject
{
    Q_OBJECT

private slots:
    void issuedTokenVerifiesToItsClaims_data();
    void issuedTokenVerifiesToItsClaims();
    void issuedTokenIsAnHs256JwtForOrdinaut();
    void handCraftedTokenWithinTheRulesVerifies_data();
    void handCraftedTokenWithinTheRulesVerifies();
    void defectiveTokenIsRefusedAsUnauthenticated_data();
    void defectiveTokenIsRefusedAsUnauthenticated();
    void tokenExpiresOnlyOnceTheLeewayHasPassed();
    void tokenOfAnotherKeyIsRefused();
};

namespace {

const QByteArray kKey = QByteArrayLiteral("ordinaut-test-key-0123456789abcdef");
const QByteArray kOtherKey = QByteArrayLiteral("some-other-install-key-0123456789");
const QDateTime kNow(QDate(2026, 11, 24), QTime(9, 30), Qt::UTC);
constexpr int kLeeway = JwtCodec::kLeewaySeconds;
constexpr const char *kSubject = "01890a5d-ac96-774b-bcce-b302099a8057";
constexpr const char *kTokenId = "01890a5e-0f11-7c3a-9d2e-4b5a6c7d8e9f";
constexpr qint64 kMaxTokenLength = 8192;

qint64 nowSecs()
{
    return kNow.toSecsSinceEpoch();
}

QByteArray base64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

std::optional<Json> decodeJsonPart(const QString &part)
{
    const auto decoded = QByteArray::fromBase64Encoding(
        part.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals
                             | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return parseJson(*decoded);
}

// "header.payload.signature" from already encoded parts, signed with an HMAC over the first two.
QString signParts(const QByteArray &header, const QByteArray &payload,
                  QCryptographicHash::Algorithm algorithm = QCryptographicHash::Sha256,
                  const QByteArray &key = kKey)
{
    const QByteArray signingInput = header + '.' + payload;
    const QByteArray signature = QMessageAuthenticationCode::hash(signingInput, key, algorithm);
    return QString::fromLatin1(signingInput + '.' + base64Url(signature));
}

QString craft(const Json &header, const Json &claims,
              QCryptographicHash::Algorithm algorithm = QCryptographicHash::Sha256,
              const QByteArray &key = kKey)
{
    return signParts(base64Url(dumpJson(header)), base64Url(dumpJson(claims)), algorithm, key);
}

Json goodHeader()
{
    return Json{{"alg", "HS256"}, {"typ", "JWT"}};
}

// Claims the codec accepts at kNow: each defect below changes exactly one thing in them.
Json goodClaims()
{
    return Json{{"iss", "ordinaut"},     {"aud", "ordinaut-api"},           {"sub", kSubject},
                {"jti", kTokenId},       {"scope", "tasks:read runs:read"}, {"iat", nowSecs() - 60},
                {"nbf", nowSecs() - 60}, {"exp", nowSecs() + 840}};
}

QString goodToken()
{
    return craft(goodHeader(), goodClaims());
}

QString withClaim(const char *name, const Json &value)
{
    Json claims = goodClaims();
    claims[name] = value;
    return craft(goodHeader(), claims);
}

QString withoutClaim(const char *name)
{
    Json claims = goodClaims();
    claims.erase(name);
    return craft(goodHeader(), claims);
}

QString withHeader(const Json &header)
{
    return craft(header, goodClaims());
}

// A good token padded with a filler claim: the longest one within the limit, or the shortest one
// beyond it.
QString paddedToken(bool beyondLimit)
{
    QString previous;
    for (int fill = 5000;; ++fill) {
        const QString token = withClaim("pad", std::string(size_t(fill), 'x'));
        if (token.size() > kMaxTokenLength)
            return beyondLimit ? token : previous;
        previous = token;
    }
}

AccessClaims claimsAt(const QDateTime &issuedAt, int lifetimeSeconds, const QStringList &scopes)
{
    return AccessClaims{QLatin1String(kSubject), scopes, QLatin1String(kTokenId), issuedAt,
                        issuedAt.addSecs(lifetimeSeconds)};
}

} // namespace

void tst_JwtCodec::issuedTokenVerifiesToItsClaims_data()
{
    QTest::addColumn<QStringList>("scopes");
    QTest::newRow("scopesInTheirOrder") << QStringList{
        QStringLiteral("tasks:write"), QStringLiteral("agents:read"), QStringLiteral("runs:read")};
    QTest::newRow("oneScope") << QStringList{QStringLiteral("runs:read")};
    QTest::newRow("noScope") << QStringList();
}

void tst_JwtCodec::issuedTokenVerifiesToItsClaims()
{
    QFETCH(QStringList, scopes);
    // Milliseconds in "now": the token keeps seconds only.
    const QDateTime issuedAt = kNow.addMSecs(750);
    ManualClock clock(issuedAt);
    const JwtCodec codec(kKey, clock);
    const AccessClaims claims = claimsAt(issuedAt, 900, scopes);

    const Result<QString> token = codec.issue(claims);
    QVERIFY2(token, qPrintable(token ? QString() : token.error().describe()));
    const Result<AccessClaims> verified = codec.verify(*token);
    QVERIFY2(verified, qPrintable(verified ? QString() : verified.error().describe()));
    QCOMPARE(verified->subject, claims.subject);
    QCOMPARE(verified->scopes, scopes);
    QCOMPARE(verified->tokenId, claims.tokenId);
    QCOMPARE(verified->issuedAt, QDateTime::fromSecsSinceEpoch(kNow.toSecsSinceEpoch(), Qt::UTC));
    QCOMPARE(verified->expiresAt,
             QDateTime::fromSecsSinceEpoch(kNow.toSecsSinceEpoch() + 900, Qt::UTC));
}

void tst_JwtCodec::issuedTokenIsAnHs256JwtForOrdinaut()
{
    ManualClock clock(kNow);
    const JwtCodec codec(kKey, clock);
    const QStringList scopes{QStringLiteral("tasks:read"), QStringLiteral("runs:write")};
    const Result<QString> token = codec.issue(claimsAt(kNow, 900, scopes));
    QVERIFY2(token, qPrintable(token ? QString() : token.error().describe()));

    const QStringList parts = token->split(QLatin1Char('.'));
    QCOMPARE(parts.size(), 3);
    static const QRegularExpression base64UrlText(QStringLiteral("^[A-Za-z0-9_-]+$"));
    for (const QString &part : parts)
        QVERIFY2(base64UrlText.match(part).hasMatch(), qPrintable(part));

    const std::optional<Json> header = decodeJsonPart(parts[0]);
    QVERIFY(header && header->is_object());
    QCOMPARE(qs(header->value("alg", std::string())), QStringLiteral("HS256"));
    if (header->contains("typ"))
        QCOMPARE(qs(header->value("typ", std::string())), QStringLiteral("JWT"));

    const std::optional<Json> payload = decodeJsonPart(parts[1]);
    QVERIFY(payload && payload->is_object());
    QCOMPARE(qs(payload->value("iss", std::string())), QStringLiteral("ordinaut"));
    QCOMPARE(qs(payload->value("aud", std::string())), QStringLiteral("ordinaut-api"));
    QCOMPARE(qs(payload->value("sub", std::string())), QLatin1String(kSubject));
    QCOMPARE(qs(payload->value("jti", std::string())), QLatin1String(kTokenId));
    QCOMPARE(qs(payload->value("scope", std::string())), QStringLiteral("tasks:read runs:write"));
    for (const char *instant : {"iat", "nbf", "exp"})
        QVERIFY2(payload->contains(instant) && (*payload)[instant].is_number_integer(), instant);
    QCOMPARE((*payload)["iat"].get<qint64>(), nowSecs());
    QCOMPARE((*payload)["nbf"].get<qint64>(), nowSecs());
    QCOMPARE((*payload)["exp"].get<qint64>(), nowSecs() + 900);

    // The signature is HMAC-SHA256 of "header.payload" under the codec's key.
    const QByteArray signingInput = parts[0].toLatin1() + '.' + parts[1].toLatin1();
    const QByteArray expected = base64Url(
        QMessageAuthenticationCode::hash(signingInput, kKey, QCryptographicHash::Sha256));
    QCOMPARE(parts[2].toLatin1(), expected);
}

// The controls for the refusals below: the hand-made tokens are right, and each leeway is exactly
// kLeewaySeconds wide.
void tst_JwtCodec::handCraftedTokenWithinTheRulesVerifies_data()
{
    QTest::addColumn<QString>("token");
    Json expiredWithinLeeway = goodClaims();
    expiredWithinLeeway["iat"] = nowSecs() - 3600;
    expiredWithinLeeway["nbf"] = nowSecs() - 3600;
    expiredWithinLeeway["exp"] = nowSecs() - kLeeway + 1;

    QTest::newRow("asCrafted") << goodToken();
    QTest::newRow("typAbsent") << withHeader(Json{{"alg", "HS256"}});
    QTest::newRow("expiredWithinLeeway") << craft(goodHeader(), expiredWithinLeeway);
    QTest::newRow("nbfWithinLeeway") << withClaim("nbf", nowSecs() + kLeeway);
    QTest::newRow("iatWithinLeeway") << withClaim("iat", nowSecs() + kLeeway);
    QTest::newRow("longestWithinSizeLimit") << paddedToken(false);
}

void tst_JwtCodec::handCraftedTokenWithinTheRulesVerifies()
{
    QFETCH(QString, token);
    ManualClock clock(kNow);
    const JwtCodec codec(kKey, clock);
    const Result<AccessClaims> verified = codec.verify(token);
    QVERIFY2(verified, qPrintable(verified ? QString() : verified.error().describe()));
    QCOMPARE(verified->subject, QLatin1String(kSubject));
    QCOMPARE(verified->tokenId, QLatin1String(kTokenId));
    QCOMPARE(verified->scopes,
             (QStringList{QStringLiteral("tasks:read"), QStringLiteral("runs:read")}));
}

void tst_JwtCodec::defectiveTokenIsRefusedAsUnauthenticated_data()
{
    QTest::addColumn<QString>("token");
    const QByteArray header = base64Url(dumpJson(goodHeader()));
    const QByteArray payload = base64Url(dumpJson(goodClaims()));
    const QString good = goodToken();
    const QStringList goodParts = good.split(QLatin1Char('.'));
    const QString signature = goodParts[2];

    Json widened = goodClaims();
    widened["scope"] = "tasks:read runs:read agents:admin";
    const QString payloadAltered = goodParts[0] + QLatin1Char('.')
                                   + QString::fromLatin1(base64Url(dumpJson(widened)))
                                   + QLatin1Char('.') + signature;
    const QChar first = signature.at(0);
    const QString signatureAltered
        = goodParts[0] + QLatin1Char('.') + goodParts[1] + QLatin1Char('.')
          + (first == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A')) + signature.mid(1);
    Json expired = goodClaims();
    expired["iat"] = nowSecs() - 3600;
    expired["nbf"] = nowSecs() - 3600;
    expired["exp"] = nowSecs() - kLeeway - 1;

    QTest::newRow("algNoneEmptySignature") << QString::fromLatin1(QByteArray(
        base64Url(dumpJson(Json{{"alg", "none"}, {"typ", "JWT"}})) + '.' + payload + '.'));
    QTest::newRow("algNoneWithSignature") << withHeader(Json{{"alg", "none"}, {"typ", "JWT"}});
    QTest::newRow("algHs512SameKey")
        << craft(Json{{"alg", "HS512"}, {"typ", "JWT"}}, goodClaims(), QCryptographicHash::Sha512);
    QTest::newRow("algRs256HeaderHs256Signature")
        << withHeader(Json{{"alg", "RS256"}, {"typ", "JWT"}});
    QTest::newRow("algLowerCase") << withHeader(Json{{"alg", "hs256"}, {"typ", "JWT"}});
    QTest::newRow("headerNotJson") << signParts(base64Url("not json at all"), payload);
    QTest::newRow("headerNotBase64Url")
        << signParts(QByteArray(R"({"alg":"HS256","typ":"JWT"})"), payload);
    QTest::newRow("headerJsonArray") << withHeader(Json::array({"HS256", "JWT"}));
    QTest::newRow("typJws") << withHeader(Json{{"alg", "HS256"}, {"typ", "JWS"}});
    QTest::newRow("twoParts") << QString::fromLatin1(QByteArray(header + '.' + payload));
    QTest::newRow("fourParts") << QString(good + QLatin1Char('.') + signature);
    QTest::newRow("empty") << QString();
    QTest::newRow("signedWithAnotherKey")
        << craft(goodHeader(), goodClaims(), QCryptographicHash::Sha256, kOtherKey);
    QTest::newRow("payloadAlteredAfterSigning") << payloadAltered;
    QTest::newRow("signatureAlteredByOneCharacter") << signatureAltered;
    QTest::newRow("expiredBeyondLeeway") << craft(goodHeader(), expired);
    QTest::newRow("nbfFutureBeyondLeeway") << withClaim("nbf", nowSecs() + kLeeway + 1);
    QTest::newRow("iatFutureBeyondLeeway") << withClaim("iat", nowSecs() + kLeeway + 1);
    QTest::newRow("issOther") << withClaim("iss", "someone-else");
    QTest::newRow("audOther") << withClaim("aud", "another-api");
    QTest::newRow("audMissing") << withoutClaim("aud");
    QTest::newRow("subMissing") << withoutClaim("sub");
    QTest::newRow("jtiMissing") << withoutClaim("jti");
    QTest::newRow("expMissing") << withoutClaim("exp");
    QTest::newRow("expString") << withClaim("exp", std::to_string(nowSecs() + 840));
    // Integers of the wrong JSON type count as missing, not as 0.
    QTest::newRow("iatString") << withClaim("iat", std::to_string(nowSecs() - 60));
    QTest::newRow("nbfStringInTheFuture") << withClaim("nbf", std::to_string(nowSecs() + 3600));
    QTest::newRow("expFloat") << withClaim("exp", double(nowSecs() + 840) + 0.5);
    // Longer-lived than any token Ordinaut issues (and no overflow on the way).
    QTest::newRow("expHuge") << withClaim("exp", std::numeric_limits<qint64>::max());
    QTest::newRow("expInTwoDays") << withClaim("exp", nowSecs() + 2 * 86400);

    QTest::newRow("over8KiB") << paddedToken(true);
}

void tst_JwtCodec::defectiveTokenIsRefusedAsUnauthenticated()
{
    QFETCH(QString, token);
    ManualClock clock(kNow);
    const JwtCodec codec(kKey, clock);
    const Result<AccessClaims> verified = codec.verify(token);
    QVERIFY2(!verified, "a defective token was accepted");
    QVERIFY(verified.error().code == ErrorCode::Unauthenticated);
    const QString message = verified.error().describe();
    QVERIFY(!verified.error().message.isEmpty());
    // The reason names the defect, never the credential or a piece of it.
    if (!token.isEmpty())
        QVERIFY2(!message.contains(token), qPrintable(message));
    for (const QString &part : token.split(QLatin1Char('.')))
        if (part.size() >= 16)
            QVERIFY2(!message.contains(part), qPrintable(message));
}

void tst_JwtCodec::tokenExpiresOnlyOnceTheLeewayHasPassed()
{
    ManualClock clock(kNow);
    const JwtCodec codec(kKey, clock);
    const Result<QString> token = codec.issue(claimsAt(kNow, 60, {QStringLiteral("runs:read")}));
    QVERIFY2(token, qPrintable(token ? QString() : token.error().describe()));

    Result<AccessClaims> verified = codec.verify(*token);
    QVERIFY2(verified, qPrintable(verified ? QString() : verified.error().describe()));

    clock.advanceMs(qint64(60 + kLeeway - 1) * 1000);
    verified = codec.verify(*token);
    QVERIFY2(verified, qPrintable(verified ? QString() : verified.error().describe()));

    clock.advanceMs(1000);
    verified = codec.verify(*token);
    QVERIFY2(!verified, "a token was accepted once its leeway had passed");
    QVERIFY(verified.error().code == ErrorCode::Unauthenticated);
    QVERIFY(!verified.error().message.isEmpty());
}

void tst_JwtCodec::tokenOfAnotherKeyIsRefused()
{
    ManualClock clock(kNow);
    const JwtCodec issuer(kKey, clock);
    const JwtCodec other(kOtherKey, clock);
    const Result<QString> token = issuer.issue(claimsAt(kNow, 900, {QStringLiteral("runs:read")}));
    QVERIFY2(token, qPrintable(token ? QString() : token.error().describe()));

    const Result<AccessClaims> own = issuer.verify(*token);
    QVERIFY2(own, qPrintable(own ? QString() : own.error().describe()));
    const Result<AccessClaims> foreign = other.verify(*token);
    QVERIFY2(!foreign, "a token was accepted under another key");
    QVERIFY(foreign.error().code == ErrorCode::Unauthenticated);
    QVERIFY(!foreign.error().message.isEmpty());
    QVERIFY(!foreign.error().describe().contains(*token));
}

QTEST_GUILESS_MAIN(tst_JwtCodec)
#include "tst_JwtCodec.moc"
