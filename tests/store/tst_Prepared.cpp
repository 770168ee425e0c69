// sql::Rows: statements run straight on SQLite. Every kind of value binds and reads back as it
// should, errors keep their codes and leave the statement usable, and the per-thread cache never
// runs a stale statement (reused text buffers, other connections, closed connections).
#include "support/TempDataDir.h"

#include "store/Database.h"
#include "store/Prepared.h"
#include "store/Sql.h"
#include "store/WriteQueue.h"

#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <cstring>
#include <string>

using namespace ordinaut;

class tst_Prepared final : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void integersRealsAndBoolsRoundTrip();
    void textRoundTripsAsUtf8FromEveryTextType();
    void nullValuesBindNullAndEmptyTextStaysEmpty();
    void instantsBindAsUnixMilliseconds();
    void accessorsConvertAndOutOfRangeCellsAreNull();
    void changesCountsChangedRowsAndIsZeroForASelect();
    void updateReturningReturnsEveryRow();
    void aUniqueViolationIsAConflictAndTheStatementStaysUsable();
    void aWrongNumberOfBindsIsInternalNamesTheCountsAndRunsNothing();
    void aReusedTextBufferRunsItsNewStatement();
    void aSyntaxErrorIsInternalAndNamesTheStatement();
    void eachConnectionRunsItsOwnStatement();
    void releasedStatementsLetTheConnectionCloseAndReopen();
    void insertedRowIdIsTheNewRowsOwnEvenWhenItRepeatsTheLastOne();
    void aTextThatIsNotExactlyOneStatementIsRefused();

private:
    QSqlDatabase db() const { return m_db->connection(); }
    int count() const;

    std::unique_ptr<test::TempDataDir> m_dir;
    std::shared_ptr<Database> m_db;
};

namespace {

// The statement texts: string literals, so each keeps one address (the cache's key).
const char *const kInsert = "INSERT INTO t (k, i, r, s, b) VALUES (?, ?, ?, ?, ?)";
const char *const kSelect = "SELECT k, i, r, s, b, typeof(i), typeof(r), typeof(s), typeof(b) "
                            "FROM t WHERE k = ?";

Status createTable(const QSqlDatabase &db)
{
    Result<QSqlQuery> created = sql::exec(
        db,
        QStringLiteral("CREATE TABLE t (k TEXT PRIMARY KEY, i INTEGER, r REAL, s TEXT, b TEXT)"));
    return created ? Status() : Status(created.error());
}

} // namespace

void tst_Prepared::init()
{
    m_dir = std::make_unique<test::TempDataDir>();
    Result<std::shared_ptr<Database>> db = Database::open(m_dir->databaseFile());
    QVERIFY2(db, db ? "" : qPrintable(db.error().describe()));
    m_db = *db;
    const Status created = createTable(this->db());
    QVERIFY2(created, created ? "" : qPrintable(created.error().describe()));
}

void tst_Prepared::cleanup()
{
    m_db.reset();
    m_dir.reset();
}

int tst_Prepared::count() const
{
    // Through Qt SQL, not the code under test.
    Result<QSqlQuery> q = sql::exec(db(), QStringLiteral("SELECT COUNT(*) FROM t"));
    return q && q->next() ? q->value(0).toInt() : -1;
}

void tst_Prepared::integersRealsAndBoolsRoundTrip()
{
    const qint64 big = (qint64(1) << 40) + 7; // beyond 32 bits
    Result<sql::Rows> inserted
        = sql::query(db(), kInsert, {QStringLiteral("a"), -42, 2.5, true, nullptr});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));
    inserted = sql::query(db(), kInsert, {QStringLiteral("b"), big, -0.125, false, nullptr});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));

    Result<sql::Rows> a = sql::query(db(), kSelect, {QStringLiteral("a")});
    QVERIFY2(a, a ? "" : qPrintable(a.error().describe()));
    QCOMPARE(a->size(), 1);
    QCOMPARE(a->integer(0, 1), qint64(-42));
    QCOMPARE(a->real(0, 2), 2.5);
    QCOMPARE(a->text(0, 5), QStringLiteral("integer"));
    QCOMPARE(a->text(0, 6), QStringLiteral("real"));
    // A bool binds as the integer 1 (s has text affinity, so it reads back as "1").
    QCOMPARE(a->text(0, 3), QStringLiteral("1"));

    Result<sql::Rows> b = sql::query(db(), kSelect, {QStringLiteral("b")});
    QVERIFY2(b, b ? "" : qPrintable(b.error().describe()));
    QCOMPARE(b->size(), 1);
    QCOMPARE(b->integer(0, 1), big);
    QCOMPARE(b->real(0, 2), -0.125);
    QCOMPARE(b->text(0, 3), QStringLiteral("0"));

    // Read back as numbers, through a column without affinity.
    Result<sql::Rows> flags = sql::query(db(), "SELECT ?, ?", {true, false});
    QVERIFY2(flags, flags ? "" : qPrintable(flags.error().describe()));
    QCOMPARE(flags->integer(0, 0), qint64(1));
    QCOMPARE(flags->integer(0, 1), qint64(0));
    QVERIFY(!flags->isNull(0, 1));
}

