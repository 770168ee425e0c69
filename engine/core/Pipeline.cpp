// Pipeline document parsing with field-precise errors.
#include "Pipeline.h"

#include <QRegularExpression>
#include <QSet>

namespace ordinaut {

namespace {

const QRegularExpression &idPattern()
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z_][A-Za-z0-9_-]{0,63}$"));
    return pattern;
}

Result<Step> parseStep(const Json &node, const QString &path)
{
    if (!node.is_object())
        return Error::invalid(path,
                              QStringLiteral("must be an object, got %1").arg(jsonTypeName(node)));
    Step step;
    for (const auto &[key, value] : node.items()) {
        const QString field = path + QLatin1Char('.') + qs(key);
        if (key == "id") {
            if (!value.is_string())
                return Error::invalid(field, QStringLiteral("must be a string"));
            step.id = value.get<QString>();
        } else if (key == "uses") {
            if (!value.is_string() || value.get<std::string>().empty())
                return Error::invalid(field,
                                      QStringLiteral("must name a tool, e.g. \"http.request\""));
            step.uses = value.get<QString>();
        } else if (key == "with") {
            if (!value.is_object())
                return Error::invalid(
                    field, QStringLiteral("must be an object, got %1").arg(jsonTypeName(value)));
            step.with = value;
        } else if (key == "save_as") {
            if (!value.is_string() || !idPattern().match(value.get<QString>()).hasMatch())
                return Error::invalid(
                    field, QStringLiteral("must be a name of letters, digits, '_' or '-'"));
            step.saveAs = value.get<QString>();
        } else if (key == "timeout_seconds") {
            // Compared as 64-bit so a huge number cannot wrap into the range.
            if (!value.is_number_integer() || value.get<qint64>() < 1
                || value.get<qint64>() > 86400)
                return Error::invalid(field, QStringLiteral("must be an integer from 1 to 86400"));
            step.timeoutSeconds = value.get<int>();
        } else if (key == "on_error") {
            if (value == "fail")
                step.onError = OnError::Fail;
            else if (value == "continue")
                step.onError = OnError::Continue;
            else
                return Error::invalid(field, QStringLiteral("must be \"fail\" or \"continue\""));
        } else if (key == "if") {
            if (!value.is_string() || value.get<std::string>().empty())
                return Error::invalid(field, QStringLiteral("must be an expression string, e.g. "
                                                            "\"${steps.check.status == 200}\""));
            step.condition = value.get<QString>();
        } else if (key == "retry") {
            if (!value.is_object())
                return Error::invalid(field, QStringLiteral("must be an object like "
                                                            "{\"max_attempts\": 3, "
                                                            "\"backoff_ms\": 500}"));
            for (const auto &[retryKey, retryValue] : value.items()) {
                const QString retryField = field + QLatin1Char('.') + qs(retryKey);
                if (retryKey == "max_attempts") {
                    if (!retryValue.is_number_integer() || retryValue.get<qint64>() < 1
                        || retryValue.get<qint64>() > 10)
                        return Error::invalid(retryField,
                                              QStringLiteral("must be an integer from 1 to 10"));
                    step.retry.maxAttempts = retryValue.get<int>();
                } else if (retryKey == "backoff_ms") {
                    if (!retryValue.is_number_integer() || retryValue.get<qint64>() < 0
                        || retryValue.get<qint64>() > 60000)
                        return Error::invalid(retryField,
                                              QStringLiteral("must be an integer from 0 to 60000"));
                    step.retry.backoffMs = retryValue.get<int>();
                } else {
                    return Error::invalid(retryField, QStringLiteral("is not a retry field (known: "
                                                                     "max_attempts, backoff_ms)"));
                }
            }
        } else {
            return Error::invalid(field, QStringLiteral("is not a step field (known: id, uses, "
                                                        "with, save_as, if, timeout_seconds, "
                                                        "on_error, retry)"));
        }
    }
    if (step.id.isEmpty())
        return Error::invalid(path + QStringLiteral(".id"), QStringLiteral("is required"));
    if (!idPattern().match(step.id).hasMatch())
        return Error::invalid(path + QStringLiteral(".id"),
                              QStringLiteral("must start with a letter or '_' and hold only "
                                             "letters, digits, '_' or '-' (got '%1')")
                                  .arg(step.id));
    if (step.uses.isEmpty())
        return Error::invalid(path + QStringLiteral(".uses"), QStringLiteral("is required"));
    return step;
}

} // namespace

Result<Pipeline> Pipeline::fromJson(const Json &document, const QString &path)
{
    if (!document.is_object())
        return Error::invalid(path,
                              QStringLiteral("must be an object with \"pipeline\" and \"params\""));
    Pipeline pipeline;
    for (const auto &[key, value] : document.items()) {
        if (key != "pipeline" && key != "params")
            return Error::invalid(
                path + QLatin1Char('.') + qs(key),
                QStringLiteral("is not a payload field (known: pipeline, params)"));
    }
    if (document.contains("params")) {
        const Json &params = document["params"];
        if (!params.is_object())
            return Error::invalid(
                path + QStringLiteral(".params"),
                QStringLiteral("must be an object, got %1").arg(jsonTypeName(params)));
        pipeline.params = params;
    }
    if (!document.contains("pipeline"))
        return Error::invalid(path + QStringLiteral(".pipeline"), QStringLiteral("is required"));
    const Json &steps = document["pipeline"];
    if (!steps.is_array())
        return Error::invalid(
            path + QStringLiteral(".pipeline"),
            QStringLiteral("must be an array of steps, got %1").arg(jsonTypeName(steps)));
    QSet<QString> names;
    for (size_t i = 0; i < steps.size(); ++i) {
        const QString stepPath = path + QStringLiteral(".pipeline[%1]").arg(i);
        Result<Step> step = parseStep(steps[i], stepPath);
        if (!step)
            return step.error();
        if (names.contains(step->id))
            return Error::invalid(stepPath + QStringLiteral(".id"),
                                  QStringLiteral("'%1' is used by an earlier step").arg(step->id));
        names.insert(step->id);
        if (step->resultName() != step->id) {
            if (names.contains(step->resultName()))
                return Error::invalid(
                    stepPath + QStringLiteral(".save_as"),
                    QStringLiteral("'%1' is used by an earlier step").arg(step->saveAs));
            names.insert(step->resultName());
        }
        pipeline.steps.push_back(std::move(*step));
    }
    return pipeline;
}

Json Pipeline::toJson() const
{
    Json steps = Json::array();
    for (const Step &step : this->steps) {
        Json node = {{"id", step.id}, {"uses", step.uses}, {"with", step.with}};
        if (!step.saveAs.isEmpty())
            node["save_as"] = step.saveAs;
        if (step.timeoutSeconds)
            node["timeout_seconds"] = *step.timeoutSeconds;
        if (step.onError == OnError::Continue)
            node["on_error"] = "continue";
        if (!step.condition.isEmpty())
            node["if"] = step.condition;
        if (step.retry.maxAttempts > 1 || step.retry.backoffMs > 0)
            node["retry"] = Json{{"max_attempts", step.retry.maxAttempts},
                                 {"backoff_ms", step.retry.backoffMs}};
        steps.push_back(std::move(node));
    }
    return Json{{"pipeline", std::move(steps)}, {"params", params}};
}

} // namespace ordinaut
