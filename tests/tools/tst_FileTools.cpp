// tst_FileTools: file.read and file.write stay inside the allowed folders (links and ".."
// included) and read and write what they say; with a side-effect ledger a step's write happens
// once, also when an attempt died between the write and its record.
#include "core/JsonSchema.h"
#include "tools/FileTools.h"
#include "tools/SideEffectLedger.h"
#include "tools/ToolEnvironment.h"

#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <thread>

using namespace ordinaut;

namespace {

// The side_effects table in memory, in reservation order (the tools layer has no database; the
// real SideEffectRecords runs file.write in tests/runtime/tst_SideEffectRecords). While
// `recordsFail` is set, record() fails: what an attempt that died between its write and the
// record leaves behind.
class MemoryLedger final : public SideEffectLedger
{
public:
    Result<std::optional<Json>> reserve(const QString &key, const QString &runId,
                                        const QString &stepId) override
    {
        Result<SideEffectReservation> reserved = reserveWithIntent(key, runId, stepId, Json());
        if (!reserved)
            return reserved.error();
        if (reserved->state == SideEffectReservation::State::Unfinished)
            return Error{ErrorCode::Conflict, QStringLiteral("unfinished"), {}};
        if (reserved->state == SideEffectReservation::State::Recorded)
            return std::optional<Json>(reserved->result);
        return std::optional<Json>();
    }
    Result<SideEffectReservation> reserveWithIntent(const QString &key, const QString &runId,
                                                    const QString &, const Json &intent) override
    {
        // Widens the gap between an append's measuring and its write, where a lock is needed.
        if (reserveDelayMs > 0)
            QThread::msleep(static_cast<unsigned long>(reserveDelayMs.load()));
        QMutexLocker lock(&m_mutex);
        SideEffectReservation found;
        if (Entry *entry = find(key)) {
            found.state = entry->result ? SideEffectReservation::State::Recorded
                                        : SideEffectReservation::State::Unfinished;
            found.result = entry->result.value_or(Json());
            found.intent = entry->intent;
            found.runId = entry->runId;
            found.reservedAt = QDateTime::currentDateTimeUtc();
            return found;
        }
        m_entries.push_back(Entry{key, runId, intent, std::nullopt, ++m_order});
        return found;
    }
    Status retake(const QString &key, const QString &runId, const Json &intent) override
    {
        QMutexLocker lock(&m_mutex);
        Entry *entry = find(key);
        if (!entry || entry->result)
            return Error{ErrorCode::Conflict, QStringLiteral("not unfinished"), {}};
        *entry = Entry{key, runId, intent, std::nullopt, ++m_order};
        return {};
    }
    Result<std::vector<Json>> intentsAfter(const QString &key, const QString &prefix) override
    {
        QMutexLocker lock(&m_mutex);
        const Entry *own = find(key);
        if (!own)
            return Error::notFound(key);
        std::vector<const Entry *> later;
        for (const Entry &entry : m_entries) {
            if (entry.order > own->order && entry.key.startsWith(prefix) && !entry.intent.is_null())
                later.push_back(&entry);
        }
        std::sort(later.begin(), later.end(),
                  [](const Entry *a, const Entry *b) { return a->order < b->order; });
        std::vector<Json> intents;
        for (const Entry *entry : later)
            intents.push_back(entry->intent);
        return intents;
    }
    Status record(const QString &key, const Json &result) override
    {
        QMutexLocker lock(&m_mutex);
        if (recordsFail)
            return Error{ErrorCode::Unavailable, QStringLiteral("the engine died"), {}};
        Entry *entry = find(key);
        if (!entry)
            return Error::internal(QStringLiteral("not reserved"));
        entry->result = result;
        return {};
    }
    Status release(const QString &key) override
    {
        QMutexLocker lock(&m_mutex);
        std::erase_if(m_entries,
                      [&](const Entry &entry) { return entry.key == key && !entry.result; });
        return {};
    }

