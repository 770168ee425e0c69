// tst_CrashRecovery: the real ordinaut-server, killed with SIGKILL at random moments while it
// works through queued runs, and two servers sharing one data folder. Every occurrence must
// succeed exactly once (its other attempts abandoned), its file.write append must be in the
// counter file exactly once, and nothing may stay queued.
#include "support/TempDataDir.h"

#include "core/Clock.h"
#include "runtime/Engine.h"
#include "service/Services.h"
#include "store/DataDir.h"
#include "store/Database.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>

using namespace ordinaut;

namespace {

constexpr int kCrashRuns = 2000;
constexpr int kMinKillsInWork = 20;
constexpr int kMaxKills = 40;
// A kill comes this long after the server said it serves: short enough that 20 kills land before
// the 2,000 runs are done, long enough that each finds runs going on.
constexpr int kKillAfterMinMs = 20;
constexpr int kKillAfterMaxMs = 120;
constexpr int kSharedRuns = 5000;
constexpr qint64 kSettleMs = 90000; // per test, from the end of its preparation

// A read-only look at the database of a data folder, as an operator's sqlite3 would take.
class Peek final
{
public:
    explicit Peek(const QString &dataDir)
        : m_name(QStringLiteral("peek-%1").arg(QRandomGenerator::global()->generate64()))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(databaseFile(dataDir));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=10000"));
        db.open();
    }
    ~Peek() { QSqlDatabase::removeDatabase(m_name); }
    Q_DISABLE_COPY_MOVE(Peek)

    // The rows of `statement`, each as its columns; a failure is one row with the error.
    QList<QVariantList> rows(const QString &statement) const
    {
        QSqlQuery query(QSqlDatabase::database(m_name, false));
        QList<QVariantList> rows;
        if (!query.exec(statement))
            return {QVariantList{QString(QStringLiteral("error: ") + query.lastError().text())}};
        while (query.next()) {
            QVariantList row;
            for (int i = 0; i < query.record().count(); ++i)
                row << query.value(i);
            rows << row;
        }
        return rows;
    }
    // Queue rows that still wait or are being worked on; -1 when the database cannot be read.
    int openQueueRows() const
    {
        const QList<QVariantList> result
            = rows(QStringLiteral("SELECT count(*) FROM run_queue WHERE state <> 'done'"));
        bool ok = false;
        const int open = result.value(0).value(0).toInt(&ok);
        return ok ? open : -1;
    }

private:
    QString m_name;
};

// A task whose pipeline appends one line naming its occurrence to `counter`, and `runs` runs of
// it queued with distinct occurrence times, written without an engine running.
void prepare(const QString &dataDir, const QString &counter, int runs)
{
    // Occurrences lie in the past, a millisecond apart: all due when a server starts.
    ManualClock clock(QDateTime::currentDateTimeUtc().addSecs(-3600));
    EngineOptions options;
    options.dataDir = dataDir;
    options.clock = &clock;
    Result<std::unique_ptr<Engine>> engine = Engine::create(options);
    QVERIFY2(engine, qPrintable(engine ? QString() : engine.error().describe()));
    // Durability of the setup itself is not under test; a commit per queued run is.
    QSqlQuery((*engine)->database().connection()).exec(QStringLiteral("PRAGMA synchronous=OFF"));
    Services services(**engine);
    Result<Json> set
        = services.settings.update(Json{{"tools.files.allowed_folders",
                                         Json::array({QFileInfo(counter).path().toStdString()})}},
                                   QStringLiteral("test"));
    QVERIFY2(set, qPrintable(set ? QString() : set.error().describe()));
    const Json step{{"id", "count"},
                    {"uses", "file.write"},
                    {"with",
                     {{"path", counter.toStdString()},
                      {"content", "${run.scheduled_for}\n"},
                      {"mode", "append"}}}};
    // overlap_policy allow: the runs go at once, several racing to append to the one file (the
    // default, queue_one, would start them one after another).
    const Json document{{"title", "count occurrences"},
                        {"schedule_kind", "manual"},
                        {"overlap_policy", "allow"},
                        {"payload", {{"pipeline", Json::array({step})}}}};
    Result<Task> task = services.tasks.create(document, QStringLiteral("test"));
    QVERIFY2(task, qPrintable(task ? QString() : task.error().describe()));
    for (int i = 0; i < runs; ++i) {
        Result<Run> queued
            = services.runs.runNow(task->id, RunTrigger::Manual, QStringLiteral("test"));
        QVERIFY2(queued, qPrintable(queued ? QString() : queued.error().describe()));
        clock.advanceMs(1);
    }
}

