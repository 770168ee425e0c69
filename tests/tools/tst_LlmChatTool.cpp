// tst_LlmChatTool: placeholder being written.
#include <QTest>

class tst_LlmChatTool final : public QObject
{
    Q_OBJECT
};

QTEST_GUILESS_MAIN(tst_LlmChatTool)
#include "tst_LlmChatTool.moc"
