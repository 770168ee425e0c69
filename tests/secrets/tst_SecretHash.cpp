// SecretHash: a secret matches only its own hash; salts differ; malformed or overpriced stored
// values are refused rather than trusted; generated secrets are long and distinct.
#include "secrets/SecretHash.h"

#include <QElapsedTimer>
#include <QSet>
#include <QTest>

using namespace ordinaut;

namespace {
// Cheap enough for a test; the default cost is checked once.
const SecretHash::Cost kFast{10, 8, 1};
} // namespace

class tst_SecretHash final : public QObject
{
    Q_OBJECT

private slots:
    void aSecretMatchesItsOwnHashOnly();
    void theSameSecretHashesDifferentlyEachTime();
    void theDefaultCostIsScryptAtTwoToTheFifteenth();
    void malformedOrTamperedStoredValuesMatchNothing_data();
    void malformedOrTamperedStoredValuesMatchNothing();
    void anOverpricedStoredValueIsRefusedQuickly();
    void generatedSecretsAreLongAndDistinct();
};

void tst_SecretHash::aSecretMatchesItsOwnHashOnly()
{
    const Result<QString> stored = SecretHash::make(QStringLiteral("correct horse ☀"), kFast);
    QVERIFY2(stored, stored ? "" : qPrintable(stored.error().describe()));
    QVERIFY(SecretHash::matches(QStringLiteral("correct horse ☀"), *stored));
    QVERIFY(!SecretHash::matches(QStringLiteral("correct horse"), *stored));
    QVERIFY(!SecretHash::matches(QStringLiteral("correct horse ☀ "), *stored));
    QVERIFY(!SecretHash::matches(QString(), *stored));
    // The secret itself is nowhere in what is stored.
    QVERIFY(!stored->contains(QStringLiteral("horse")));
}

void tst_SecretHash::theSameSecretHashesDifferentlyEachTime()
{
    const Result<QString> first = SecretHash::make(QStringLiteral("s3cret"), kFast);
    const Result<QString> second = SecretHash::make(QStringLiteral("s3cret"), kFast);
    QVERIFY(first && second);
    QVERIFY(*first != *second); // a new salt each time
    QVERIFY(SecretHash::matches(QStringLiteral("s3cret"), *first));
    QVERIFY(SecretHash::matches(QStringLiteral("s3cret"), *second));
}

void tst_SecretHash::theDefaultCostIsScryptAtTwoToTheFifteenth()
{
    const Result<QString> stored = SecretHash::make(QStringLiteral("default"));
    QVERIFY(stored);
    QVERIFY2(stored->startsWith(QLatin1String("scrypt$15$8$1$")), qPrintable(*stored));
    QVERIFY(SecretHash::matches(QStringLiteral("default"), *stored));
}

void tst_SecretHash::malformedOrTamperedStoredValuesMatchNothing_data()
{
    QTest::addColumn<QString>("stored");
    const Result<QString> good = SecretHash::make(QStringLiteral("pw"), kFast);
    QVERIFY(good);
    const QStringList parts = good->split(QLatin1Char('$'));
    auto with = [&](int index, const QString &value) {
        QStringList changed = parts;
        changed[index] = value;
        return changed.join(QLatin1Char('$'));
    };
    QByteArray otherHash = QByteArray::fromBase64(parts[5].toLatin1());
    otherHash[0] = char(otherHash[0] ^ 1);
    QTest::newRow("empty") << QString();
    QTest::newRow("plain text") << QStringLiteral("pw");
    QTest::newRow("other scheme") << with(0, QStringLiteral("bcrypt"));
    QTest::newRow("cost not a number") << with(1, QStringLiteral("x"));
    QTest::newRow("r zero") << with(2, QStringLiteral("0"));
    QTest::newRow("salt not base64") << with(4, QStringLiteral("***"));
    QTest::newRow("salt empty") << with(4, QString());
    QTest::newRow("other salt") << with(4, QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA=="));
    QTest::newRow("hash one bit off") << with(5, QString::fromLatin1(otherHash.toBase64()));
    QTest::newRow("hash too short") << with(5, QStringLiteral("AAAA"));
    QTest::newRow("a part missing") << QStringList(parts.mid(0, 5)).join(QLatin1Char('$'));
    QTest::newRow("a part too many") << *good + QStringLiteral("$x");
}

void tst_SecretHash::malformedOrTamperedStoredValuesMatchNothing()
{
    QFETCH(QString, stored);
    QVERIFY(!SecretHash::matches(QStringLiteral("pw"), stored));
}

void tst_SecretHash::anOverpricedStoredValueIsRefusedQuickly()
{
    // A stored value asking for 2^40 rounds would take the process's memory and hours.
    const Result<QString> good = SecretHash::make(QStringLiteral("pw"), kFast);
    QVERIFY(good);
    QStringList parts = good->split(QLatin1Char('$'));
    parts[1] = QStringLiteral("40");
    QElapsedTimer took;
    took.start();
    QVERIFY(!SecretHash::matches(QStringLiteral("pw"), parts.join(QLatin1Char('$'))));
    QVERIFY(took.elapsed() < 1000);
    QVERIFY(!SecretHash::make(QStringLiteral("pw"), SecretHash::Cost{40, 8, 1}));
}

void tst_SecretHash::generatedSecretsAreLongAndDistinct()
{
    QSet<QString> seen;
    for (int i = 0; i < 100; ++i) {
        const QString secret = SecretHash::generate();
        QCOMPARE(secret.size(), 43); // 32 bytes, base64url without padding
        QVERIFY(!secret.contains(QLatin1Char('+')) && !secret.contains(QLatin1Char('/'))
                && !secret.contains(QLatin1Char('=')));
        seen.insert(secret);
    }
    QCOMPARE(seen.size(), 100);
}

QTEST_GUILESS_MAIN(tst_SecretHash)
#include "tst_SecretHash.moc"
