// QSqlQuery helpers with Error reporting.
#include "Sql.h"

#include "Prepared.h"

#include <QSqlError>

#include <array>

namespace ordinaut::sql {

namespace {

Error errorFrom(const QSqlError &error, const QString &statement)
{
    const QString text = error.text();
    const QString native = error.nativeErrorCode();
    // SQLite primary codes: 5 BUSY, 6 LOCKED, 19 CONSTRAINT.
    if (native == QLatin1String("5") || native == QLatin1String("6"))
        return Error{ErrorCode::Unavailable, QStringLiteral("the database is busy: ") + text, {}};
    if (native == QLatin1String("19") || native.startsWith(QLatin1String("2067"))
        || native == QLatin1String("1555") || native == QLatin1String("787"))
        return Error{ErrorCode::Conflict, QStringLiteral("constraint violated: ") + text, {}};
    return Error::internal(
        QStringLiteral("database error: %1 (in: %2)").arg(text, statement.left(80)));
}

thread_local StatementCache *t_cache = nullptr;

// The savepoint statements by depth, with static storage (they key prepared statements).
struct SavepointStatements
{
    QByteArray begin, release, rollbackTo;
};
constexpr int kSavepointDepths = 16;
const SavepointStatements *savepointStatements(int depth)
{
    static const std::array<SavepointStatements, kSavepointDepths> statements = [] {
        std::array<SavepointStatements, kSavepointDepths> all;
        for (int i = 0; i < kSavepointDepths; ++i) {
            const QByteArray name = "tx" + QByteArray::number(i + 1);
            all[size_t(i)] = {"SAVEPOINT " + name, "RELEASE " + name, "ROLLBACK TO " + name};
        }
        return all;
    }();
    return depth >= 1 && depth <= kSavepointDepths ? &statements[size_t(depth - 1)] : nullptr;
}

// Runs one of the savepoint statements: prepared and kept when the depth has one.
Status savepointStatement(const QSqlDatabase &db, int depth, QByteArray SavepointStatements::*which,
                          const char *verb)
{
    if (const SavepointStatements *statements = savepointStatements(depth)) {
        Result<Rows> done = query(db, (statements->*which).constData());
        return done ? Status() : Status(done.error());
    }
    Result<QSqlQuery> done
        = exec(db, QString::fromLatin1(verb) + QStringLiteral(" tx") + QString::number(depth));
    return done ? Status() : Status(done.error());
}

} // namespace

StatementCache::StatementCache()
{
    t_cache = this;
}

StatementCache::~StatementCache()
{
    for (const QHash<QString, QSqlQuery *> &queries : std::as_const(m_queries))
        qDeleteAll(queries);
    if (t_cache == this)
        t_cache = nullptr;
}

StatementCache *StatementCache::current()
{
    return t_cache;
}

void StatementCache::finishAll()
{
    for (const QHash<QString, QSqlQuery *> &queries : std::as_const(m_queries))
        for (QSqlQuery *query : queries)
            if (query->isActive())
                query->finish();
}

void StatementCache::finishWrites()
{
    for (QSqlQuery *query : m_writes)
        if (query->isActive())
            query->finish();
}

QSqlQuery *StatementCache::find(const QSqlDatabase &db, const QString &statement)
{
    QHash<QString, QSqlQuery *> &queries = m_queries[db.connectionName()];
    if (QSqlQuery *cached = queries.value(statement))
        return cached;
    auto query = std::make_unique<QSqlQuery>(db);
    query->setForwardOnly(true);
    if (!query->prepare(statement))
        return nullptr;
    const QString verb = statement.trimmed().section(QLatin1Char(' '), 0, 0).toUpper();
    if (verb == QLatin1String("INSERT") || verb == QLatin1String("UPDATE")
        || verb == QLatin1String("DELETE") || verb == QLatin1String("REPLACE")
        || (verb == QLatin1String("WITH")
            && (statement.contains(QLatin1String("UPDATE "), Qt::CaseInsensitive)
                || statement.contains(QLatin1String("INSERT "), Qt::CaseInsensitive)
                || statement.contains(QLatin1String("DELETE "), Qt::CaseInsensitive))))
        m_writes.push_back(query.get());
    return queries.insert(statement, query.release()).value();
}

namespace {

Result<QSqlQuery> execCached(StatementCache &cache, const QSqlDatabase &db,
                             const QString &statement, const QVariantList &binds)
{
    QSqlQuery *query = cache.find(db, statement);
    if (!query) {
        QSqlQuery probe(db);
        probe.prepare(statement);
        return errorFrom(probe.lastError(), statement);
    }
    if (query->isActive())
        query->finish();
    for (int i = 0; i < binds.size(); ++i)
        query->bindValue(i, binds[i]);
    if (!query->exec())
        return errorFrom(query->lastError(), statement);
    // The copy shares the cached statement and its result (what Qt deprecates copying for is
    // exactly this sharing); callers read it before the next exec of the same statement.
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    return QSqlQuery(*query);
    QT_WARNING_POP
}

} // namespace

Result<QSqlQuery> exec(const QSqlDatabase &db, const QString &statement, const QVariantList &binds)
{
    if (StatementCache *cache = t_cache)
        return execCached(*cache, db, statement, binds);
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(statement))
        return errorFrom(query.lastError(), statement);
    for (const QVariant &value : binds)
        query.addBindValue(value);
    if (!query.exec())
        return errorFrom(query.lastError(), statement);
    return query;
}