void tst_Prepared::textRoundTripsAsUtf8FromEveryTextType()
{
    const QString text = QStringLiteral("Zürich ☀");
    const QByteArray utf8 = text.toUtf8();
    const std::string standard = utf8.toStdString();
    Result<sql::Rows> inserted
        = sql::query(db(), kInsert, {QStringLiteral("q"), nullptr, nullptr, text, utf8});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));
    inserted = sql::query(db(), kInsert, {QStringLiteral("s"), nullptr, nullptr, standard, text});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));

    for (const QString &key : {QStringLiteral("q"), QStringLiteral("s")}) {
        Result<sql::Rows> row = sql::query(db(), kSelect, {key});
        QVERIFY2(row, row ? "" : qPrintable(row.error().describe()));
        QCOMPARE(row->size(), 1);
        QCOMPARE(row->text(0, 3), text);
        QCOMPARE(row->text(0, 4), text);
        QCOMPARE(row->text(0, 7), QStringLiteral("text"));
        QCOMPARE(row->text(0, 8), QStringLiteral("text"));
    }
    // Stored as UTF-8 characters, not as bytes taken one by one: eight characters, and the
    // file holds exactly the UTF-8 encoding.
    Result<sql::Rows> stored
        = sql::query(db(), "SELECT length(s), hex(s), length(b), hex(b) FROM t ORDER BY k");
    QVERIFY2(stored, stored ? "" : qPrintable(stored.error().describe()));
    QCOMPARE(stored->size(), 2);
    const QString hex = QString::fromLatin1(utf8.toHex().toUpper());
    for (int row = 0; row < 2; ++row) {
        QCOMPARE(stored->integer(row, 0), qint64(8));
        QCOMPARE(stored->text(row, 1), hex);
        QCOMPARE(stored->integer(row, 2), qint64(8));
        QCOMPARE(stored->text(row, 3), hex);
    }
}

void tst_Prepared::nullValuesBindNullAndEmptyTextStaysEmpty()
{
    Result<sql::Rows> inserted = sql::query(
        db(), kInsert, {QStringLiteral("n"), QDateTime(), nullptr, QString(), QByteArray()});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));
    Result<sql::Rows> row = sql::query(db(), kSelect, {QStringLiteral("n")});
    QVERIFY2(row, row ? "" : qPrintable(row.error().describe()));
    QCOMPARE(row->size(), 1);
    for (int column = 1; column <= 4; ++column) {
        QVERIFY2(row->isNull(0, column), qPrintable(QString::number(column)));
        QCOMPARE(row->text(0, column + 4), QStringLiteral("null"));
    }
    QVERIFY(row->text(0, 3).isNull());
    QVERIFY(!row->instant(0, 1).isValid());

    // Empty is not null.
    inserted = sql::query(
        db(), kInsert, {QStringLiteral("e"), nullptr, nullptr, QStringLiteral(""), QByteArray("")});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));
    row = sql::query(db(), kSelect, {QStringLiteral("e")});
    QVERIFY2(row, row ? "" : qPrintable(row.error().describe()));
    QVERIFY(!row->isNull(0, 3));
    QVERIFY(!row->isNull(0, 4));
    QCOMPARE(row->text(0, 7), QStringLiteral("text"));
    QCOMPARE(row->text(0, 8), QStringLiteral("text"));
    QVERIFY(!row->text(0, 3).isNull());
    QVERIFY(row->text(0, 3).isEmpty());
    Result<sql::Rows> empty = sql::query(db(), "SELECT ? IS NULL", {std::string()});
    QVERIFY2(empty, empty ? "" : qPrintable(empty.error().describe()));
    QCOMPARE(empty->integer(0, 0), qint64(0));
}

