// TaskStore: every field survives a write and a read; lists filter and paginate.
#include "support/TempDataDir.h"

#include "core/Id.h"
#include "store/Database.h"
#include "store/TaskStore.h"

#include <QTest>

using namespace ordinaut;

namespace {

Task sampleTask(const QString &title, TaskStatus status, qint64 createdMs)
{
    Task task;
    task.id = newId();
    task.title = title;
    task.description = QStringLiteral("déjà vu — ünïcode");
    task.createdBy = QStringLiteral("agent:x");
    task.schedule.kind = ScheduleKind::RRule;
    task.schedule.expression = QStringLiteral("FREQ=DAILY;BYHOUR=7");
    task.schedule.dtstart = QStringLiteral("2026-12-01T07:00:00");
    task.schedule.timezone = QStringLiteral("America/New_York");
    Result<Pipeline> pipeline = Pipeline::fromJson(
        Json::parse(R"({"params":{"n":[1,2,{"x":null}]},"pipeline":[{"id":"a","uses":"debug.echo",
            "with":{"v":"${params.n}"},"save_as":"first","timeout_seconds":5,"on_error":"continue"}]})"),
        QStringLiteral("payload"));
    task.pipeline = *pipeline;
    task.status = status;
    task.priority = 3;
    task.retry = RetryPolicy{2, BackoffStrategy::Linear, 2500, 60000};
    task.nextRunAt = QDateTime::fromMSecsSinceEpoch(1796000000123, Qt::UTC);
    task.version = 4;
    task.createdAt = QDateTime::fromMSecsSinceEpoch(createdMs, Qt::UTC);
    task.updatedAt = task.createdAt.addSecs(5);
    return task;
}

} // namespace

class tst_TaskStore final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void roundTripKeepsEveryField();
    void roundTripKeepsEmptyFields();
    void dueListsActiveTasksAtOrBeforeNow();
    void versionsAreKeptPerNumber();
    void updateOverwritesAndUnknownIdIsNotFound();
    void listFiltersAndPaginates();
    void removeDeletesTaskButUnknownIsNotFound();

private:
    std::unique_ptr<test::TempDataDir> m_dir;
    std::shared_ptr<Database> m_db;
};

void tst_TaskStore::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::shared_ptr<Database>> db = Database::open(m_dir->databaseFile());
    QVERIFY(db);
    m_db = *db;
}

void tst_TaskStore::cleanup()
{
    m_db.reset();
    m_dir.reset();
}

void tst_TaskStore::roundTripKeepsEveryField()
{
    TaskStore store(*m_db);
    const Task task = sampleTask(QStringLiteral("Round trip"), TaskStatus::Active, 1790000000000);
    const Status inserted = store.insert(task);
    QVERIFY2(inserted, qPrintable(inserted ? QString() : inserted.error().describe()));
    Result<Task> read = store.get(task.id);
    QVERIFY2(read, qPrintable(read ? QString() : read.error().describe()));
    QCOMPARE(read->toJson().dump(), task.toJson().dump());
    QVERIFY(read->pipeline.steps.at(0).onError == OnError::Continue);
    QCOMPARE(read->pipeline.steps.at(0).timeoutSeconds.value_or(0), 5);
    QCOMPARE(read->nextRunAt, task.nextRunAt);
}

void tst_TaskStore::roundTripKeepsEmptyFields()
{
    TaskStore store(*m_db);
    Task task;
    task.id = newId();
    task.title = QStringLiteral("Bare");
    task.pipeline
        = *Pipeline::fromJson(Json::parse(R"({"pipeline":[]})"), QStringLiteral("payload"));
    task.createdAt = QDateTime::fromMSecsSinceEpoch(1790000000001, Qt::UTC);
    task.updatedAt = task.createdAt;
    QVERIFY(store.insert(task));
    Result<Task> read = store.get(task.id);
    QVERIFY2(read, qPrintable(read ? QString() : read.error().describe()));
    QCOMPARE(read->toJson().dump(), task.toJson().dump());
    QVERIFY(read->schedule.kind == ScheduleKind::Manual);
    QVERIFY(read->schedule.dtstart.isEmpty());
    QVERIFY(!read->nextRunAt.isValid());
    QCOMPARE(read->createdAt.toMSecsSinceEpoch(), qint64(1790000000001));
}

