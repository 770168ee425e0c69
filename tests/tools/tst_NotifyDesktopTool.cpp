// tst_NotifyDesktopTool: notify.desktop hands title, body and urgency to the Notifier the app
// provides, and says which channel carried it.
#include "core/JsonSchema.h"
#include "tools/Notifier.h"
#include "tools/NotifyDesktopTool.h"
#include "tools/ToolEnvironment.h"

#include <QTest>

using namespace ordinaut;

class tst_NotifyDesktopTool final : public QObject
{
    Q_OBJECT
private slots:
    void reachesTheNotifier();
    void defaultsToTheLog();
};

namespace {

class RecordingNotifier final : public Notifier
{
public:
    void notify(const QString &title, const QString &body, NotificationUrgency urgency) override
    {
        seen << QStringLiteral("%1|%2|%3").arg(title, body).arg(static_cast<int>(urgency));
    }
    QString channel() const override { return QStringLiteral("test"); }
    QStringList seen;
};

} // namespace

void tst_NotifyDesktopTool::reachesTheNotifier()
{
    auto environment = std::make_shared<ToolEnvironment>();
    auto notifier = std::make_shared<RecordingNotifier>();
    environment->setNotifier(notifier);
    NotifyDesktopTool tool(environment);
    ToolContext context;
    Result<Json> out = tool.invoke(
        Json{{"title", "Backup done"}, {"body", "3 files"}, {"urgency", "critical"}}, context);
    QVERIFY(out);
    QVERIFY(*out == (Json{{"channel", "test"}}));
    QCOMPARE(notifier->seen, QStringList{QStringLiteral("Backup done|3 files|2")});
    QVERIFY(JsonSchema::compile(tool.outputSchema())->validate(*out).empty());
    // The schema refuses what the notifier could not show.
    const auto violations = JsonSchema::compile(tool.inputSchema())
                                ->validate(Json{{"title", ""}, {"urgency", "loud"}});
    QCOMPARE(int(violations.size()), 2);
}

void tst_NotifyDesktopTool::defaultsToTheLog()
{
    NotifyDesktopTool tool(std::make_shared<ToolEnvironment>());
    ToolContext context;
    QTest::ignoreMessage(QtInfoMsg, "notification (normal): Hello — ");
    Result<Json> out = tool.invoke(Json{{"title", "Hello"}}, context);
    QVERIFY(out);
    QVERIFY(*out == (Json{{"channel", "log"}}));
}

QTEST_GUILESS_MAIN(tst_NotifyDesktopTool)
#include "tst_NotifyDesktopTool.moc"