void tst_Prepared::instantsBindAsUnixMilliseconds()
{
    const qint64 ms = 1700000000123;
    const QDateTime utc = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
    // The same instant seen from UTC+02:00 binds the same number.
    const QDateTime shifted = utc.toOffsetFromUtc(2 * 3600);
    Result<sql::Rows> inserted
        = sql::query(db(), kInsert, {QStringLiteral("u"), utc, nullptr, nullptr, nullptr});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));
    inserted = sql::query(db(), kInsert, {QStringLiteral("v"), shifted, nullptr, nullptr, nullptr});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));

    Result<sql::Rows> rows = sql::query(db(), "SELECT i, typeof(i) FROM t ORDER BY k");
    QVERIFY2(rows, rows ? "" : qPrintable(rows.error().describe()));
    QCOMPARE(rows->size(), 2);
    for (int row = 0; row < 2; ++row) {
        QCOMPARE(rows->integer(row, 0), ms);
        QCOMPARE(rows->text(row, 1), QStringLiteral("integer"));
        QCOMPARE(rows->instant(row, 0), utc);
        QCOMPARE(rows->instant(row, 0).toMSecsSinceEpoch(), ms);
    }
}

void tst_Prepared::accessorsConvertAndOutOfRangeCellsAreNull()
{
    Result<sql::Rows> rows = sql::query(db(), "SELECT 42, 2.75, '7', NULL");
    QVERIFY2(rows, rows ? "" : qPrintable(rows.error().describe()));
    QCOMPARE(rows->size(), 1);
    QVERIFY(!rows->empty());
    QCOMPARE(rows->text(0, 0), QStringLiteral("42"));
    QCOMPARE(rows->real(0, 0), 42.0);
    QCOMPARE(rows->integer(0, 1), qint64(2));
    QCOMPARE(rows->text(0, 2), QStringLiteral("7"));
    QCOMPARE(rows->integer(0, 3), qint64(0));
    QCOMPARE(rows->real(0, 3), 0.0);
    // Outside the result: NULL rather than a crash.
    QVERIFY(!rows->isNull(0, 0));
    QVERIFY(rows->isNull(0, 4));
    QVERIFY(rows->isNull(1, 0));
    QVERIFY(rows->isNull(-1, 0));
    QVERIFY(rows->text(1, 0).isNull());

    Result<sql::Rows> none = sql::query(db(), "SELECT k FROM t");
    QVERIFY2(none, none ? "" : qPrintable(none.error().describe()));
    QVERIFY(none->empty());
    QCOMPARE(none->size(), 0);
}

void tst_Prepared::changesCountsChangedRowsAndIsZeroForASelect()
{
    for (const QString &key : {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}) {
        Result<sql::Rows> inserted = sql::query(db(), kInsert, {key, 1, nullptr, nullptr, nullptr});
        QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));
        QCOMPARE(inserted->changes(), qint64(1));
    }
    Result<sql::Rows> updated
        = sql::query(db(), "UPDATE t SET i = ? WHERE k <> ?", {5, QStringLiteral("b")});
    QVERIFY2(updated, updated ? "" : qPrintable(updated.error().describe()));
    QCOMPARE(updated->changes(), qint64(2));
    QVERIFY(updated->empty());
    // SQLite's own count still says 2 here: a read reports none.
    Result<sql::Rows> read = sql::query(db(), "SELECT k FROM t WHERE i = ?", {5});
    QVERIFY2(read, read ? "" : qPrintable(read.error().describe()));
    QCOMPARE(read->size(), 2);
    QCOMPARE(read->changes(), qint64(0));
    Result<sql::Rows> deleted
        = sql::query(db(), "DELETE FROM t WHERE k = ?", {QStringLiteral("none")});
    QVERIFY2(deleted, deleted ? "" : qPrintable(deleted.error().describe()));
    QCOMPARE(deleted->changes(), qint64(0));
}

