// tst_ShellRunTool: real child processes — permission, arguments without a shell, stdin, env,
// cwd, exit codes, output cap and timeout.
#include "core/JsonSchema.h"
#include "tools/ShellRunTool.h"
#include "tools/ToolEnvironment.h"

#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <thread>

using namespace ordinaut;

class tst_ShellRunTool final : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void offUntilEnabled();
    void onlyListedPrograms_data();
    void onlyListedPrograms();
    void argumentsAreNotInterpreted();
    void stdinEnvAndWorkingFolder();
    void exitCodes();
    void outputIsCapped();
    void timeoutStopsTheProgram();
    void cancellationKillsTheProgram();

private:
    Result<Json> call(const Json &with, int stepTimeoutMs = 10000,
                      const Cancellation *cancellation = nullptr);
    void allow(const Json &programs);

    std::shared_ptr<ToolEnvironment> m_environment;
};

Result<Json> tst_ShellRunTool::call(const Json &with, int stepTimeoutMs,
                                    const Cancellation *cancellation)
{
    ShellRunTool tool(m_environment);
    const auto violations = JsonSchema::compile(tool.inputSchema())->validate(with);
    if (!violations.empty())
        return Error::invalid(violations.front().path, violations.front().message);
    ToolContext context;
    context.timeoutMs = stepTimeoutMs;
    context.cancellation = cancellation;
    Result<Json> out = tool.invoke(with, context);
    if (out && !JsonSchema::compile(tool.outputSchema())->validate(*out).empty())
        return Error::internal(QStringLiteral("output breaks the schema"));
    return out;
}

void tst_ShellRunTool::allow(const Json &programs)
{
    m_environment->setSettings(
        Json{{"tools.shell.enabled", true}, {"tools.shell.allowed_programs", programs}});
}

void tst_ShellRunTool::init()
{
    m_environment = std::make_shared<ToolEnvironment>();
    allow(Json::array({"sh", "echo", "cat", "env", "pwd", "printf", "sleep", "head"}));
}

void tst_ShellRunTool::offUntilEnabled()
{
    m_environment->setSettings(Json{{"tools.shell.enabled", false},
                                    {"tools.shell.allowed_programs", Json::array({"echo"})}});
    Result<Json> refused = call(Json{{"program", "echo"}});
    QVERIFY(!refused);
    QVERIFY(refused.error().code == ErrorCode::PermissionDenied);
    QVERIFY(refused.error().message.contains(QLatin1String("tools.shell.enabled")));
    m_environment->setSettings(Json::object());
    QVERIFY(!call(Json{{"program", "echo"}}));
}

void tst_ShellRunTool::onlyListedPrograms_data()
{
    QTest::addColumn<QString>("program");
    QTest::addColumn<bool>("runs");
    QTest::newRow("listed name") << QStringLiteral("echo") << true;
    QTest::newRow("its absolute path")
        << QStandardPaths::findExecutable(QStringLiteral("echo")) << true;
    QTest::newRow("not listed") << QStringLiteral("rm") << false;
    QTest::newRow("same name elsewhere") << QStringLiteral("/tmp/nowhere/echo") << false;
}

void tst_ShellRunTool::onlyListedPrograms()
{
    QFETCH(QString, program);
    QFETCH(bool, runs);
    Result<Json> out = call(Json{{"program", program}, {"args", Json::array({"hi"})}});
    QCOMPARE(out.ok(), runs);
    if (runs)
        QCOMPARE((*out)["stdout"].get<QString>(), QStringLiteral("hi\n"));
    else
        QCOMPARE(out.error().field, QStringLiteral("with.program"));
}

void tst_ShellRunTool::argumentsAreNotInterpreted()
{
    Result<Json> out
        = call(Json{{"program", "echo"}, {"args", Json::array({"$HOME", "a;b", "`id`", "*"})}});
    QVERIFY(out);
    QCOMPARE((*out)["stdout"].get<QString>(), QStringLiteral("$HOME a;b `id` *\n"));
}