// Runs `ordinaut-server serve` on the data folder until it prints its URL (stderr goes to
// `log`); false when it does not within 30 s.
bool startServer(QProcess &server, const QString &dataDir, const QString &log,
                 const QStringList &extra = {})
{
    server.setStandardErrorFile(log, QIODevice::Append);
    server.start(QStringLiteral(ORDINAUT_SERVER_PATH),
                 QStringList{QStringLiteral("serve"), QStringLiteral("--data-dir"), dataDir,
                             QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")}
                     + extra);
    if (!server.waitForStarted(10000))
        return false;
    QElapsedTimer waited;
    waited.start();
    while (!server.canReadLine()) {
        if (server.state() == QProcess::NotRunning || waited.hasExpired(30000))
            return false;
        server.waitForReadyRead(100);
    }
    return server.readLine().contains("serving at http://127.0.0.1:");
}

// Waits until no queue row is open, up to kSettleMs from `since`; the open rows left.
int settle(const Peek &peek, const QElapsedTimer &since)
{
    int open = peek.openQueueRows();
    while (open != 0 && !since.hasExpired(kSettleMs)) {
        QTest::qWait(100);
        open = peek.openQueueRows();
    }
    return open;
}

// Waits for a server told to stop (SIGTERM); false when it is still there after 30 s (it is then
// killed, so that the checks of the queue can go on).
bool stopped(QProcess &server)
{
    if (server.waitForFinished(30000))
        return true;
    server.kill();
    server.waitForFinished(10000);
    return false;
}

QString tail(const QString &log)
{
    QFile file(log);
    if (!file.open(QIODevice::ReadOnly))
        return QStringLiteral("(no server log)");
    const QByteArray all = file.readAll();
    return QString::fromUtf8(all.right(3000));
}

// What the finished queue says about every occurrence: a problem per line, empty when each has
// exactly one succeeded run, every other attempt abandoned, and its line once in the counter file.
QStringList problems(const Peek &peek, const QString &counter, int expected)
{
    QStringList found;
    QMap<QPair<QString, qint64>, QStringList> occurrences; // statuses (with errors) per occurrence
    QMap<QPair<QString, qint64>, int> succeeded;
    for (const QVariantList &row : peek.rows(QStringLiteral(
             "SELECT task_id, scheduled_for, status, error FROM runs ORDER BY rowid"))) {
        if (row.size() != 4)
            return {row.value(0).toString()};
        const QPair<QString, qint64> occurrence{row[0].toString(), row[1].toLongLong()};
        const QString status = row[2].toString();
        if (status == QLatin1String("succeeded"))
            ++succeeded[occurrence];
        else if (status != QLatin1String("abandoned"))
            occurrences[occurrence]
                << status + QStringLiteral(" (") + row[3].toString() + QLatin1Char(')');
        if (!occurrences.contains(occurrence))
            occurrences[occurrence] = {};
    }
    if (occurrences.size() != expected)
        found << QStringLiteral("%1 occurrences in runs, expected %2")
                     .arg(occurrences.size())
                     .arg(expected);
    for (auto it = occurrences.cbegin(); it != occurrences.cend(); ++it) {
        const int wins = succeeded.value(it.key());
        if (wins != 1 || !it.value().isEmpty())
            found << QStringLiteral("%1@%2: %3 succeeded; other than abandoned: %4")
                         .arg(it.key().first)
                         .arg(it.key().second)
                         .arg(wins)
                         .arg(it.value().join(QStringLiteral("; ")));
    }

    QFile file(counter);
    if (!file.open(QIODevice::ReadOnly))
        return found << QStringLiteral("no counter file: ") + file.errorString();
    QList<QByteArray> lines = file.readAll().split('\n');
    if (lines.isEmpty() || !lines.takeLast().isEmpty())
        found << QStringLiteral("the counter file does not end with a line break");
    QMap<qint64, int> seen;
    for (const QByteArray &line : std::as_const(lines)) {
        const std::optional<QDateTime> at = parseInstant(QString::fromUtf8(line));
        if (!at)
            found << QStringLiteral("counter line '%1' names no instant")
                         .arg(QString::fromUtf8(line));
        else
            ++seen[at->toMSecsSinceEpoch()];
    }
    if (lines.size() != expected)
        found << QStringLiteral("%1 counter lines, expected %2").arg(lines.size()).arg(expected);
    for (auto it = seen.cbegin(); it != seen.cend(); ++it) {
        if (it.value() != 1)
            found << QStringLiteral("occurrence %1 is %2 times in the counter file")
                         .arg(formatInstant(QDateTime::fromMSecsSinceEpoch(it.key(), Qt::UTC)))
                         .arg(it.value());
    }
    QSet<qint64> scheduled;
    for (auto it = occurrences.cbegin(); it != occurrences.cend(); ++it)
        scheduled << it.key().second;
    for (auto it = seen.cbegin(); it != seen.cend(); ++it) {
        if (!scheduled.contains(it.key()))
            found << QStringLiteral("counter line for %1, which is no occurrence").arg(it.key());
    }
    const QList<QVariantList> unrecorded
        = peek.rows(QStringLiteral("SELECT count(*) FROM side_effects WHERE result IS NULL"));
    if (unrecorded.value(0).value(0).toString() != QLatin1String("0"))
        found << QStringLiteral("side effects never recorded: %1")
                     .arg(unrecorded.value(0).value(0).toString());
    return found;
}

QString summary(const QStringList &problems)
{
    return QStringLiteral("%1 problems:\n").arg(problems.size())
           + problems.mid(0, 30).join(QLatin1Char('\n'));
}

int abandonedRuns(const Peek &peek)
{
    return peek.rows(QStringLiteral("SELECT count(*) FROM runs WHERE status='abandoned'"))
        .value(0)
        .value(0)
        .toInt();
}

} // namespace

