// BenchEngine: composing, starting and stopping the engine under test.
#include "BenchEngine.h"

#include "FinishedRuns.h"
#include "MarkTool.h"

#include "api/HttpApi.h"
#include "runtime/Engine.h"
#include "service/Services.h"
#include "store/Database.h"
#include "store/Sql.h"
#include "store/WriteQueue.h"

#include <QDir>
#include <QElapsedTimer>
#include <QRandomGenerator>

namespace ordinaut::bench {

namespace {

const QString kActor = QStringLiteral("bench");
// The size of the API's token signing key, as the server makes it (256 bits).
constexpr int kSigningKeyBytes = 32;

} // namespace

Result<std::unique_ptr<BenchEngine>> BenchEngine::create(int workers)
{
    std::unique_ptr<BenchEngine> bench(new BenchEngine);
    if (!bench->m_dir.isValid())
        return Error{ErrorCode::Unavailable,
                     QStringLiteral("cannot make a temporary data folder under %1: %2")
                         .arg(QDir::tempPath(), bench->m_dir.errorString()),
                     {}};
    bench->m_marks = std::make_shared<MarkTool>();
    EngineOptions options;
    options.dataDir = bench->m_dir.path();
    options.workers = workers;
    options.extraTools = {bench->m_marks};
    Result<std::unique_ptr<Engine>> engine = Engine::create(options);
    if (!engine)
        return engine.error();
    bench->m_engine = std::move(*engine);
    bench->m_services = std::make_unique<Services>(*bench->m_engine);
    bench->m_engine->start();
    Result<QString> task = bench->createTask(QStringLiteral("bench no-op"));
    if (!task)
        return task.error();
    bench->m_taskId = *task;
    return bench;
}

BenchEngine::~BenchEngine()
{
    // The API calls the services, the services the engine: stop from the outside in.
    if (m_api)
        m_api->stop();
    if (m_engine)
        m_engine->stop();
    m_api.reset();
    m_services.reset();
    m_engine.reset();
}

Result<QString> BenchEngine::createTask(const QString &title)
{
    const Json document{
        {"title", title},
        {"schedule_kind", "manual"},
        // Independent jobs, as in the peers' benchmarks: runs of the task may overlap (the
        // default, queue_one, runs them one at a time).
        {"overlap_policy", "allow"},
        {"payload",
         {{"pipeline", Json::array({Json{
                           {"id", "mark"}, {"uses", "bench.mark"}, {"with", Json::object()}}})}}}};
    Result<Task> task = m_services->tasks.create(document, kActor);
    if (!task)
        return task.error();
    return task->id;
}

Result<QString> BenchEngine::startApi()
{
    QByteArray key(kSigningKeyBytes, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(key.data()),
                                          kSigningKeyBytes / int(sizeof(quint32)));
    Result<Agent> agent = m_services->agents.create(kActor, {QStringLiteral("*")}, kActor);
    if (!agent)
        return agent.error();
    // One agent sends every request: its request rate limit (api.rate_limit) is lifted, as a
    // user would for a trusted high-volume client.
    if (Result<Json> lifted = m_services->settings.update(
            Json{{"api.rate_limit", {{"requests_per_second", 0}, {"burst", 1}}}}, kActor);
        !lifted)
        return lifted.error();
    m_api = std::make_unique<HttpApi>(*m_engine, *m_services, key);
    Result<Authenticator::Tokens> tokens = m_api->authenticator().issue(*agent);
    if (!tokens)
        return tokens.error();
    m_token = tokens->accessToken;
    Result<quint16> port = m_api->start(QHostAddress(QHostAddress::LocalHost), 0);
    if (!port)
        return port.error();
    return QStringLiteral("http://127.0.0.1:%1").arg(*port);
}

Result<QString> BenchEngine::warmUp(int count, int timeoutMs)
{
    Result<QString> task = createTask(QStringLiteral("bench warm-up"));
    if (!task)
        return task.error();
    FinishedRuns finished(m_engine->eventBus(), *task, count);
    for (int i = 0; i < count; ++i) {
        const int before = finished.succeeded();
        Result<Run> run = m_services->runs.runNow(*task, RunTrigger::Manual, kActor);
        if (!run)
            return run.error();
        // The worker is woken through this (the main) thread's event loop.
        QElapsedTimer waited;
        waited.start();
        pumpEventsUntil(
            [&] {
                return finished.succeeded() > before || finished.failed() > 0
                       || waited.elapsed() > timeoutMs;
            },
            1);
        if (finished.succeeded() == before)
            return Error::internal(
                QStringLiteral("warm-up run %1 did not succeed within %2 ms (%3)")
                    .arg(run->id)
                    .arg(timeoutMs)
                    .arg(finished.firstFailure()));
    }
    return *task;
}

Result<int> BenchEngine::countRuns(std::optional<RunStatus> status) const
{
    RunFilter filter;
    filter.taskId = m_taskId;
    filter.status = status;
    filter.limit = 1;
    Result<RunPage> page = m_services->runs.list(filter);
    if (!page)
        return page.error();
    return page->total;
}

Result<int> BenchEngine::countRunsMissingStep() const
{
    RunFilter filter;
    filter.taskId = m_taskId;
    filter.status = RunStatus::Succeeded;
    filter.limit = RunService::kMaxPageSize;
    int missing = 0;
    for (int total = 1; filter.offset < total; filter.offset += filter.limit) {
        Result<RunPage> page = m_services->runs.list(filter);
        if (!page)
            return page.error();
        total = page->total;
        for (const Run &listed : page->items) {
            Result<Run> run = m_services->runs.get(listed.id, true);
            if (!run)
                return run.error();
            if (run->steps.size() != 1 || run->steps.front().status != StepStatus::Succeeded)
                ++missing;
        }
    }
    return missing;
}

Result<QString> BenchEngine::durability() const
{
    const QSqlDatabase db = m_engine->database().connection();
    Result<QSqlQuery> journal = sql::exec(db, QStringLiteral("PRAGMA journal_mode"));
    if (!journal)
        return journal.error();
    const QString mode = journal->next() ? journal->value(0).toString().toUpper() : QString();
    journal->finish();
    // The writer's own level is read on its thread: it is what its commits use.
    QString level;
    if (Status read = m_engine->database().writer().write(
            Durability::Relaxed,
            [&]() -> Status {
                Result<QSqlQuery> q = sql::exec(m_engine->database().connection(),
                                                QStringLiteral("PRAGMA synchronous"));
                if (!q)
                    return q.error();
                static const QStringList kLevels
                    = {QStringLiteral("OFF"), QStringLiteral("NORMAL"), QStringLiteral("FULL"),
                       QStringLiteral("EXTRA")};
                level = kLevels.value(q->next() ? q->value(0).toInt() : -1,
                                      QStringLiteral("unknown"));
                return {};
            });
        !read)
        return read.error();
    return QStringLiteral("%1, writer at synchronous=%2; acknowledged enqueues and outcomes wait "
                          "for an fdatasync of the log")
        .arg(mode, level);
}

} // namespace ordinaut::bench
