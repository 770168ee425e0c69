// SigningSecret: a 256-bit key is created once and reused; the file fallback is readable only by
// its owner.
#include "support/TempDataDir.h"

#include "secrets/SecretStore.h"
#include "secrets/SigningSecret.h"

#include <QFileInfo>
#include <QTest>

using namespace ordinaut;

class tst_SigningSecret final : public QObject
{
    Q_OBJECT

private slots:
    void createdOnceThenReused();
    void fileFallbackIsOwnerOnly();
    void keyDependsOnDataFolder();
};

void tst_SigningSecret::createdOnceThenReused()
{
    MemorySecretStore store;
    Result<QByteArray> first = SigningSecret::loadOrCreate(store, QStringLiteral("k"));
    QVERIFY(first);
    QCOMPARE(first->size(), SigningSecret::kBytes);
    QVERIFY(*first != QByteArray(SigningSecret::kBytes, '\0'));
    Result<QByteArray> again = SigningSecret::loadOrCreate(store, QStringLiteral("k"));
    QVERIFY(again);
    QCOMPARE(*again, *first);
    MemorySecretStore other;
    QVERIFY(*SigningSecret::loadOrCreate(other, QStringLiteral("k")) != *first); // random per store
}

void tst_SigningSecret::fileFallbackIsOwnerOnly()
{
    test::TempDataDir dir;
    qputenv("ORDINAUT_SECRET_STORE", "file");
    QStringList warnings;
    Result<QByteArray> secret = SigningSecret::loadOrCreate(
        dir.path(), [&](const QString &message) { warnings << message; });
    QVERIFY(secret);
    const QFileInfo file(dir.path() + QStringLiteral("/secrets/token-signing.key"));
    QVERIFY(file.exists());
    QCOMPARE(file.permissions()
                 & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup
                    | QFileDevice::WriteOther),
             QFileDevice::Permissions());
    Result<QByteArray> again = SigningSecret::loadOrCreate(dir.path(), [](const QString &) {});
    QVERIFY(again);
    QCOMPARE(*again, *secret);
    qunsetenv("ORDINAUT_SECRET_STORE");
}

void tst_SigningSecret::keyDependsOnDataFolder()
{
    QVERIFY(SigningSecret::keyFor(QStringLiteral("/a"))
            != SigningSecret::keyFor(QStringLiteral("/b")));
    QCOMPARE(SigningSecret::keyFor(QStringLiteral("/a")),
             SigningSecret::keyFor(QStringLiteral("/a")));
}

QTEST_GUILESS_MAIN(tst_SigningSecret)
#include "tst_SigningSecret.moc"
