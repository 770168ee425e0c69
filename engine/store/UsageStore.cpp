// UsageStore: counts over runs and run_steps by the tasks' creator.
#include "UsageStore.h"

#include "Database.h"
#include "Prepared.h"

namespace ordinaut {

UsageStore::UsageStore(const Database &database)
    : m_database(database)
{}

Result<qint64> UsageStore::runsSince(const QString &createdBy, const QDateTime &since) const
{
    Result<sql::Rows> rows
        = sql::query(m_database.connection(),
                     "SELECT COUNT(*) FROM tasks t JOIN runs r ON r.task_id = t.id "
                     "WHERE t.created_by = ? AND r.queued_at >= ? AND r.status <> 'skipped'",
                     {createdBy, since});
    if (!rows)
        return rows.error();
    return rows->integer(0, 0);
}

Result<qint64> UsageStore::llmTokensSince(const QString &createdBy, const QDateTime &since) const
{
    Result<sql::Rows> rows = sql::query(
        m_database.connection(),
        "SELECT COALESCE(SUM(COALESCE(json_extract(s.output, '$.usage.input_tokens'), 0) "
        "+ COALESCE(json_extract(s.output, '$.usage.output_tokens'), 0)), 0) "
        "FROM tasks t JOIN runs r ON r.task_id = t.id JOIN run_steps s ON s.run_id = r.id "
        "WHERE t.created_by = ? AND s.uses = 'llm.chat' AND s.finished_at >= ? "
        "AND json_valid(s.output)",
        {createdBy, since});
    if (!rows)
        return rows.error();
    return rows->integer(0, 0);
}

} // namespace ordinaut
