// TokenSigner: tokens verify only under the key that signed them and only unaltered.
#include "api/TokenSigner.h"

#include "core/Id.h"

#include <QTest>

using namespace ordinaut;

class tst_TokenSigner final : public QObject
{
    Q_OBJECT

private slots:
    void issuedTokenVerifiesToItsAgent();
    void alteredOrForeignTokensAreRejected_data();
    void alteredOrForeignTokensAreRejected();
    void constantTimeEqualsComparesBytes();
};

namespace {
const QByteArray kKey(32, 'k');
} // namespace

void tst_TokenSigner::issuedTokenVerifiesToItsAgent()
{
    const QString agent = newId();
    const QString token = TokenSigner(kKey).issue(agent);
    QVERIFY(token.startsWith(QLatin1String("ordn_") + agent + QLatin1Char('_')));
    QCOMPARE(TokenSigner(kKey).verify(token).value_or(QString()), agent);
}

void tst_TokenSigner::alteredOrForeignTokensAreRejected_data()
{
    QTest::addColumn<QString>("token");
    const QString agent = QStringLiteral("01890a5d-ac96-774b-bcce-b302099a8057");
    const QString good = TokenSigner(kKey).issue(agent);
    QString flipped = good;
    flipped[flipped.size() - 3]
        = flipped.at(flipped.size() - 3) == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
    QString otherAgent = good;
    otherAgent[5] = otherAgent.at(5) == QLatin1Char('0') ? QLatin1Char('1') : QLatin1Char('0');
    QTest::newRow("flippedMac") << flipped;
    QTest::newRow("otherAgentSameMac") << otherAgent;
    QTest::newRow("otherKey") << TokenSigner(QByteArray(32, 'x')).issue(agent);
    QTest::newRow("truncated") << good.left(good.size() - 1);
    QTest::newRow("extended") << good + QLatin1Char('A');
    QTest::newRow("bareId") << agent;
    QTest::newRow("empty") << QString();
    QTest::newRow("garbage") << QStringLiteral("ordn_not-a-uuid-at-all-but-36-chars-xx_abc");
}

void tst_TokenSigner::alteredOrForeignTokensAreRejected()
{
    QFETCH(QString, token);
    QVERIFY(!TokenSigner(kKey).verify(token));
}

void tst_TokenSigner::constantTimeEqualsComparesBytes()
{
    QVERIFY(constantTimeEquals(QByteArray("abc"), QByteArray("abc")));
    QVERIFY(!constantTimeEquals(QByteArray("abc"), QByteArray("abd")));
    QVERIFY(!constantTimeEquals(QByteArray("abc"), QByteArray("ab")));
    QVERIFY(constantTimeEquals(QByteArray(), QByteArray()));
}

QTEST_GUILESS_MAIN(tst_TokenSigner)
#include "tst_TokenSigner.moc"
