// AgentStore: SQL for agents.
#include "AgentStore.h"

#include "Database.h"
#include "Prepared.h"
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
            "INSERT INTO agents (id, name, scopes, created_at, disabled, tasks_start_proposed) "
            "VALUES (?,?,?,?,?,?)"),
        {agent.id, agent.name, QString::fromUtf8(dumpJson(scopes)), sql::ms(agent.createdAt),
         agent.disabled ? 1 : 0, agent.newTasks == NewTasks::Proposed ? 1 : 0});
    if (!q)
        return q.error();
    return {};
}

namespace {

Agent agentFrom(const sql::Rows &rows, int row)
{
    Agent agent;
    agent.id = rows.text(row, 0);
    agent.name = rows.text(row, 1);
    const Json scopes = parseJson(rows.utf8(row, 2)).value_or(Json::array());
    for (const Json &scope : scopes) {
        if (scope.is_string())
            agent.scopes << scope.get<QString>();
    }
    agent.createdAt = rows.instant(row, 3);
    agent.disabled = rows.integer(row, 4) != 0;
    agent.newTasks = rows.integer(row, 5) != 0 ? NewTasks::Proposed : NewTasks::Active;
    return agent;
}

QByteArray scopesText(const QStringList &list)
{
    Json scopes = Json::array();
    for (const QString &scope : list)
        scopes.push_back(scope);
    return dumpJson(scopes);
}

} // namespace

Result<Agent> AgentStore::get(const QString &id) const
{
    Result<sql::Rows> q
        = sql::query(m_database.connection(),
                     "SELECT id, name, scopes, created_at, disabled, tasks_start_proposed "
                     "FROM agents WHERE id=?",
                     {id});
    if (!q)
        return q.error();
    if (q->empty())
        return Error::notFound(QStringLiteral("no agent with id %1").arg(id));
    return agentFrom(*q, 0);
}

Result<std::vector<Agent>> AgentStore::list() const
{
    Result<sql::Rows> q = sql::query(
        m_database.connection(),
        "SELECT id, name, scopes, created_at, disabled, tasks_start_proposed FROM agents "
        "ORDER BY created_at, id");
    if (!q)
        return q.error();
    std::vector<Agent> agents;
    for (int row = 0; row < q->size(); ++row)
        agents.push_back(agentFrom(*q, row));
    return agents;
}

Status AgentStore::update(const Agent &agent)
{
    const QByteArray scopes = scopesText(agent.scopes);
    Result<sql::Rows> q = sql::query(
        m_database.connection(),
        "UPDATE agents SET name=?, scopes=?, disabled=?, tasks_start_proposed=? WHERE id=?",
        {agent.name, scopes, agent.disabled, agent.newTasks == NewTasks::Proposed, agent.id});
    if (!q)
        return q.error();
    if (q->changes() == 0)
        return Error::notFound(QStringLiteral("no agent with id %1").arg(agent.id));
    return {};
}

} // namespace ordinaut