void tst_ShellRunTool::stdinEnvAndWorkingFolder()
{
    Result<Json> piped = call(Json{{"program", "cat"}, {"stdin", "from stdin"}});
    QVERIFY(piped);
    QCOMPARE((*piped)["stdout"].get<QString>(), QStringLiteral("from stdin"));

    Result<Json> env = call(Json{{"program", "sh"},
                                 {"args", Json::array({"-c", "printf %s \"$GREETING\""})},
                                 {"env", {{"GREETING", "hallo"}}}});
    QVERIFY(env);
    QCOMPARE((*env)["stdout"].get<QString>(), QStringLiteral("hallo"));

    QTemporaryDir dir;
    Result<Json> cwd = call(Json{{"program", "pwd"}, {"cwd", dir.path()}});
    QVERIFY(cwd);
    QCOMPARE((*cwd)["stdout"].get<QString>().trimmed(), QFileInfo(dir.path()).canonicalFilePath());
    Result<Json> badCwd = call(Json{{"program", "pwd"}, {"cwd", "/no/such/folder"}});
    QVERIFY(!badCwd);
    QCOMPARE(badCwd.error().field, QStringLiteral("with.cwd"));
}

void tst_ShellRunTool::exitCodes()
{
    const Json failing{{"program", "sh"}, {"args", Json::array({"-c", "echo oops >&2; exit 3"})}};
    Result<Json> checked = call(failing);
    QVERIFY(!checked);
    QCOMPARE(checked.error().message,
             QStringLiteral("'%1' exited with code 3: oops")
                 .arg(QStandardPaths::findExecutable(QStringLiteral("sh"))));
    Json unchecked = failing;
    unchecked["check"] = false;
    Result<Json> out = call(unchecked);
    QVERIFY(out);
    QCOMPARE((*out)["exit_code"].get<int>(), 3);
    QCOMPARE((*out)["stderr"].get<QString>(), QStringLiteral("oops\n"));
}

void tst_ShellRunTool::outputIsCapped()
{
    Result<Json> out = call(Json{{"program", "head"},
                                 {"args", Json::array({"-c", "200000", "/dev/zero"})},
                                 {"max_output_bytes", 1000}});
    QVERIFY(out);
    QCOMPARE((*out)["stdout"].get<std::string>().size(), size_t(1000));
    QCOMPARE((*out)["truncated"].get<bool>(), true);
}

void tst_ShellRunTool::timeoutStopsTheProgram()
{
    QElapsedTimer timer;
    timer.start();
    Result<Json> out
        = call(Json{{"program", "sleep"}, {"args", Json::array({"30"})}, {"timeout_seconds", 0.3}});
    QVERIFY(!out);
    QVERIFY(out.error().code == ErrorCode::Timeout);
    QVERIFY2(timer.elapsed() < 10000, "the program was stopped, not waited for");
    // The step's own deadline bounds it too.
    Result<Json> bounded = call(Json{{"program", "sleep"}, {"args", Json::array({"30"})}}, 300);
    QVERIFY(!bounded);
    QVERIFY(bounded.error().code == ErrorCode::Timeout);
}

void tst_ShellRunTool::cancellationKillsTheProgram()
{
    allow(Json::array({"sleep"}));
    Cancellation cancellation;
    std::thread canceler([&cancellation] {
        QThread::msleep(100);
        cancellation.cancel(Cancellation::Reason::Canceled, QStringLiteral("canceled by ada"));
    });
    QElapsedTimer timer;
    timer.start();
    Result<Json> out
        = call(Json{{"program", "sleep"}, {"args", Json::array({"30"})}}, 60000, &cancellation);
    canceler.join();
    QVERIFY(!out);
    QVERIFY(out.error().code == ErrorCode::Canceled);
    QCOMPARE(out.error().message, QStringLiteral("canceled by ada"));
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
}

QTEST_GUILESS_MAIN(tst_ShellRunTool)
#include "tst_ShellRunTool.moc"