class tst_CrashRecovery final : public QObject
{
    Q_OBJECT

private slots:
    void killedServerLosesNothingAndRepeatsNothing();
    void twoServersShareOneQueueAndRunEachOccurrenceOnce();
};

void tst_CrashRecovery::killedServerLosesNothingAndRepeatsNothing()
{
    test::TempDataDir data;
    QTemporaryDir files;
    const QString counter = QDir(files.path()).filePath(QStringLiteral("counter.txt"));
    const QString log = QDir(data.path()).filePath(QStringLiteral("server.log"));
    QElapsedTimer took;
    took.start();
    prepare(data.path(), counter, kCrashRuns);
    if (QTest::currentTestFailed())
        return;
    qInfo("queued %d runs in %lld ms", kCrashRuns, took.restart());

    const quint32 seed = QRandomGenerator::global()->generate();
    QRandomGenerator random(seed);
    qInfo("kill delays from seed %u", seed);
    const Peek peek(data.path());
    const QStringList lease{QStringLiteral("--lease-ms"), QStringLiteral("1000")};
    int kills = 0;
    int killsInWork = 0;
    while (killsInWork < kMinKillsInWork && kills < kMaxKills) {
        QProcess server;
        QVERIFY2(startServer(server, data.path(), log, lease), qPrintable(tail(log)));
        QTest::qWait(static_cast<int>(random.bounded(kKillAfterMinMs, kKillAfterMaxMs + 1)));
        server.kill();
        QVERIFY(server.waitForFinished(10000));
        ++kills;
        const int open = peek.openQueueRows();
        QVERIFY2(open >= 0, "the database cannot be read");
        if (open == 0)
            break; // all done: a later kill would interrupt nothing
        ++killsInWork;
    }
    const int leftAfterKills = peek.openQueueRows();
    qInfo("%d kills (%d while work was left) in %lld ms; %d runs left", kills, killsInWork,
          took.elapsed(), leftAfterKills);

    QProcess server;
    QVERIFY2(startServer(server, data.path(), log, lease), qPrintable(tail(log)));
    const int open = settle(peek, took);
    qInfo("the rest took %lld ms in all: %.0f runs/s over the whole test", took.elapsed(),
          kCrashRuns * 1000.0 / static_cast<double>(took.elapsed()));
    server.terminate();
    const bool stoppedInTime = stopped(server);
    QVERIFY2(open == 0, qPrintable(QStringLiteral("%1 queue rows still open after %2 ms\n%3")
                                       .arg(open)
                                       .arg(kSettleMs)
                                       .arg(tail(log))));

    const QStringList found = problems(peek, counter, kCrashRuns);
    // Recorded under a dead attempt's run: its successor found the bytes in the file.
    const QList<QVariantList> recognized = peek.rows(
        QStringLiteral("SELECT count(*) FROM side_effects s JOIN runs r ON r.id = s.run_id "
                       "WHERE r.status = 'abandoned'"));
    qInfo("%d attempts abandoned; %s appends found in the file after their attempt died",
          abandonedRuns(peek), qPrintable(recognized.value(0).value(0).toString()));
    QVERIFY2(found.isEmpty(), qPrintable(summary(found)));
    QVERIFY2(killsInWork >= kMinKillsInWork,
             qPrintable(QStringLiteral("only %1 of %2 kills came while work was left")
                            .arg(killsInWork)
                            .arg(kills)));
    QVERIFY2(
        stoppedInTime,
        qPrintable(QStringLiteral("the server did not stop on SIGTERM within 30 s\n") + tail(log)));
}

