// ScheduleService previews: occurrences as local times with offsets (DST policy visible),
// counts and limits, and errors that name the field.
#include "core/Clock.h"
#include "service/ScheduleService.h"

#include <QTest>

using namespace ordinaut;

class tst_ScheduleService final : public QObject
{
    Q_OBJECT

private slots:
    void previewListsLocalOccurrences_data();
    void previewListsLocalOccurrences();
    void ruleWithoutDtstartIsAnchoredAtNow();
    void badInputNamesTheField_data();
    void badInputNamesTheField();

private:
    ManualClock m_clock{QDateTime::fromString(QStringLiteral("2026-02-20T10:15:30Z"), Qt::ISODate)};
};

void tst_ScheduleService::previewListsLocalOccurrences_data()
{
    QTest::addColumn<QString>("body");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("springForwardDay")
        << R"({"schedule_kind":"rrule","schedule_expr":"FREQ=DAILY","dtstart":"2026-03-07T02:30:00",
               "timezone":"America/New_York","count":3,"after":"2026-03-01T00:00:00Z"})"
        << QStringList{QStringLiteral("2026-03-07T02:30:00-05:00"),
                       QStringLiteral("2026-03-08T03:30:00-04:00"),
                       QStringLiteral("2026-03-09T02:30:00-04:00")};
    QTest::newRow("afterIsInclusive")
        << R"({"schedule_kind":"rrule","schedule_expr":"FREQ=HOURLY","dtstart":"2026-01-01T00:00:00",
               "timezone":"UTC","count":2,"after":"2026-01-01T05:00:00Z"})"
        << QStringList{QStringLiteral("2026-01-01T05:00:00+00:00"),
                       QStringLiteral("2026-01-01T06:00:00+00:00")};
    QTest::newRow("countEndsEarly")
        << R"({"schedule_kind":"rrule","schedule_expr":"FREQ=WEEKLY;COUNT=2","dtstart":"2026-03-02T08:00:00",
               "timezone":"Europe/Berlin","count":5,"after":"2026-01-01T00:00:00Z"})"
        << QStringList{QStringLiteral("2026-03-02T08:00:00+01:00"),
                       QStringLiteral("2026-03-09T08:00:00+01:00")};
    QTest::newRow("cron")
        << R"({"schedule_kind":"cron","schedule_expr":"0 9 * * mon","timezone":"Europe/Berlin",
                                 "count":2,"after":"2026-03-24T00:00:00Z"})"
        << QStringList{QStringLiteral("2026-03-30T09:00:00+02:00"),
                       QStringLiteral("2026-04-06T09:00:00+02:00")};
    QTest::newRow("once")
        << R"({"schedule_kind":"once","schedule_expr":"2026-06-01T12:00:00Z","timezone":"Asia/Kolkata"})"
        << QStringList{QStringLiteral("2026-06-01T17:30:00+05:30")};
    QTest::newRow("manual") << R"({"schedule_kind":"manual"})" << QStringList{};
}

void tst_ScheduleService::previewListsLocalOccurrences()
{
    QFETCH(QString, body);
    QFETCH(QStringList, expected);
    Result<SchedulePreview> preview
        = ScheduleService(m_clock).preview(Json::parse(body.toStdString()));
    QVERIFY2(preview, qPrintable(preview ? QString() : preview.error().describe()));
    const Json json = preview->toJson();
    QStringList got;
    for (const Json &item : json["occurrences"])
        got << QString::fromStdString(item.get<std::string>());
    QCOMPARE(got, expected);
    QVERIFY(!QString::fromStdString(json["description"].get<std::string>()).isEmpty());
}

void tst_ScheduleService::ruleWithoutDtstartIsAnchoredAtNow()
{
    Result<SchedulePreview> preview = ScheduleService(m_clock).preview(Json::parse(
        R"({"schedule_kind":"rrule","schedule_expr":"FREQ=DAILY;BYHOUR=9;BYMINUTE=0","count":2})"));
    QVERIFY(preview);
    QCOMPARE(preview->schedule.dtstart, QStringLiteral("2026-02-20T10:15:00"));
    QCOMPARE(preview->list.occurrences.size(), size_t(2));
    QCOMPARE(preview->list.occurrences[0],
             QDateTime::fromString(QStringLiteral("2026-02-21T09:00:00Z"), Qt::ISODate));
}

void tst_ScheduleService::badInputNamesTheField_data()
{
    QTest::addColumn<QString>("body");
    QTest::addColumn<QString>("field");
    QTest::newRow("count0") << R"({"schedule_kind":"manual","count":0})"
                            << "count";
    QTest::newRow("countHuge") << R"({"schedule_kind":"manual","count":1000})"
                               << "count";
    QTest::newRow("afterLocal") << R"({"schedule_kind":"manual","after":"2026-01-01T00:00:00"})"
                                << "after";
    QTest::newRow("badZone")
        << R"({"schedule_kind":"rrule","schedule_expr":"FREQ=DAILY","timezone":"X/Y"})"
        << "timezone";
    QTest::newRow("badRule") << R"({"schedule_kind":"rrule","schedule_expr":"FREQ=NEVER"})"
                             << "schedule_expr";
    QTest::newRow("unknownField") << R"({"schedule_kind":"manual","colour":1})"
                                  << "colour";
    QTest::newRow("eventTopic") << R"({"schedule_kind":"event","schedule_expr":"mail..received"})"
                                << "schedule_expr";
    QTest::newRow("eventWildcardInside")
        << R"({"schedule_kind":"event","schedule_expr":"mail.*.received"})"
        << "schedule_expr";
    QTest::newRow("calendarOnOnce")
        << R"({"schedule_kind":"once","schedule_expr":"2026-12-01T07:30:00Z","calendar":"x"})"
        << "calendar";
    QTest::newRow("unknownCalendar")
        << R"({"schedule_kind":"rrule","schedule_expr":"FREQ=DAILY","calendar":"nowhere"})"
        << "calendar";
}

void tst_ScheduleService::badInputNamesTheField()
{
    QFETCH(QString, body);
    QFETCH(QString, field);
    Result<SchedulePreview> preview
        = ScheduleService(m_clock).preview(Json::parse(body.toStdString()));
    QVERIFY(!preview);
    QVERIFY(preview.error().code == ErrorCode::InvalidArgument);
    QCOMPARE(preview.error().field, field);
}

QTEST_GUILESS_MAIN(tst_ScheduleService)
#include "tst_ScheduleService.moc"