    // The recorded result and intent under `key`; null when there is none.
    Json resultOf(const QString &key)
    {
        QMutexLocker lock(&m_mutex);
        const Entry *entry = find(key);
        return entry && entry->result ? *entry->result : Json();
    }
    Json intentOf(const QString &key)
    {
        QMutexLocker lock(&m_mutex);
        const Entry *entry = find(key);
        return entry ? entry->intent : Json();
    }

    std::atomic_bool recordsFail{false};
    std::atomic_int reserveDelayMs{0};

private:
    struct Entry
    {
        QString key, runId;
        Json intent;
        std::optional<Json> result;
        qint64 order = 0;
    };
    Entry *find(const QString &key)
    {
        auto it = std::find_if(m_entries.begin(), m_entries.end(),
                               [&](const Entry &entry) { return entry.key == key; });
        return it == m_entries.end() ? nullptr : &*it;
    }

    QMutex m_mutex;
    std::vector<Entry> m_entries;
    qint64 m_order = 0;
};

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<missing>");
}

// Why a result failed, for QVERIFY2 (which builds its message even when the check passes).
QString why(const Result<Json> &result)
{
    return result ? QString() : result.error().describe();
}

} // namespace

class tst_FileTools final : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void writesThenReadsInEveryEncoding();
    void appendAndCreateModes();
    void nothingIsAllowedUntilAFolderIs();
    void pathsOutsideAreRefused_data();
    void pathsOutsideAreRefused();
    void readLimitsAndMissingFiles();
    void stepAppendsOnceAndReturnsItsRecord();
    void appendRecognizedAfterDyingBeforeTheRecord();
    void appendDoneNowAfterDyingBeforeTheWrite();
    void laterAppendAtTheSameOffsetProvesTheEarlierOneNeverWrote_data();
    void laterAppendAtTheSameOffsetProvesTheEarlierOneNeverWrote();
    void appendAfterUnexplainedChangeIsRefused();
    void concurrentAppendsLandWhereTheyMeasured();
    void createRecognizesItsOwnFile();
    void overwriteIsRepeatedUntilRecordedThenNot();

private:
    Result<Json> call(const Tool &tool, const Json &with);
    // file.write as step `stepId` of run `runId` of one occurrence, through m_ledger.
    Result<Json> attempt(const Json &with, const QString &runId,
                         const QString &stepId = QStringLiteral("log"));
    // An attempt that dies between its write and the record: the write is done, the record not.
    Result<Json> attemptDyingBeforeRecord(const Json &with, const QString &runId,
                                          const QString &stepId = QStringLiteral("log"));
    QString allowed(const QString &relative) const { return m_allowed.filePath(relative); }

    std::shared_ptr<ToolEnvironment> m_environment;
    QTemporaryDir m_root;
    QDir m_allowed;
    std::unique_ptr<MemoryLedger> m_ledger;
};

namespace {

const QString kScope = QStringLiteral("task-1@1781092800000");

QString keyOf(const QString &stepId)
{
    return QStringLiteral("file.write:") + kScope + QLatin1Char(':') + stepId;
}

} // namespace

Result<Json> tst_FileTools::call(const Tool &tool, const Json &with)
{
    const auto violations = JsonSchema::compile(tool.inputSchema())->validate(with);
    if (!violations.empty())
        return Error::invalid(violations.front().path, violations.front().message);
    ToolContext context;
    Result<Json> out = tool.invoke(with, context);
    if (out && !JsonSchema::compile(tool.outputSchema())->validate(*out).empty())
        return Error::internal(QStringLiteral("output breaks the schema"));
    return out;
}

Result<Json> tst_FileTools::attempt(const Json &with, const QString &runId, const QString &stepId)
{
    const auto violations
        = JsonSchema::compile(FileWriteTool(m_environment).inputSchema())->validate(with);
    if (!violations.empty())
        return Error::invalid(violations.front().path, violations.front().message);
    ToolContext context;
    context.runId = runId;
    context.taskId = QStringLiteral("task-1");
    context.stepId = stepId;
    context.effectScope = kScope;
    context.ledger = m_ledger.get();
    return FileWriteTool(m_environment).invoke(with, context);
}