void tst_CrashRecovery::twoServersShareOneQueueAndRunEachOccurrenceOnce()
{
    test::TempDataDir data;
    QTemporaryDir files;
    const QString counter = QDir(files.path()).filePath(QStringLiteral("counter.txt"));
    const QString log = QDir(data.path()).filePath(QStringLiteral("server.log"));
    QElapsedTimer took;
    took.start();
    prepare(data.path(), counter, kSharedRuns);
    if (QTest::currentTestFailed())
        return;
    qInfo("queued %d runs in %lld ms", kSharedRuns, took.restart());

    const Peek peek(data.path());
    QProcess first;
    QProcess second;
    QVERIFY2(startServer(first, data.path(), log), qPrintable(tail(log)));
    QVERIFY2(startServer(second, data.path(), log), qPrintable(tail(log)));
    const int open = settle(peek, took);
    qInfo("%d runs in %lld ms: %.0f runs/s", kSharedRuns, took.elapsed(),
          kSharedRuns * 1000.0 / static_cast<double>(took.elapsed()));
    first.terminate(); // both shut down at once
    second.terminate();
    const bool firstStopped = stopped(first);
    const bool stoppedInTime = stopped(second) && firstStopped;
    QVERIFY2(open == 0, qPrintable(QStringLiteral("%1 queue rows still open after %2 ms\n%3")
                                       .arg(open)
                                       .arg(kSettleMs)
                                       .arg(tail(log))));

    const QStringList found = problems(peek, counter, kSharedRuns);
    QVERIFY2(found.isEmpty(), qPrintable(summary(found)));
    // Worker ids are "<engine id>/w<n>": the runs each engine carried to success.
    QStringList shares;
    int engines = 0;
    for (const QVariantList &row : peek.rows(
             QStringLiteral("SELECT substr(worker, 1, instr(worker, '/') - 1), count(*) FROM runs "
                            "WHERE status='succeeded' GROUP BY 1 ORDER BY 1"))) {
        shares << row.value(0).toString() + QStringLiteral(": ") + row.value(1).toString();
        engines += row.value(1).toInt() > 0 ? 1 : 0;
    }
    qInfo("succeeded runs per engine: %s; %d attempts abandoned",
          qPrintable(shares.join(QStringLiteral(", "))), abandonedRuns(peek));
    QVERIFY2(engines == 2, qPrintable(QStringLiteral("the runs were not shared by two engines: ")
                                      + shares.join(QStringLiteral(", "))));
    QVERIFY2(
        stoppedInTime,
        qPrintable(QStringLiteral("a server did not stop on SIGTERM within 30 s\n") + tail(log)));
}

QTEST_GUILESS_MAIN(tst_CrashRecovery)
#include "tst_CrashRecovery.moc"
