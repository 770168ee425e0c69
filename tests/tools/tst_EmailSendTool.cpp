// tst_EmailSendTool: placeholder being written.
#include <QTest>

class tst_EmailSendTool final : public QObject
{
    Q_OBJECT
};

QTEST_GUILESS_MAIN(tst_EmailSendTool)
#include "tst_EmailSendTool.moc"