Result<Json> tst_FileTools::attemptDyingBeforeRecord(const Json &with, const QString &runId,
                                                     const QString &stepId)
{
    m_ledger->recordsFail = true;
    QTest::ignoreMessage(
        QtWarningMsg, QRegularExpression(QStringLiteral("could not record it: the engine died")));
    Result<Json> result = attempt(with, runId, stepId);
    m_ledger->recordsFail = false;
    return result;
}

void tst_FileTools::init()
{
    m_ledger = std::make_unique<MemoryLedger>();
    QVERIFY(m_root.isValid());
    QDir root(m_root.path());
    root.mkpath(QStringLiteral("allowed/sub"));
    root.mkpath(QStringLiteral("secret"));
    m_allowed = QDir(root.filePath(QStringLiteral("allowed")));
    QFile secret(root.filePath(QStringLiteral("secret/key.txt")));
    QVERIFY(secret.open(QIODevice::WriteOnly));
    secret.write("do not read");
    m_environment = std::make_shared<ToolEnvironment>();
    m_environment->setSettings(
        Json{{"tools.files.allowed_folders", Json::array({m_allowed.path().toStdString()})}});
}

void tst_FileTools::writesThenReadsInEveryEncoding()
{
    FileWriteTool write(m_environment);
    FileReadTool read(m_environment);
    const QString path = allowed(QStringLiteral("sub/notes.txt"));
    Result<Json> written = call(write, Json{{"path", path}, {"content", "Grüße\nzweite Zeile"}});
    QVERIFY2(written, qPrintable(written ? QString() : written.error().describe()));
    QCOMPARE((*written)["bytes_written"].get<int>(), 20); // UTF-8 bytes
    Result<Json> text = call(read, Json{{"path", path}});
    QVERIFY(text);
    QCOMPARE((*text)["content"].get<QString>(), QStringLiteral("Grüße\nzweite Zeile"));
    QCOMPARE((*text)["size"].get<int>(), 20);

    const QString jsonPath = allowed(QStringLiteral("data.json"));
    QVERIFY(call(write, Json{{"path", jsonPath},
                             {"encoding", "json"},
                             {"content", Json{{"a", Json::array({1, 2})}}}}));
    Result<Json> parsed = call(read, Json{{"path", jsonPath}, {"encoding", "json"}});
    QVERIFY(parsed);
    QVERIFY((*parsed)["content"] == (Json{{"a", Json::array({1, 2})}}));

    const QString binary = allowed(QStringLiteral("blob.bin"));
    QVERIFY(call(write, Json{{"path", binary}, {"encoding", "base64"}, {"content", "AAEC/w=="}}));
    QVERIFY(call(read, Json{{"path", binary}, {"encoding", "base64"}})->at("content")
            == Json("AAEC/w=="));
    Result<Json> badBase64
        = call(write, Json{{"path", binary}, {"encoding", "base64"}, {"content", "***"}});
    QVERIFY(!badBase64);
    QCOMPARE(badBase64.error().describe(), QStringLiteral("with.content: is not valid base64"));
    Result<Json> notText = call(write, Json{{"path", binary}, {"content", 5}});
    QVERIFY(!notText);
    QCOMPARE(notText.error().describe(),
             QStringLiteral("with.content: must be a string with encoding text, got an integer "
                            "(use encoding json to write a JSON value)"));
}