void tst_TaskStore::dueListsActiveTasksAtOrBeforeNow()
{
    TaskStore store(*m_db);
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(1796000000000, Qt::UTC);
    Task early = sampleTask(QStringLiteral("early"), TaskStatus::Active, 1790000000000);
    early.nextRunAt = now.addSecs(-60);
    Task exact = sampleTask(QStringLiteral("exact"), TaskStatus::Active, 1790000000001);
    exact.nextRunAt = now;
    Task later = sampleTask(QStringLiteral("later"), TaskStatus::Active, 1790000000002);
    later.nextRunAt = now.addMSecs(1);
    Task paused = sampleTask(QStringLiteral("paused"), TaskStatus::Paused, 1790000000003);
    paused.nextRunAt = now.addSecs(-120);
    for (const Task &task : {early, exact, later, paused})
        QVERIFY(store.insert(task));

    Result<std::vector<Task>> due = store.due(now, 10);
    QVERIFY(due);
    QCOMPARE(int(due->size()), 2);
    QCOMPARE(due->at(0).title, QStringLiteral("early")); // earliest first
    QCOMPARE(due->at(1).title, QStringLiteral("exact"));
    QCOMPARE(int(store.due(now, 1)->size()), 1);
    QCOMPARE(*store.earliestNextRun(), early.nextRunAt); // the paused one does not count

    QVERIFY(store.setNextRunAt(early.id, QDateTime()));
    QCOMPARE(*store.earliestNextRun(), exact.nextRunAt);
}

void tst_TaskStore::versionsAreKeptPerNumber()
{
    TaskStore store(*m_db);
    Task task = sampleTask(QStringLiteral("v"), TaskStatus::Active, 1790000000000);
    QVERIFY(store.insert(task));
    QVERIFY(store.insertVersion(task.id, 1, task.toJson(), QStringLiteral("a"), task.createdAt));
    task.title = QStringLiteral("v2");
    QVERIFY(store.insertVersion(task.id, 2, task.toJson(), QStringLiteral("b"), task.updatedAt));
    QVERIFY((*store.versionDocument(task.id, 1))["title"] == "v");
    QVERIFY((*store.versionDocument(task.id, 2))["title"] == "v2");
    QVERIFY(store.versionDocument(task.id, 3).error().code == ErrorCode::NotFound);
    // A version number is written once.
    Status again
        = store.insertVersion(task.id, 2, task.toJson(), QStringLiteral("c"), task.updatedAt);
    QVERIFY(!again);
    QVERIFY(again.error().code == ErrorCode::Conflict);
}

void tst_TaskStore::updateOverwritesAndUnknownIdIsNotFound()
{
    TaskStore store(*m_db);
    Task task = sampleTask(QStringLiteral("Before"), TaskStatus::Active, 1790000000000);
    QVERIFY(store.insert(task));
    task.title = QStringLiteral("After");
    task.status = TaskStatus::Paused;
    task.nextRunAt = QDateTime();
    QVERIFY(store.update(task));
    Result<Task> read = store.get(task.id);
    QVERIFY(read);
    QCOMPARE(read->title, QStringLiteral("After"));
    QVERIFY(read->status == TaskStatus::Paused);
    QVERIFY(!read->nextRunAt.isValid());

    Task ghost = task;
    ghost.id = newId();
    Status missing = store.update(ghost);
    QVERIFY(!missing);
    QVERIFY(missing.error().code == ErrorCode::NotFound);
}

void tst_TaskStore::listFiltersAndPaginates()
{
    TaskStore store(*m_db);
    for (int i = 0; i < 7; ++i)
        QVERIFY(store.insert(sampleTask(QStringLiteral("t%1").arg(i),
                                        i % 3 == 0 ? TaskStatus::Paused : TaskStatus::Active,
                                        1790000000000 + i)));
    Result<TaskPage> all = store.list(std::nullopt, 3, 0);
    QVERIFY(all);
    QCOMPARE(all->total, 7);
    QCOMPARE(int(all->items.size()), 3);
    QCOMPARE(all->items[0].title, QStringLiteral("t6")); // newest first
    Result<TaskPage> last = store.list(std::nullopt, 3, 6);
    QVERIFY(last);
    QCOMPARE(int(last->items.size()), 1);
    QCOMPARE(last->items[0].title, QStringLiteral("t0"));
    Result<TaskPage> paused = store.list(TaskStatus::Paused, 50, 0);
    QVERIFY(paused);
    QCOMPARE(paused->total, 3);
    for (const Task &task : paused->items)
        QVERIFY(task.status == TaskStatus::Paused);
}

void tst_TaskStore::removeDeletesTaskButUnknownIsNotFound()
{
    TaskStore store(*m_db);
    const Task task = sampleTask(QStringLiteral("Doomed"), TaskStatus::Active, 1790000000000);
    QVERIFY(store.insert(task));
    QVERIFY(store.insertVersion(task.id, 1, task.toJson(), QStringLiteral("x"), task.createdAt));
    QVERIFY(store.remove(task.id));
    QVERIFY(store.get(task.id).error().code == ErrorCode::NotFound);
    QVERIFY(store.versionDocument(task.id, 1).error().code == ErrorCode::NotFound);
    QVERIFY(store.remove(task.id).error().code == ErrorCode::NotFound);
}

QTEST_GUILESS_MAIN(tst_TaskStore)
#include "tst_TaskStore.moc"
