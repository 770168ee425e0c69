// tst_FileTools: file.read and file.write stay inside the allowed folders (links and ".."
// included) and read and write what they say.
#include "core/JsonSchema.h"
#include "tools/FileTools.h"
#include "tools/ToolEnvironment.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace ordinaut;

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

private:
    Result<Json> call(const Tool &tool, const Json &with);
    QString allowed(const QString &relative) const { return m_allowed.filePath(relative); }

    std::shared_ptr<ToolEnvironment> m_environment;
    QTemporaryDir m_root;
    QDir m_allowed;
};

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

void tst_FileTools::init()
{
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

QTEST_GUILESS_MAIN(tst_FileTools)
#include "tst_FileTools.moc"