void tst_FileTools::appendAndCreateModes()
{
    FileWriteTool write(m_environment);
    FileReadTool read(m_environment);
    const QString path = allowed(QStringLiteral("log.txt"));
    QVERIFY(call(write, Json{{"path", path}, {"content", "a\n"}, {"mode", "create"}}));
    Result<Json> again = call(write, Json{{"path", path}, {"content", "x"}, {"mode", "create"}});
    QVERIFY(!again);
    QVERIFY(again.error().code == ErrorCode::Conflict);
    QVERIFY(call(write, Json{{"path", path}, {"content", "b\n"}, {"mode", "append"}}));
    QVERIFY(call(read, Json{{"path", path}})->at("content") == Json("a\nb\n"));

    const QString deep = allowed(QStringLiteral("new/deeper/file.txt"));
    Result<Json> noFolder = call(write, Json{{"path", deep}, {"content", "x"}});
    QVERIFY(!noFolder);
    QVERIFY(noFolder.error().message.contains(QLatin1String("make_dirs")));
    QVERIFY(call(write, Json{{"path", deep}, {"content", "x"}, {"make_dirs", true}}));
    QVERIFY(QFile::exists(deep));
}

void tst_FileTools::nothingIsAllowedUntilAFolderIs()
{
    m_environment->setSettings(Json::object());
    FileReadTool read(m_environment);
    Result<Json> refused = call(read, Json{{"path", allowed(QStringLiteral("x"))}});
    QVERIFY(!refused);
    QVERIFY(refused.error().code == ErrorCode::PermissionDenied);
    QCOMPARE(refused.error().describe(),
             QStringLiteral("with.path: no folder is allowed for file tools; add one to the "
                            "setting tools.files.allowed_folders"));
}

void tst_FileTools::pathsOutsideAreRefused_data()
{
    QTest::addColumn<QString>("relative"); // to the temp root
    QTest::newRow("sibling folder") << QStringLiteral("secret/key.txt");
    QTest::newRow("dot-dot") << QStringLiteral("allowed/../secret/key.txt");
    QTest::newRow("link inside pointing out") << QStringLiteral("allowed/link/key.txt");
    QTest::newRow("new file through a link") << QStringLiteral("allowed/link/new.txt");
    QTest::newRow("prefix is not a parent") << QStringLiteral("allowed-not/x.txt");
}

void tst_FileTools::pathsOutsideAreRefused()
{
    QFETCH(QString, relative);
    QDir root(m_root.path());
    const QString link = root.filePath(QStringLiteral("allowed/link"));
    QVERIFY(QFileInfo(link).isSymLink()
            || QFile::link(root.filePath(QStringLiteral("secret")), link));
    root.mkpath(QStringLiteral("allowed-not"));
    const QString path = root.path() + QLatin1Char('/') + relative;
    FileReadTool read(m_environment);
    FileWriteTool write(m_environment);
    for (const Tool *tool : {static_cast<const Tool *>(&read), static_cast<const Tool *>(&write)}) {
        const Json with = tool == &read ? Json{{"path", path}}
                                        : Json{{"path", path}, {"content", "overwritten"}};
        Result<Json> refused = call(*tool, with);
        QVERIFY(!refused);
        QVERIFY2(refused.error().code == ErrorCode::PermissionDenied,
                 qPrintable(refused.error().describe()));
        QVERIFY(refused.error().message.contains(QLatin1String("outside the allowed folders")));
    }
    QFile secret(root.filePath(QStringLiteral("secret/key.txt")));
    QVERIFY(secret.open(QIODevice::ReadOnly));
    QCOMPARE(secret.readAll(), QByteArray("do not read"));
    QVERIFY(!QFile::exists(root.filePath(QStringLiteral("secret/new.txt"))));
}

void tst_FileTools::readLimitsAndMissingFiles()
{
    FileWriteTool write(m_environment);
    FileReadTool read(m_environment);
    const QString path = allowed(QStringLiteral("big.txt"));
    QVERIFY(call(write, Json{{"path", path}, {"content", std::string(100, 'x')}}));
    Result<Json> tooBig = call(read, Json{{"path", path}, {"max_bytes", 99}});
    QVERIFY(!tooBig);
    QVERIFY(tooBig.error().code == ErrorCode::PayloadTooLarge);
    QVERIFY(call(read, Json{{"path", path}, {"max_bytes", 100}}));
    Result<Json> missing = call(read, Json{{"path", allowed(QStringLiteral("none.txt"))}});
    QVERIFY(!missing);
    QVERIFY(missing.error().code == ErrorCode::NotFound);
    Result<Json> relative = call(read, Json{{"path", "notes.txt"}});
    QVERIFY(!relative);
    QCOMPARE(relative.error().describe(),
             QStringLiteral("with.path: must be an absolute path, got 'notes.txt'"));
}

