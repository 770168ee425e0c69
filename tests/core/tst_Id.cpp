// UUIDv7 ids: canonical form, version and variant bits, time order even within a millisecond.
#include "core/Clock.h"
#include "core/Id.h"

#include <QSet>
#include <QTest>

using namespace ordinaut;

class tst_Id final : public QObject
{
    Q_OBJECT

private slots:
    void idsAreVersion7InCanonicalForm();
    void idsSortInCreationOrder();
    void idsStartWithTheClockMilliseconds();
    void isUuidAcceptsOnlyCanonicalForm();
};

void tst_Id::idsAreVersion7InCanonicalForm()
{
    const QString id = newId();
    QCOMPARE(id.size(), 36);
    QVERIFY(isUuid(id));
    QCOMPARE(id.at(14), QLatin1Char('7'));
    QVERIFY(QStringLiteral("89ab").contains(id.at(19)));
}

void tst_Id::idsSortInCreationOrder()
{
    ManualClock clock(
        QDateTime::fromMSecsSinceEpoch(1800000000000, Qt::UTC)); // one frozen millisecond
    QStringList ids;
    for (int i = 0; i < 10000; ++i)
        ids << newId(clock);
    QStringList sorted = ids;
    sorted.sort();
    QCOMPARE(sorted, ids);
    QCOMPARE(QSet<QString>(ids.begin(), ids.end()).size(), ids.size());
}

void tst_Id::idsStartWithTheClockMilliseconds()
{
    const qint64 ms = 1900000000000;
    ManualClock clock(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC));
    const QString id = newId(clock);
    const QString hex = id.left(8) + id.mid(9, 4);
    QCOMPARE(hex.toLongLong(nullptr, 16), ms);
}

void tst_Id::isUuidAcceptsOnlyCanonicalForm()
{
    QVERIFY(isUuid(QStringLiteral("01890a5d-ac96-774b-bcce-b302099a8057")));
    QVERIFY(!isUuid(QStringLiteral("01890a5d-ac96-774b-bcce-b302099a805")));
    QVERIFY(!isUuid(QStringLiteral("{01890a5d-ac96-774b-bcce-b302099a8057}")));
    QVERIFY(!isUuid(QStringLiteral("01890a5d/ac96-774b-bcce-b302099a8057")));
}

QTEST_GUILESS_MAIN(tst_Id)
#include "tst_Id.moc"
