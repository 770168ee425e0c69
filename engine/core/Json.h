// JSON helpers shared by the engine: nlohmann/json <-> Qt strings and instants in the API's
// format (ISO 8601, UTC, milliseconds, "Z").
#pragma once

#include <QDateTime>
#include <QString>

#include <nlohmann/json.hpp>

#include <optional>

namespace nlohmann {
template<>
struct adl_serializer<QString>
{
    static void to_json(json &j, const QString &s) { j = s.toStdString(); }
    static void from_json(const json &j, QString &s)
    {
        s = QString::fromStdString(j.get<std::string>());
    }
};
} // namespace nlohmann

namespace ordinaut {

using Json = nlohmann::json;

inline QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

// "2026-11-24T09:30:00.000Z"; null JSON for an invalid instant.
QString formatInstant(const QDateTime &instant);
Json instantJson(const QDateTime &instant);

// Parses an ISO 8601 instant with an offset or "Z", fractional seconds allowed
// ("2026-11-24T09:30:00.5+02:00"). Returns nullopt for anything else, including local times
// without an offset (those are ambiguous).
std::optional<QDateTime> parseInstant(const QString &text);

// Compact JSON text, and parsing that never throws.
QByteArray dumpJson(const Json &value);
std::optional<Json> parseJson(const QByteArray &text);

// Name of a JSON value's type for messages ("a string", "an object").
QString jsonTypeName(const Json &value);

} // namespace ordinaut