void tst_FileTools::stepAppendsOnceAndReturnsItsRecord()
{
    const QString path = allowed(QStringLiteral("log.txt"));
    QVERIFY(call(FileWriteTool(m_environment), Json{{"path", path}, {"content", "old\n"}}));
    const Json with{{"path", path}, {"content", "one\n"}, {"mode", "append"}};
    Result<Json> first = attempt(with, QStringLiteral("run-1"));
    QVERIFY2(first, qPrintable(why(first)));
    QCOMPARE((*first)["bytes_written"].get<int>(), 4);
    Result<Json> second = attempt(with, QStringLiteral("run-2"));
    QVERIFY2(second, qPrintable(why(second)));
    QVERIFY(*second == *first);
    QCOMPARE(contents(path), QByteArray("old\none\n"));
    QVERIFY(m_ledger->resultOf(keyOf(QStringLiteral("log"))) == *first);
    // Another step of the same occurrence is another append.
    QVERIFY(attempt(with, QStringLiteral("run-2"), QStringLiteral("other")));
    QCOMPARE(contents(path), QByteArray("old\none\none\n"));
}

void tst_FileTools::appendRecognizedAfterDyingBeforeTheRecord()
{
    const QString path = allowed(QStringLiteral("log.txt"));
    QVERIFY(call(FileWriteTool(m_environment), Json{{"path", path}, {"content", "old\n"}}));
    const Json with{{"path", path}, {"content", "one\n"}, {"mode", "append"}};
    QVERIFY(attemptDyingBeforeRecord(with, QStringLiteral("run-1")));
    const QString key = keyOf(QStringLiteral("log"));
    QVERIFY(m_ledger->resultOf(key).is_null());
    const Json intent = m_ledger->intentOf(key);
    QVERIFY2(intent.value("offset", -1) == 4 && intent.value("length", -1) == 4,
             intent.dump().c_str());
    // Other steps append before the run is taken over.
    QVERIFY(attempt(Json{{"path", path}, {"content", "two\n"}, {"mode", "append"}},
                    QStringLiteral("run-7"), QStringLiteral("other")));

    Result<Json> retried = attempt(with, QStringLiteral("run-2"));
    QVERIFY2(retried, qPrintable(why(retried)));
    QCOMPARE((*retried)["bytes_written"].get<int>(), 4);
    QCOMPARE(contents(path), QByteArray("old\none\ntwo\n"));
    QVERIFY(m_ledger->resultOf(key) == *retried);
}

void tst_FileTools::appendDoneNowAfterDyingBeforeTheWrite()
{
    const QString path = allowed(QStringLiteral("log.txt"));
    QVERIFY(call(FileWriteTool(m_environment), Json{{"path", path}, {"content", "old\n"}}));
    const Json with{{"path", path}, {"content", "one\n"}, {"mode", "append"}};
    // Reserved with its intent, then died before writing: the file keeps its old size.
    QVERIFY(attemptDyingBeforeRecord(with, QStringLiteral("run-1")));
    QVERIFY(QFile::resize(path, 4));

    Result<Json> retried = attempt(with, QStringLiteral("run-2"));
    QVERIFY2(retried, qPrintable(why(retried)));
    QCOMPARE(contents(path), QByteArray("old\none\n"));
    QVERIFY(m_ledger->resultOf(keyOf(QStringLiteral("log"))) == *retried);
}

void tst_FileTools::laterAppendAtTheSameOffsetProvesTheEarlierOneNeverWrote_data()
{
    QTest::addColumn<QByteArray>("other");
    QTest::newRow("other bytes") << QByteArray("two\n");
    QTest::newRow("the same bytes") << QByteArray("one\n");
}

