// Agent: an identity that calls the API or MCP server (Claude, a script, the desktop user).
#pragma once

#include "Json.h"

#include <QDateTime>
#include <QStringList>

namespace ordinaut {

struct Agent
{
    QString id;
    QString name;
    QStringList scopes; // "*" grants everything
    QDateTime createdAt;
    bool disabled = false;

    Json toJson() const
    {
        Json list = Json::array();
        for (const QString &scope : scopes)
            list.push_back(scope);
        return Json{{"id", id},
                    {"name", name},
                    {"scopes", list},
                    {"created_at", instantJson(createdAt)},
                    {"disabled", disabled}};
    }
};

} // namespace ordinaut
