// tst_SideEffectRecords: the side_effects table as a ledger — what a reservation finds, the
// order of reservations that file.write's reconciliation relies on, and file.write on it when
// an attempt died between its append and the record.
#include "support/TempDataDir.h"

#include "core/Clock.h"
#include "runtime/SideEffectRecords.h"
#include "store/Database.h"
#include "tools/FileTools.h"
#include "tools/ToolEnvironment.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace ordinaut;

namespace {

using State = SideEffectReservation::State;

// The real ledger, except that record() fails while `dying` is set: what an attempt that died
// between its effect and the record leaves in the table.
class DyingLedger final : public SideEffectLedger
{
public:
    explicit DyingLedger(SideEffectLedger &ledger)
        : m_ledger(ledger)
    {}
    Result<std::optional<Json>> reserve(const QString &key, const QString &runId,
                                        const QString &stepId) override
    {
        return m_ledger.reserve(key, runId, stepId);
    }
    Result<SideEffectReservation> reserveWithIntent(const QString &key, const QString &runId,
                                                    const QString &stepId,
                                                    const Json &intent) override
    {
        return m_ledger.reserveWithIntent(key, runId, stepId, intent);
    }
    Status retake(const QString &key, const QString &runId, const Json &intent) override
    {
        return m_ledger.retake(key, runId, intent);
    }
    Result<std::vector<Json>> intentsAfter(const QString &key, const QString &prefix) override
    {
        return m_ledger.intentsAfter(key, prefix);
    }
    Status record(const QString &key, const Json &result) override
    {
        if (dying)
            return Error{ErrorCode::Unavailable, QStringLiteral("the engine died"), {}};
        return m_ledger.record(key, result);
    }
    Status release(const QString &key) override { return m_ledger.release(key); }

    bool dying = false;

private:
    SideEffectLedger &m_ledger;
};

QString why(const Result<Json> &result)
{
    return result ? QString() : result.error().describe();
}

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<missing>");
}

} // namespace

class tst_SideEffectRecords final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void reservationFindsFreeUnfinishedOrRecorded();
    void plainReserveRefusesAnUnfinishedEffect();
    void intentsAfterFollowTheOrderOfReservationsAndRetakes();
    void retakeNeedsAnUnfinishedReservation();
    void fileAppendIsWrittenOnceAcrossDeaths_data();
    void fileAppendIsWrittenOnceAcrossDeaths();

private:
    Result<SideEffectReservation> reserve(const QString &key, const Json &intent);
    std::vector<Json> after(const QString &key);

    std::unique_ptr<test::TempDataDir> m_dir;
    std::shared_ptr<Database> m_db;
    std::unique_ptr<SideEffectRecords> m_ledger;
};

void tst_SideEffectRecords::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::shared_ptr<Database>> db = Database::open(m_dir->databaseFile());
    QVERIFY(db);
    m_db = *db;
    m_ledger = std::make_unique<SideEffectRecords>(*m_db, SystemClock::instance());
}

void tst_SideEffectRecords::cleanup()
{
    m_ledger.reset();
    m_db.reset();
    m_dir.reset();
}

Result<SideEffectReservation> tst_SideEffectRecords::reserve(const QString &key, const Json &intent)
{
    return m_ledger->reserveWithIntent(key, QStringLiteral("run-1"), QStringLiteral("step"),
                                       intent);
}

std::vector<Json> tst_SideEffectRecords::after(const QString &key)
{
    Result<std::vector<Json>> later = m_ledger->intentsAfter(key, QStringLiteral("file.write:"));
    return later ? *later : std::vector<Json>{Json(later.error().describe())};
}