void tst_FileTools::laterAppendAtTheSameOffsetProvesTheEarlierOneNeverWrote()
{
    QFETCH(QByteArray, other);
    const QString path = allowed(QStringLiteral("log.txt"));
    QVERIFY(call(FileWriteTool(m_environment), Json{{"path", path}, {"content", "old\n"}}));
    const Json with{{"path", path}, {"content", "one\n"}, {"mode", "append"}};
    QVERIFY(attemptDyingBeforeRecord(with, QStringLiteral("run-1")));
    QVERIFY(QFile::resize(path, 4)); // it died before writing
    // Another occurrence's step appends where the dead one would have.
    QVERIFY(attempt(Json{{"path", path}, {"content", other.toStdString()}, {"mode", "append"}},
                    QStringLiteral("run-7"), QStringLiteral("other")));

    Result<Json> retried = attempt(with, QStringLiteral("run-2"));
    QVERIFY2(retried, qPrintable(why(retried)));
    QCOMPARE(contents(path), QByteArray("old\n") + other + "one\n");
}

void tst_FileTools::appendAfterUnexplainedChangeIsRefused()
{
    const QString path = allowed(QStringLiteral("log.txt"));
    QVERIFY(call(FileWriteTool(m_environment), Json{{"path", path}, {"content", "old\n"}}));
    const Json with{{"path", path}, {"content", "one\n"}, {"mode", "append"}};
    QVERIFY(attemptDyingBeforeRecord(with, QStringLiteral("run-1")));
    // Someone rewrote the file meanwhile: whether the append happened cannot be told.
    QVERIFY(call(FileWriteTool(m_environment),
                 Json{{"path", path}, {"content", "rewritten by hand\n"}}));

    Result<Json> refused = attempt(with, QStringLiteral("run-2"));
    QVERIFY(!refused);
    QVERIFY2(refused.error().code == ErrorCode::Conflict, qPrintable(refused.error().describe()));
    const QString message = refused.error().describe();
    for (const QString &part :
         {QStringLiteral("with.path: an earlier attempt of this step (run run-1"),
          QStringLiteral("to write 4 bytes to '%1' (mode append, at offset 4)").arg(path),
          QStringLiteral("never recorded whether it did"),
          QStringLiteral("the file now has 18 bytes and not those at offset 4"),
          QStringLiteral("not repeated")})
        QVERIFY2(message.contains(part), qPrintable(message));
    QCOMPARE(contents(path), QByteArray("rewritten by hand\n"));
    QVERIFY(m_ledger->resultOf(keyOf(QStringLiteral("log"))).is_null());
}

void tst_FileTools::concurrentAppendsLandWhereTheyMeasured()
{
    const QString path = allowed(QStringLiteral("shared.txt"));
    m_ledger->reserveDelayMs = 1;
    constexpr int kThreads = 4;
    constexpr int kEach = 20;
    std::vector<std::thread> threads;
    std::atomic_int failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const QString step = QStringLiteral("t%1-%2").arg(t).arg(i);
                if (!attempt(Json{{"path", path},
                                  {"content", step.toStdString() + '\n'},
                                  {"mode", "append"}},
                             QStringLiteral("run-%1").arg(t), step))
                    ++failures;
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    QCOMPARE(failures.load(), 0);
    const QByteArray file = contents(path);
    QCOMPARE(file.count('\n'), kThreads * kEach);
    // Each step's bytes are where its intent says: the offset a crash would be reconciled at.
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kEach; ++i) {
            const QString step = QStringLiteral("t%1-%2").arg(t).arg(i);
            const Json intent = m_ledger->intentOf(keyOf(step));
            const QByteArray at = file.mid(intent.value("offset", qsizetype(-1)),
                                           intent.value("length", qsizetype(0)));
            QVERIFY2(at == step.toUtf8() + '\n',
                     qPrintable(step + QStringLiteral(" found '%1'").arg(QString::fromUtf8(at))));
        }
    }
}