void tst_Prepared::updateReturningReturnsEveryRow()
{
    constexpr int kRows = 5;
    for (int i = 0; i < kRows; ++i) {
        Result<sql::Rows> inserted = sql::query(
            db(), kInsert, {QStringLiteral("k%1").arg(i), i, nullptr, nullptr, nullptr});
        QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));
    }
    Result<sql::Rows> returned = sql::query(db(), "UPDATE t SET i = i + ? RETURNING k, i", {100});
    QVERIFY2(returned, returned ? "" : qPrintable(returned.error().describe()));
    QCOMPARE(returned->size(), kRows);
    QCOMPARE(returned->changes(), qint64(kRows));
    QSet<QString> keys;
    for (int row = 0; row < kRows; ++row) {
        const QString key = returned->text(row, 0);
        keys.insert(key);
        QCOMPARE(returned->integer(row, 1), qint64(100 + key.mid(1).toInt()));
    }
    QCOMPARE(keys.size(), kRows);
    // Every row was updated (read through Qt SQL; the query ends with its block, or its open
    // read would pin this connection's snapshot)...
    {
        Result<QSqlQuery> updated
            = sql::exec(db(), QStringLiteral("SELECT COUNT(*) FROM t WHERE i >= 100"));
        QVERIFY(updated && updated->next());
        QCOMPARE(updated->value(0).toInt(), kRows);
    }
    // ...and the statement was reset, so its transaction ended: another connection can write,
    // and this one then sees that write.
    Status written = m_db->writer().write(Durability::Relaxed, [&]() -> Status {
        Result<QSqlQuery> q = sql::exec(m_db->connection(), QStringLiteral("DELETE FROM t"));
        return q ? Status() : Status(q.error());
    });
    QVERIFY2(written, written ? "" : qPrintable(written.error().describe()));
    QCOMPARE(count(), 0);
}

void tst_Prepared::aUniqueViolationIsAConflictAndTheStatementStaysUsable()
{
    Result<sql::Rows> first
        = sql::query(db(), kInsert, {QStringLiteral("a"), 1, nullptr, nullptr, nullptr});
    QVERIFY2(first, first ? "" : qPrintable(first.error().describe()));
    Result<sql::Rows> again
        = sql::query(db(), kInsert, {QStringLiteral("a"), 2, nullptr, nullptr, nullptr});
    QVERIFY(!again);
    QVERIFY2(again.error().code == ErrorCode::Conflict, qPrintable(again.error().describe()));
    QVERIFY2(again.error().message.contains(QLatin1String("UNIQUE")),
             qPrintable(again.error().describe()));
    Result<sql::Rows> other
        = sql::query(db(), kInsert, {QStringLiteral("b"), 3, nullptr, nullptr, nullptr});
    QVERIFY2(other, other ? "" : qPrintable(other.error().describe()));
    QCOMPARE(other->changes(), qint64(1));
    QCOMPARE(count(), 2);
    Result<sql::Rows> kept = sql::query(db(), kSelect, {QStringLiteral("a")});
    QVERIFY2(kept, kept ? "" : qPrintable(kept.error().describe()));
    QCOMPARE(kept->integer(0, 1), qint64(1));
}

void tst_Prepared::aWrongNumberOfBindsIsInternalNamesTheCountsAndRunsNothing()
{
    const char *const insert = "INSERT INTO t (k, i, r) VALUES (?, ?, ?)";
    Result<sql::Rows> tooFew = sql::query(db(), insert, {QStringLiteral("a")});
    QVERIFY(!tooFew);
    QVERIFY2(tooFew.error().code == ErrorCode::Internal, qPrintable(tooFew.error().describe()));
    QVERIFY2(tooFew.error().message.contains(QRegularExpression(QStringLiteral("\\b1\\b")))
                 && tooFew.error().message.contains(QRegularExpression(QStringLiteral("\\b3\\b"))),
             qPrintable(tooFew.error().describe()));
    Result<sql::Rows> tooMany
        = sql::query(db(), insert, {QStringLiteral("b"), 1, 2.0, QStringLiteral("extra")});
    QVERIFY(!tooMany);
    QVERIFY2(tooMany.error().code == ErrorCode::Internal, qPrintable(tooMany.error().describe()));
    QVERIFY2(tooMany.error().message.contains(QRegularExpression(QStringLiteral("\\b4\\b")))
                 && tooMany.error().message.contains(QRegularExpression(QStringLiteral("\\b3\\b"))),
             qPrintable(tooMany.error().describe()));
    QCOMPARE(count(), 0);
    // The right number still runs.
    Result<sql::Rows> right = sql::query(db(), insert, {QStringLiteral("c"), 1, 2.0});
    QVERIFY2(right, right ? "" : qPrintable(right.error().describe()));
    QCOMPARE(count(), 1);
}