void tst_SideEffectRecords::reservationFindsFreeUnfinishedOrRecorded()
{
    const QString key = QStringLiteral("file.write:t@1:log");
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    Result<SideEffectReservation> first = reserve(key, Json{{"offset", 4}});
    QVERIFY(first);
    QVERIFY(first->state == State::Reserved);

    Result<SideEffectReservation> again = m_ledger->reserveWithIntent(
        key, QStringLiteral("run-2"), QStringLiteral("step"), Json{{"offset", 9}});
    QVERIFY(again);
    QVERIFY(again->state == State::Unfinished);
    QVERIFY2(again->intent == (Json{{"offset", 4}}), again->intent.dump().c_str());
    QCOMPARE(again->runId, QStringLiteral("run-1"));
    QVERIFY(again->reservedAt >= before && again->reservedAt <= QDateTime::currentDateTimeUtc());

    QVERIFY(m_ledger->record(key, Json{{"bytes_written", 4}}));
    Result<SideEffectReservation> recorded = reserve(key, Json());
    QVERIFY(recorded);
    QVERIFY(recorded->state == State::Recorded);
    QVERIFY(recorded->result == (Json{{"bytes_written", 4}}));

    // Without an intent the reservation says nothing, and finds nothing to reconcile.
    QVERIFY(reserve(QStringLiteral("file.write:t@1:bare"), Json()));
    Result<SideEffectReservation> bare = reserve(QStringLiteral("file.write:t@1:bare"), Json());
    QVERIFY(bare && bare->state == State::Unfinished && bare->intent.is_null());
}

void tst_SideEffectRecords::plainReserveRefusesAnUnfinishedEffect()
{
    const QString key = QStringLiteral("email.send:t@1:mail");
    Result<std::optional<Json>> first
        = m_ledger->reserve(key, QStringLiteral("run-1"), QStringLiteral("mail"));
    QVERIFY(first && !*first);
    Result<std::optional<Json>> again
        = m_ledger->reserve(key, QStringLiteral("run-2"), QStringLiteral("mail"));
    QVERIFY(!again);
    QVERIFY(again.error().code == ErrorCode::Conflict);
    QVERIFY2(again.error().message.contains(QLatin1String("never recorded whether it happened"))
                 && again.error().message.contains(key),
             qPrintable(again.error().message));
    QVERIFY(m_ledger->record(key, Json{{"message_id", "m"}}));
    Result<std::optional<Json>> recorded
        = m_ledger->reserve(key, QStringLiteral("run-3"), QStringLiteral("mail"));
    QVERIFY(recorded && *recorded && **recorded == (Json{{"message_id", "m"}}));
}

void tst_SideEffectRecords::intentsAfterFollowTheOrderOfReservationsAndRetakes()
{
    const QString a = QStringLiteral("file.write:t@1:a");
    const QString b = QStringLiteral("file.write:t@2:b");
    const QString c = QStringLiteral("file.write:t@3:c");
    QVERIFY(reserve(a, Json(1)));
    QVERIFY(reserve(b, Json(2)));
    QVERIFY(reserve(QStringLiteral("email.send:t@2:m"), Json(99)));   // another prefix
    QVERIFY(reserve(QStringLiteral("file.write:t@2:quiet"), Json())); // no intent
    QVERIFY(reserve(c, Json(3)));
    QVERIFY(m_ledger->record(b, Json("done"))); // recorded ones count too
    QVERIFY2(after(a) == (std::vector<Json>{2, 3}), Json(after(a)).dump().c_str());
    QVERIFY(after(c).empty());

    // A retaken reservation counts from the retake: after everything there is.
    QVERIFY(m_ledger->retake(a, QStringLiteral("run-2"), Json(4)));
    QVERIFY2(after(b) == (std::vector<Json>{3, 4}), Json(after(b)).dump().c_str());
    QVERIFY(after(a).empty());
    Result<SideEffectReservation> retaken = reserve(a, Json());
    QVERIFY(retaken && retaken->state == State::Unfinished);
    QVERIFY(retaken->intent == Json(4));
    QCOMPARE(retaken->runId, QStringLiteral("run-2"));

    QVERIFY(m_ledger->release(c));
    Result<std::vector<Json>> gone = m_ledger->intentsAfter(c, QStringLiteral("file.write:"));
    QVERIFY(!gone);
    QVERIFY(gone.error().code == ErrorCode::NotFound);
}