void tst_FileTools::createRecognizesItsOwnFile()
{
    const Json hello{{"content", "hello\n"}, {"mode", "create"}};
    auto at = [&](const QString &name) {
        Json with = hello;
        with["path"] = allowed(name).toStdString();
        return with;
    };
    // Created, then died before the record: the file holding its bytes is its own.
    QVERIFY(attemptDyingBeforeRecord(at(QStringLiteral("a.txt")), QStringLiteral("run-1"),
                                     QStringLiteral("a")));
    Result<Json> retried
        = attempt(at(QStringLiteral("a.txt")), QStringLiteral("run-2"), QStringLiteral("a"));
    QVERIFY2(retried, qPrintable(why(retried)));
    QCOMPARE((*retried)["bytes_written"].get<int>(), 6);
    QVERIFY(m_ledger->resultOf(keyOf(QStringLiteral("a"))) == *retried);

    // The file changed since: not its own any more.
    QVERIFY(attemptDyingBeforeRecord(at(QStringLiteral("b.txt")), QStringLiteral("run-1"),
                                     QStringLiteral("b")));
    QVERIFY(call(FileWriteTool(m_environment),
                 Json{{"path", allowed(QStringLiteral("b.txt"))}, {"content", "not mine\n"}}));
    Result<Json> refused
        = attempt(at(QStringLiteral("b.txt")), QStringLiteral("run-2"), QStringLiteral("b"));
    QVERIFY(!refused);
    QVERIFY2(refused.error().code == ErrorCode::Conflict
                 && refused.error().message.contains(QLatin1String("exists but does not hold")),
             qPrintable(refused.error().describe()));
    QCOMPARE(contents(allowed(QStringLiteral("b.txt"))), QByteArray("not mine\n"));

    // Never created (died before): created now.
    QVERIFY(attemptDyingBeforeRecord(at(QStringLiteral("c.txt")), QStringLiteral("run-1"),
                                     QStringLiteral("c")));
    QVERIFY(QFile::remove(allowed(QStringLiteral("c.txt"))));
    QVERIFY(attempt(at(QStringLiteral("c.txt")), QStringLiteral("run-2"), QStringLiteral("c")));
    QCOMPARE(contents(allowed(QStringLiteral("c.txt"))), QByteArray("hello\n"));

    // Someone else's file on a first attempt: refused, and the key is free for a retry.
    Result<Json> taken
        = attempt(at(QStringLiteral("b.txt")), QStringLiteral("run-3"), QStringLiteral("d"));
    QVERIFY(!taken);
    QVERIFY2(taken.error().code == ErrorCode::Conflict
                 && taken.error().message.contains(QLatin1String("already exists")),
             qPrintable(taken.error().describe()));
    QVERIFY(m_ledger->intentOf(keyOf(QStringLiteral("d"))).is_null());
}

void tst_FileTools::overwriteIsRepeatedUntilRecordedThenNot()
{
    const QString path = allowed(QStringLiteral("settings.txt"));
    const Json with{{"path", path}, {"content", "v1\n"}};
    QVERIFY(attemptDyingBeforeRecord(with, QStringLiteral("run-1")));
    QVERIFY(call(FileWriteTool(m_environment), Json{{"path", path}, {"content", "edited\n"}}));
    // Unrecorded: done again, which leaves the file as one overwrite would.
    Result<Json> retried = attempt(with, QStringLiteral("run-2"));
    QVERIFY2(retried, qPrintable(why(retried)));
    QCOMPARE(contents(path), QByteArray("v1\n"));
    QVERIFY(m_ledger->resultOf(keyOf(QStringLiteral("log"))) == *retried);
    // Recorded: not repeated over what came later.
    QVERIFY(call(FileWriteTool(m_environment), Json{{"path", path}, {"content", "later\n"}}));
    Result<Json> again = attempt(with, QStringLiteral("run-3"));
    QVERIFY2(again, qPrintable(why(again)));
    QVERIFY(*again == *retried);
    QCOMPARE(contents(path), QByteArray("later\n"));
}

QTEST_GUILESS_MAIN(tst_FileTools)
#include "tst_FileTools.moc"
