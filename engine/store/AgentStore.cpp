// AgentStore: SQL for agents.
#include "AgentStore.h"

#include "Database.h"
#include "Sql.h"

namespace ordinaut {

AgentStore::AgentStore(const Database &database)
    : m_database(database)
{}

Status AgentStore::insert(const Agent &agent)
{
    Json scopes = Json::array();
    for (const QString &scope : agent.scopes)
        scopes.push_back(scope);
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral(
            "INSERT INTO agents (id, name, scopes, created_at, disabled) VALUES (?,?,?,?,?)"),
        {agent.id, agent.name, QString::fromUtf8(dumpJson(scopes)), sql::ms(agent.createdAt),
         agent.disabled ? 1 : 0});
    if (!q)
        return q.error();
    return {};
}

Result<Agent> AgentStore::get(const QString &id) const
{
    Result<QSqlQuery> q = sql::exec(
        m_database.connection(),
        QStringLiteral("SELECT id, name, scopes, created_at, disabled FROM agents WHERE id=?"),
        {id});
    if (!q)
        return q.error();
    if (!q->next())
        return Error::notFound(QStringLiteral("no agent with id %1").arg(id));
    Agent agent;
    agent.id = q->value(0).toString();
    agent.name = q->value(1).toString();
    const Json scopes = parseJson(q->value(2).toByteArray()).value_or(Json::array());
    for (const Json &scope : scopes) {
        if (scope.is_string())
            agent.scopes << scope.get<QString>();
    }
    agent.createdAt = sql::instant(q->value(3));
    agent.disabled = q->value(4).toInt() != 0;
    return agent;
}

} // namespace ordinaut
