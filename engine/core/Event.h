// Event: one entry of the append-only event log ("task.created", "run.finished", …).
#pragma once

#include "Json.h"

#include <QDateTime>
#include <QMetaType>

namespace ordinaut {

struct Event
{
    qint64 id = 0; // monotonic per database
    QString topic;
    Json payload = Json::object();
    QString source; // the actor or component that caused it
    QDateTime createdAt;

    Json toJson() const
    {
        return Json{{"id", id},
                    {"topic", topic},
                    {"payload", payload},
                    {"source", source},
                    {"created_at", instantJson(createdAt)}};
    }
};

} // namespace ordinaut

Q_DECLARE_METATYPE(ordinaut::Event)