void tst_Prepared::aReusedTextBufferRunsItsNewStatement()
{
    // One address, three statements (the last repeats the first): each must run as written.
    // The parameter counts differ, so a stale statement would also refuse the binds.
    char buffer[128];
    std::strcpy(buffer, "SELECT ?");
    Result<sql::Rows> one = sql::query(db(), buffer, {QStringLiteral("first")});
    QVERIFY2(one, one ? "" : qPrintable(one.error().describe()));
    QCOMPARE(one->text(0, 0), QStringLiteral("first"));

    std::strcpy(buffer, "SELECT ?, ? || 'x'");
    Result<sql::Rows> two
        = sql::query(db(), buffer, {QStringLiteral("second"), QStringLiteral("y")});
    QVERIFY2(two, two ? "" : qPrintable(two.error().describe()));
    QCOMPARE(two->text(0, 0), QStringLiteral("second"));
    QCOMPARE(two->text(0, 1), QStringLiteral("yx"));

    // Same parameter count as before, different statement.
    std::strcpy(buffer, "SELECT ?, ? || 'z'");
    Result<sql::Rows> three
        = sql::query(db(), buffer, {QStringLiteral("third"), QStringLiteral("y")});
    QVERIFY2(three, three ? "" : qPrintable(three.error().describe()));
    QCOMPARE(three->text(0, 1), QStringLiteral("yz"));

    std::strcpy(buffer, "SELECT ?");
    Result<sql::Rows> back = sql::query(db(), buffer, {QStringLiteral("again")});
    QVERIFY2(back, back ? "" : qPrintable(back.error().describe()));
    QCOMPARE(back->text(0, 0), QStringLiteral("again"));
}

void tst_Prepared::aSyntaxErrorIsInternalAndNamesTheStatement()
{
    const char *const broken = "SELEC k FROM t WHERE k = ?";
    for (int attempt = 0; attempt < 2; ++attempt) {
        Result<sql::Rows> rows = sql::query(db(), broken, {QStringLiteral("a")});
        QVERIFY(!rows);
        QVERIFY2(rows.error().code == ErrorCode::Internal, qPrintable(rows.error().describe()));
        QVERIFY2(rows.error().message.contains(QLatin1String(broken)),
                 qPrintable(rows.error().describe()));
        QVERIFY2(rows.error().message.contains(QLatin1String("syntax error")),
                 qPrintable(rows.error().describe()));
    }
    // An unknown table: Internal as well, from preparing.
    Result<sql::Rows> missing = sql::query(db(), "SELECT * FROM nowhere");
    QVERIFY(!missing);
    QVERIFY2(missing.error().code == ErrorCode::Internal, qPrintable(missing.error().describe()));
    QVERIFY2(missing.error().message.contains(QLatin1String("nowhere")),
             qPrintable(missing.error().describe()));
    // The connection is fine afterwards.
    Result<sql::Rows> fine = sql::query(db(), kSelect, {QStringLiteral("a")});
    QVERIFY2(fine, fine ? "" : qPrintable(fine.error().describe()));
    QVERIFY(fine->empty());
}

void tst_Prepared::eachConnectionRunsItsOwnStatement()
{
    // A second database on the same thread: the same text (one address) prepared on each
    // connection must read that connection's rows.
    test::TempDataDir otherDir;
    Result<std::shared_ptr<Database>> other = Database::open(otherDir.databaseFile());
    QVERIFY2(other, other ? "" : qPrintable(other.error().describe()));
    const Status created = createTable((*other)->connection());
    QVERIFY2(created, created ? "" : qPrintable(created.error().describe()));

    Result<sql::Rows> here
        = sql::query(db(), kInsert, {QStringLiteral("a"), 1, nullptr, nullptr, nullptr});
    QVERIFY2(here, here ? "" : qPrintable(here.error().describe()));
    Result<sql::Rows> there = sql::query((*other)->connection(), kInsert,
                                         {QStringLiteral("a"), 2, nullptr, nullptr, nullptr});
    QVERIFY2(there, there ? "" : qPrintable(there.error().describe()));

    Result<sql::Rows> readHere = sql::query(db(), kSelect, {QStringLiteral("a")});
    QVERIFY2(readHere, readHere ? "" : qPrintable(readHere.error().describe()));
    Result<sql::Rows> readThere
        = sql::query((*other)->connection(), kSelect, {QStringLiteral("a")});
    QVERIFY2(readThere, readThere ? "" : qPrintable(readThere.error().describe()));
    QCOMPARE(readHere->integer(0, 1), qint64(1));
    QCOMPARE(readThere->integer(0, 1), qint64(2));
    (*other)->closeThreadConnections();
}

