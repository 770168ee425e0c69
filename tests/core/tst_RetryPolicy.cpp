// tst_RetryPolicy: who gets another attempt, and how long each strategy waits before it.
#include "core/RetryPolicy.h"

#include <QTest>

using namespace ordinaut;

class tst_RetryPolicy final : public QObject
{
    Q_OBJECT
private slots:
    void attemptsAfterTheFirst();
    void delays_data();
    void delays();
    void namesRoundTrip();
};

void tst_RetryPolicy::attemptsAfterTheFirst()
{
    RetryPolicy policy;
    QVERIFY(!policy.allowsAnotherAfter(1));
    policy.maxRetries = 2;
    QVERIFY(policy.allowsAnotherAfter(1));
    QVERIFY(policy.allowsAnotherAfter(2));
    QVERIFY(!policy.allowsAnotherAfter(3));
}

void tst_RetryPolicy::delays_data()
{
    QTest::addColumn<int>("strategy");
    QTest::addColumn<int>("attempt");
    QTest::addColumn<double>("random");
    QTest::addColumn<qint64>("delayMs");
    const int exp = int(BackoffStrategy::ExponentialJitter);
    // base 1000, max 30000
    QTest::newRow("exponential, first, no jitter") << exp << 1 << 0.999999 << qint64(999);
    QTest::newRow("exponential, first, least jitter") << exp << 1 << 0.0 << qint64(500);
    QTest::newRow("exponential, third") << exp << 3 << 0.0 << qint64(2000);
    QTest::newRow("exponential, capped") << exp << 10 << 0.999999 << qint64(29999);
    QTest::newRow("linear, third") << int(BackoffStrategy::Linear) << 3 << 0.7 << qint64(3000);
    QTest::newRow("linear, capped") << int(BackoffStrategy::Linear) << 50 << 0.7 << qint64(30000);
    QTest::newRow("fixed") << int(BackoffStrategy::Fixed) << 7 << 0.3 << qint64(1000);
}

void tst_RetryPolicy::delays()
{
    QFETCH(int, strategy);
    QFETCH(int, attempt);
    QFETCH(double, random);
    QFETCH(qint64, delayMs);
    const RetryPolicy policy{3, BackoffStrategy(strategy), 1000, 30000};
    QCOMPARE(policy.delayMsAfter(attempt, random), delayMs);
}

void tst_RetryPolicy::namesRoundTrip()
{
    for (BackoffStrategy s :
         {BackoffStrategy::ExponentialJitter, BackoffStrategy::Linear, BackoffStrategy::Fixed})
        QVERIFY(backoffStrategyFromString(toString(s)) == s);
    QVERIFY(backoffStrategyFromString(QStringLiteral("exponential"))
            == BackoffStrategy::ExponentialJitter);
    QVERIFY(!backoffStrategyFromString(QStringLiteral("random")));
}

QTEST_GUILESS_MAIN(tst_RetryPolicy)
#include "tst_RetryPolicy.moc"