void tst_SideEffectRecords::retakeNeedsAnUnfinishedReservation()
{
    const QString key = QStringLiteral("file.write:t@1:a");
    Status missing = m_ledger->retake(key, QStringLiteral("run-2"), Json(1));
    QVERIFY(!missing);
    QVERIFY(missing.error().code == ErrorCode::Conflict);
    QVERIFY(reserve(key, Json(1)));
    QVERIFY(m_ledger->record(key, Json("done")));
    Status recorded = m_ledger->retake(key, QStringLiteral("run-2"), Json(2));
    QVERIFY(!recorded);
    QVERIFY(recorded.error().code == ErrorCode::Conflict);
    Result<SideEffectReservation> kept = reserve(key, Json());
    QVERIFY(kept && kept->state == State::Recorded && kept->result == Json("done"));
}

void tst_SideEffectRecords::fileAppendIsWrittenOnceAcrossDeaths_data()
{
    QTest::addColumn<bool>("diedBeforeWriting");
    QTest::addColumn<QByteArray>("other"); // what another occurrence appends meanwhile
    QTest::newRow("died after writing") << false << QByteArray("two\n");
    QTest::newRow("died after writing, same bytes after") << false << QByteArray("one\n");
    QTest::newRow("died before writing") << true << QByteArray("two\n");
    QTest::newRow("died before writing, same bytes in its place") << true << QByteArray("one\n");
}

void tst_SideEffectRecords::fileAppendIsWrittenOnceAcrossDeaths()
{
    QFETCH(bool, diedBeforeWriting);
    QFETCH(QByteArray, other);
    QTemporaryDir folder;
    const QString path = QDir(folder.path()).filePath(QStringLiteral("counter.txt"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("old\n");
    }
    auto environment = std::make_shared<ToolEnvironment>();
    environment->setSettings(
        Json{{"tools.files.allowed_folders", Json::array({folder.path().toStdString()})}});
    const FileWriteTool tool(environment);
    DyingLedger ledger(*m_ledger);
    auto append = [&](const QByteArray &line, const QString &runId, const QString &scope) {
        ToolContext context;
        context.runId = runId;
        context.stepId = QStringLiteral("count");
        context.effectScope = scope;
        context.ledger = &ledger;
        return tool.invoke(
            Json{{"path", path}, {"content", line.toStdString()}, {"mode", "append"}}, context);
    };
    const QString scope = QStringLiteral("task@1000");

    QTest::ignoreMessage(
        QtWarningMsg, QRegularExpression(QStringLiteral("could not record it: the engine died")));
    ledger.dying = true;
    Result<Json> died = append("one\n", QStringLiteral("run-1"), scope);
    ledger.dying = false;
    QVERIFY2(died, qPrintable(why(died)));
    if (diedBeforeWriting)
        QVERIFY(QFile::resize(path, 4));
    // The next occurrence appends while the dead attempt's lease runs out.
    Result<Json> next = append(other, QStringLiteral("run-9"), QStringLiteral("task@2000"));
    QVERIFY2(next, qPrintable(why(next)));

    Result<Json> retried = append("one\n", QStringLiteral("run-2"), scope);
    QVERIFY2(retried, qPrintable(why(retried)));
    const QByteArray expected = diedBeforeWriting ? QByteArray("old\n" + other + "one\n")
                                                  : QByteArray("old\none\n" + other);
    QCOMPARE(contents(path), expected);
    Result<SideEffectReservation> recorded
        = m_ledger->reserveWithIntent(QStringLiteral("file.write:task@1000:count"),
                                      QStringLiteral("run-3"), QStringLiteral("count"), Json());
    QVERIFY(recorded && recorded->state == State::Recorded);
    QVERIFY(recorded->result == *retried);
    // And once recorded, a further attempt does not append.
    QVERIFY(append("one\n", QStringLiteral("run-3"), scope));
    QCOMPARE(contents(path).count("one\n"), other == "one\n" ? 2 : 1);
}

QTEST_GUILESS_MAIN(tst_SideEffectRecords)
#include "tst_SideEffectRecords.moc"
