// Instants in the API's format: parsing ISO 8601 with offsets and fractions, refusing local
// times and garbage, formatting in UTC with milliseconds.
#include "core/Json.h"

#include <QTest>
#include <QTimeZone>

using namespace ordinaut;

class tst_Json final : public QObject
{
    Q_OBJECT

private slots:
    void parsesInstants_data();
    void parsesInstants();
    void refusesNonInstants_data();
    void refusesNonInstants();
    void formatsUtcWithMilliseconds();
};

void tst_Json::parsesInstants_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("ms");
    QTest::newRow("zulu") << "2026-11-24T09:30:00Z" << qint64(1795512600000);
    QTest::newRow("fraction") << "2026-11-24T09:30:00.5Z" << qint64(1795512600500);
    QTest::newRow("nanoseconds") << "2026-11-24T09:30:00.123456789Z" << qint64(1795512600123);
    QTest::newRow("positiveOffset") << "2026-11-24T11:30:00+02:00" << qint64(1795512600000);
    QTest::newRow("negativeOffsetNoColon") << "2026-11-24T04:30:00-0500" << qint64(1795512600000);
    QTest::newRow("noSeconds") << "2026-11-24T09:30Z" << qint64(1795512600000);
    QTest::newRow("fractionWithOffset") << "2026-11-24T11:30:00.25+02:00" << qint64(1795512600250);
    QTest::newRow("halfHourOffset") << "2026-11-24T15:00:00+05:30" << qint64(1795512600000);
    QTest::newRow("offsetCrossesMidnight") << "2026-11-23T23:30:00-10:00" << qint64(1795512600000);
}

void tst_Json::parsesInstants()
{
    QFETCH(QString, text);
    QFETCH(qint64, ms);
    const auto instant = parseInstant(text);
    QVERIFY(instant);
    QCOMPARE(instant->toMSecsSinceEpoch(), ms);
}

void tst_Json::refusesNonInstants_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("localTime") << "2026-11-24T09:30:00";
    QTest::newRow("localTimeWithFraction") << "2026-11-24T09:30:00.500";
    QTest::newRow("hourOnlyOffset") << "2026-11-24T09:30:00+02";
    QTest::newRow("badHour") << "2026-11-24T24:30:00Z";
    QTest::newRow("badSecond") << "2026-11-24T09:30:61Z";
    QTest::newRow("trailingGarbage") << "2026-11-24T09:30:00Zjunk";
    QTest::newRow("dateOnly") << "2026-11-24";
    QTest::newRow("badMonth") << "2026-13-24T09:30:00Z";
    QTest::newRow("badOffset") << "2026-11-24T09:30:00+25:00";
    QTest::newRow("words") << "tomorrow at nine";
    QTest::newRow("empty") << "";
}

void tst_Json::refusesNonInstants()
{
    QFETCH(QString, text);
    QVERIFY(!parseInstant(text));
}

void tst_Json::formatsUtcWithMilliseconds()
{
    const QDateTime instant = QDateTime::fromMSecsSinceEpoch(1795512600007, Qt::UTC);
    QCOMPARE(formatInstant(instant), QStringLiteral("2026-11-24T09:30:00.007Z"));
    QCOMPARE(formatInstant(instant.toOffsetFromUtc(3600)),
             QStringLiteral("2026-11-24T09:30:00.007Z"));
    QCOMPARE(formatInstant(QDateTime(QDate(2026, 7, 1), QTime(8, 0), QTimeZone("Europe/Berlin"))),
             QStringLiteral("2026-07-01T06:00:00.000Z"));
    QVERIFY(formatInstant(QDateTime()).isEmpty());
    QVERIFY(instantJson(QDateTime()).is_null());
    QVERIFY(instantJson(instant) == "2026-11-24T09:30:00.007Z");
    // What is formatted parses back to the same instant.
    QCOMPARE(parseInstant(formatInstant(instant)).value_or(QDateTime()), instant);
}

QTEST_GUILESS_MAIN(tst_Json)
#include "tst_Json.moc"
