// Scheduler benchmark: 10,000 active schedules in a real SQLite file, 600 of them due over six
// seconds; reports fire lateness (queued, committed and announced, minus the due instant) in
// microseconds p50/p99/max and how many fired early; then, with a whole Engine (scheduler and
// workers) running over the same database and nothing due, how often its threads wake per
// minute; then the median cost of one next-occurrence computation for typical rules.
//   ordinaut-bench-scheduler [--idle-seconds N]   (default 125; 0 skips the idle phase)
#include "core/Clock.h"
#include "core/Id.h"
#include "runtime/Engine.h"
#include "schedule/Recurrence.h"
#include "schedule/Scheduler.h"
#include "store/DataDir.h"
#include "store/Database.h"
#include "store/RunStore.h"
#include "store/Sql.h"
#include "store/TaskStore.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <vector>

using namespace ordinaut;

namespace {

constexpr int kSchedules = 10000;
constexpr int kFirings = 600;
constexpr int kSpacingMs = 10;

double percentile(std::vector<qint64> values, double p)
{
    std::sort(values.begin(), values.end());
    return double(values[std::min(values.size() - 1, size_t(p * double(values.size() - 1) + 0.5))]);
}

int seedTasks(const Database &db, const QDateTime &firstDue)
{
    TaskStore store(db);
    sql::Transaction tx(db.connection(), sql::TransactionMode::Immediate);
    const Pipeline empty
        = *Pipeline::fromJson(Json::parse(R"({"pipeline":[]})"), QStringLiteral("payload"));
    for (int i = 0; i < kSchedules; ++i) {
        Task task;
        task.id = newId();
        task.title = QStringLiteral("bench %1").arg(i);
        task.pipeline = empty;
        task.createdAt = task.updatedAt = firstDue;
        if (i < kFirings) {
            const QDateTime due = firstDue.addMSecs(qint64(i) * kSpacingMs);
            task.schedule = Schedule{ScheduleKind::Once, formatInstant(due), QString(),
                                     QStringLiteral("UTC")};
            task.nextRunAt = due;
        } else {
            task.schedule
                = Schedule{ScheduleKind::RRule, QStringLiteral("FREQ=DAILY;BYHOUR=%1").arg(i % 24),
                           QStringLiteral("2026-01-01T00:00:00"), QStringLiteral("Europe/Berlin")};
            task.nextRunAt = firstDue.addDays(1 + i % 30);
        }
        if (!store.insert(task))
            return 1;
    }
    return tx.commit() ? 0 : 1;
}

void nextOccurrenceCost()
{
    const std::vector<Schedule> rules = {
        {ScheduleKind::RRule, QStringLiteral("FREQ=DAILY;BYHOUR=9;BYMINUTE=0"),
         QStringLiteral("2026-01-01T09:00:00"), QStringLiteral("America/New_York")},
        {ScheduleKind::RRule,
         QStringLiteral("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=30"),
         QStringLiteral("2020-01-01T07:30:00"), QStringLiteral("Europe/Berlin")},
        {ScheduleKind::RRule, QStringLiteral("FREQ=MONTHLY;BYDAY=1MO;BYHOUR=8"),
         QStringLiteral("2026-01-05T08:00:00"), QStringLiteral("Australia/Sydney")},
        {ScheduleKind::RRule, QStringLiteral("FREQ=MINUTELY;INTERVAL=15"),
         QStringLiteral("2024-01-01T00:00:00"), QStringLiteral("UTC")},
    };
    const QDateTime after = QDateTime::currentDateTimeUtc();
    for (const Schedule &schedule : rules) {
        std::vector<qint64> samples;
        for (int batch = 0; batch < 21; ++batch) {
            QElapsedTimer timer;
            timer.start();
            for (int i = 0; i < 200; ++i) {
                if (!Recurrence::nextAfter(schedule, after.addSecs(i * 3600)))
                    std::printf("error in %s\n", qPrintable(schedule.expression));
            }
            samples.push_back(timer.nsecsElapsed() / 200);
        }
        std::printf("next occurrence  %-52s median %6.1f us\n", qPrintable(schedule.expression),
                    percentile(samples, 0.5) / 1000.0);
    }
}

// Context switches (voluntary and not) of every thread of this process but the main one: each
// is a wake-up, whatever woke the thread (a timer, a socket, a lock).
qint64 otherThreadWakeUps()
{
    qint64 total = 0;
    const QString self = QString::number(QCoreApplication::applicationPid());
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (tid == self)
            continue;
        QFile status(tasks.filePath(tid + QStringLiteral("/status")));
        if (!status.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray &line : status.readAll().split('\n')) {
            if (line.startsWith("voluntary_ctxt_switches:")
                || line.startsWith("nonvoluntary_ctxt_switches:"))
                total += line.mid(line.indexOf(':') + 1).trimmed().toLongLong();
        }
    }
    return total;
}

