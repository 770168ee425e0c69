// Scheduler benchmark: 10,000 active schedules in a real SQLite file, 600 of them due over six
// seconds; reports fire lateness (queued_at - due instant) p50/p99/max and how many fired early,
// then the median cost of one next-occurrence computation for typical rules.
#include "core/Clock.h"
#include "core/Id.h"
#include "schedule/Recurrence.h"
#include "schedule/Scheduler.h"
#include "store/Database.h"
#include "store/RunStore.h"
#include "store/Sql.h"
#include "store/TaskStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>
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

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    Result<std::shared_ptr<Database>> db
        = Database::open(dir.filePath(QStringLiteral("bench.sqlite3")));
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
    QObject::connect(&engineThread, &QThread::finished, scheduler, &QObject::deleteLater);
    engineThread.start();
    QMetaObject::invokeMethod(scheduler, &Scheduler::start, Qt::QueuedConnection);

    RunStore runs(**db);
    QElapsedTimer waited;
    waited.start();
    RunPage page;
    while (waited.elapsed() < 30000) {
        QThread::msleep(200);
        page = *runs.list(RunFilter{QString(), std::nullopt, 1000, 0});
        if (page.total >= kFirings)
            break;
    }
    QMetaObject::invokeMethod(scheduler, &Scheduler::stop, Qt::BlockingQueuedConnection);
    engineThread.quit();
    engineThread.wait();

    std::vector<qint64> lateness;
    int early = 0;
    for (const Run &run : page.items) {
        const qint64 late = run.scheduledFor.msecsTo(run.queuedAt);
        early += late < 0 ? 1 : 0;
        lateness.push_back(late);
    }
    if (lateness.empty()) {
        std::printf("no firings recorded\n");
        return 1;
    }
    std::printf(
        "fire lateness with %d active schedules over %zu firings: p50 %.0f ms, p99 %.0f ms, "
        "max %.0f ms, early %d\n",
        kSchedules, lateness.size(), percentile(lateness, 0.5), percentile(lateness, 0.99),
        percentile(lateness, 1.0), early);
    nextOccurrenceCost();
    return lateness.size() == size_t(kFirings) && early == 0 ? 0 : 1;
}