Result<QSqlQuery> exec(const QSqlDatabase &db, const QString &statement,
                       std::initializer_list<QVariant> binds)
{
    return exec(db, statement, QVariantList(binds));
}

QVariant ms(const QDateTime &instant)
{
    return instant.isValid() ? QVariant(instant.toMSecsSinceEpoch())
                             : QVariant(QMetaType(QMetaType::LongLong));
}

QDateTime instant(const QVariant &value)
{
    if (value.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), Qt::UTC);
}

QVariant text(const QString &value)
{
    return value.isNull() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(value);
}

Transaction::Transaction(QSqlDatabase db, TransactionMode mode, Nesting nesting)
    : m_db(std::move(db))
{
    if (StatementCache *cache = t_cache; cache && cache->inTransaction()) {
        if (nesting == Nesting::Join) {
            m_joined = true;
            m_open = true;
            return;
        }
        // Named by depth: nested transactions end in reverse order.
        m_savepoint = ++cache->m_savepoints;
        Status begun
            = savepointStatement(m_db, m_savepoint, &SavepointStatements::begin, "SAVEPOINT");
        m_open = bool(begun);
        if (!m_open)
            m_error = begun.error();
        return;
    }
    QSqlQuery begin(m_db);
    m_open = begin.exec(mode == TransactionMode::Immediate ? QStringLiteral("BEGIN IMMEDIATE")
                                                           : QStringLiteral("BEGIN"));
    if (!m_open)
        m_error = errorFrom(begin.lastError(), QStringLiteral("BEGIN"));
}

Transaction::~Transaction()
{
    if (m_joined)
        return; // the piece is undone if this failed
    if (m_savepoint > 0) {
        if (m_open) {
            if (StatementCache *cache = t_cache)
                cache->finishWrites();
            (void)savepointStatement(m_db, m_savepoint, &SavepointStatements::rollbackTo,
                                     "ROLLBACK TO");
            (void)savepointStatement(m_db, m_savepoint, &SavepointStatements::release, "RELEASE");
        }
        if (StatementCache *cache = t_cache)
            --cache->m_savepoints;
        return;
    }
    if (m_open) {
        QSqlQuery rollback(m_db);
        rollback.exec(QStringLiteral("ROLLBACK"));
    }
}

Status Transaction::commit()
{
    if (!m_open)
        return m_error;
    if (m_joined) {
        m_open = false;
        return {};
    }
    if (m_savepoint > 0) {
        if (StatementCache *cache = t_cache)
            cache->finishWrites();
        if (Status released
            = savepointStatement(m_db, m_savepoint, &SavepointStatements::release, "RELEASE");
            !released)
            return released;
        m_open = false;
        return {};
    }
    QSqlQuery commit(m_db);
    if (!commit.exec(QStringLiteral("COMMIT")))
        return errorFrom(commit.lastError(), QStringLiteral("COMMIT"));
    m_open = false;
    return {};
}

} // namespace ordinaut::sql