// A whole engine over the benchmark's database, with every task due days from now (the first
// 600 have fired): its threads' wake-ups per minute once settled.
int idleWakeUps(const QString &dataDir, int seconds)
{
    EngineOptions options;
    options.dataDir = dataDir;
    Result<std::unique_ptr<Engine>> engine = Engine::create(options);
    if (!engine) {
        std::printf("cannot start the engine: %s\n", qPrintable(engine.error().describe()));
        return 1;
    }
    (*engine)->start();
    // Let the workers drain the runs queued by the firing phase.
    QElapsedTimer settle;
    settle.start();
    while (settle.elapsed() < 3000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 100);
    const qint64 before = otherThreadWakeUps();
    QThread::sleep(static_cast<unsigned long>(seconds));
    const qint64 wakeUps = otherThreadWakeUps() - before;
    std::printf("idle engine (%d workers, %d schedules, none due): %lld thread wake-ups in %d s "
                "= %.2f per minute\n",
                (*engine)->workerCount(), kSchedules, static_cast<long long>(wakeUps), seconds,
                double(wakeUps) * 60.0 / seconds);
    (*engine)->stop();
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int idleSeconds = 125;
    const QStringList args = app.arguments();
    if (const qsizetype at = args.indexOf(QStringLiteral("--idle-seconds")); at > 0)
        idleSeconds = args.value(at + 1).toInt();
    QTemporaryDir dir;
    Result<std::shared_ptr<Database>> db = Database::open(databaseFile(dir.path()));
    if (!db) {
        std::printf("cannot open database: %s\n", qPrintable(db.error().describe()));
        return 1;
    }
    const QDateTime firstDue = QDateTime::currentDateTimeUtc().addSecs(3);
    if (seedTasks(**db, firstDue) != 0)
        return 1;

    QThread engineThread;
    auto *scheduler = new Scheduler(**db, SystemClock::instance());
    scheduler->moveToThread(&engineThread);
    // Stamped on the engine thread as each run is announced, after its transaction committed.
    std::mutex mutex;
    std::vector<qint64> lateness;
    QObject::connect(
        scheduler, &Scheduler::runQueued, scheduler,
        [&](const Event &event) {
            const qint64 nowUs = std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
            const auto due = parseInstant(event.payload["scheduled_for"].get<QString>());
            const std::lock_guard lock(mutex);
            lateness.push_back(nowUs - due->toMSecsSinceEpoch() * 1000);
        },
        Qt::DirectConnection);
    QObject::connect(&engineThread, &QThread::finished, scheduler, &QObject::deleteLater);
    engineThread.start();
    QMetaObject::invokeMethod(scheduler, &Scheduler::start, Qt::QueuedConnection);

    QElapsedTimer waited;
    waited.start();
    while (waited.elapsed() < 30000) {
        QThread::msleep(200);
        const std::lock_guard lock(mutex);
        if (lateness.size() >= size_t(kFirings))
            break;
    }
    QMetaObject::invokeMethod(scheduler, &Scheduler::stop, Qt::BlockingQueuedConnection);
    engineThread.quit();
    engineThread.wait();

    const int early
        = int(std::count_if(lateness.begin(), lateness.end(), [](qint64 us) { return us < 0; }));
    if (lateness.empty()) {
        std::printf("no firings recorded\n");
        return 1;
    }
    std::printf("fire lateness with %d active schedules over %zu firings: p50 %.0f us, p99 %.0f "
                "us, max %.0f us, early %d\n",
                kSchedules, lateness.size(), percentile(lateness, 0.5), percentile(lateness, 0.99),
                percentile(lateness, 1.0), early);
    db->reset();
    if (idleSeconds > 0 && idleWakeUps(dir.path(), idleSeconds) != 0)
        return 1;
    nextOccurrenceCost();
    return lateness.size() == size_t(kFirings) && early == 0 ? 0 : 1;
}
