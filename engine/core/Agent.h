// Agent: an identity that calls the API or MCP server (Claude, a script, the desktop user).
#pragma once

#include "Json.h"

#include <QDateTime>
#include <QStringList>

namespace ordinaut {

// How the tasks an agent creates start: ready to be scheduled, or proposed until the owner
// accepts them.
enum class NewTasks { Active, Proposed };

struct Agent
{
    QString id;
    QString name;
    QStringList scopes; // "*" grants everything
    QDateTime createdAt;
    bool disabled = false;
    NewTasks newTasks = NewTasks::Active; // "tasks_start_proposed" in the API

    Json toJson() const
    {
        Json list = Json::array();
        for (const QString &scope : scopes)
            list.push_back(scope);
        return Json{{"id", id},
                    {"name", name},
                    {"scopes", list},
                    {"created_at", instantJson(createdAt)},
                    {"disabled", disabled},
                    {"tasks_start_proposed", newTasks == NewTasks::Proposed}};
    }
};

} // namespace ordinaut