void tst_Prepared::releasedStatementsLetTheConnectionCloseAndReopen()
{
    Result<sql::Rows> inserted
        = sql::query(db(), kInsert, {QStringLiteral("a"), 7, nullptr, nullptr, nullptr});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));
    Result<sql::Rows> read = sql::query(db(), kSelect, {QStringLiteral("a")});
    QVERIFY2(read, read ? "" : qPrintable(read.error().describe()));

    // Released without closing: prepared again on the next use.
    sql::releaseThreadStatements();
    read = sql::query(db(), kSelect, {QStringLiteral("a")});
    QVERIFY2(read, read ? "" : qPrintable(read.error().describe()));
    QCOMPARE(read->integer(0, 1), qint64(7));

    const QString log = m_dir->databaseFile() + QStringLiteral("-wal");
    QVERIFY(QFile::exists(log));
    sql::releaseThreadStatements();
    m_db->closeThreadConnections();
    // The last connection really closed (a statement left unfinalized would keep it open):
    // SQLite checkpointed and removed the log.
    QVERIFY2(!QFile::exists(log), "the connection stayed open");

    // A new connection; the same statement texts run on it.
    read = sql::query(db(), kSelect, {QStringLiteral("a")});
    QVERIFY2(read, read ? "" : qPrintable(read.error().describe()));
    QCOMPARE(read->size(), 1);
    QCOMPARE(read->integer(0, 1), qint64(7));
    inserted = sql::query(db(), kInsert, {QStringLiteral("b"), 8, nullptr, nullptr, nullptr});
    QVERIFY2(inserted, inserted ? "" : qPrintable(inserted.error().describe()));
    QCOMPARE(count(), 2);
}

void tst_Prepared::insertedRowIdIsTheNewRowsOwnEvenWhenItRepeatsTheLastOne()
{
    // Rowids count per table: the first row of a second table has the same rowid as the first
    // row of the first one, and must still be reported.
    for (const char *create : {"CREATE TABLE a (x INTEGER)", "CREATE TABLE b (x INTEGER)"}) {
        Result<sql::Rows> made = sql::query(db(), create);
        QVERIFY2(made, made ? "" : qPrintable(made.error().describe()));
    }
    Result<sql::Rows> intoA = sql::query(db(), "INSERT INTO a (x) VALUES (?)", {1});
    QVERIFY2(intoA, intoA ? "" : qPrintable(intoA.error().describe()));
    QCOMPARE(intoA->insertedRowId(), qint64(1));
    Result<sql::Rows> intoB = sql::query(db(), "INSERT INTO b (x) VALUES (?)", {2});
    QVERIFY2(intoB, intoB ? "" : qPrintable(intoB.error().describe()));
    QCOMPARE(intoB->insertedRowId(), qint64(1));
    intoB = sql::query(db(), "INSERT INTO b (x) VALUES (?)", {3});
    QVERIFY2(intoB, intoB ? "" : qPrintable(intoB.error().describe()));
    QCOMPARE(intoB->insertedRowId(), qint64(2));
    // An insert that adds nothing reports nothing.
    Result<sql::Rows> none = sql::query(db(), "INSERT INTO b (x) SELECT x FROM a WHERE x > 99");
    QVERIFY2(none, none ? "" : qPrintable(none.error().describe()));
    QCOMPARE(none->insertedRowId(), qint64(0));
}

void tst_Prepared::aTextThatIsNotExactlyOneStatementIsRefused()
{
    // A second statement would be ignored and an empty one would do nothing: both are errors,
    // and nothing runs.
    for (const char *text :
         {"INSERT INTO t (k) VALUES ('one'); INSERT INTO t (k) VALUES ('two')", "-- nothing", ""}) {
        Result<sql::Rows> refused = sql::query(db(), text);
        QVERIFY(!refused);
        QVERIFY(refused.error().code == ErrorCode::Internal);
        QVERIFY2(refused.error().message.contains(QLatin1String("not exactly one statement")),
                 qPrintable(refused.error().message));
    }
    QCOMPARE(count(), 0);
    // Trailing blanks and a semicolon are one statement.
    Result<sql::Rows> one = sql::query(db(), "INSERT INTO t (k) VALUES ('three');  \n");
    QVERIFY2(one, one ? "" : qPrintable(one.error().describe()));
    QCOMPARE(count(), 1);
}

QTEST_GUILESS_MAIN(tst_Prepared)
#include "tst_Prepared.moc"
