// PipelineChecker: tool names and template references.
#include "PipelineChecker.h"

#include "Template.h"

#include "core/JsonSchema.h"
#include "tools/ToolRegistry.h"

#include <QRegularExpression>
#include <QScopeGuard>
#include <QSet>

#include <optional>

namespace ordinaut {

namespace {

QString paramNames(const Json &params)
{
    QStringList names;
    for (const auto &[key, value] : params.items())
        names << qs(key);
    return names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "));
}

const QStringList kTaskFields
    = {QStringLiteral("id"), QStringLiteral("title"), QStringLiteral("timezone")};
const QStringList kRunFields = {QStringLiteral("id"), QStringLiteral("scheduled_for"),
                                QStringLiteral("attempt"), QStringLiteral("trigger")};
// Whether the value at `path` inside `with` (or one of the values containing it) is a template:
// its type is only known once rendered, so schema checks leave it to the run.
bool isTemplated(const Json &with, const QString &path)
{
    const Json *node = &with;
    auto templated = [](const Json &value) {
        return value.is_string() && value.get<std::string>().find("${") != std::string::npos;
    };
    if (templated(*node))
        return true;
    static const QRegularExpression segment(QStringLiteral("([^.\\[\\]]+)|\\[(\\d+)\\]"));
    for (auto it = segment.globalMatch(path); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        if (!m.captured(2).isEmpty()) {
            const size_t index = m.captured(2).toULongLong();
            if (!node->is_array() || index >= node->size())
                return false;
            node = &(*node)[index];
        } else {
            const std::string key = m.captured(1).toStdString();
            if (!node->is_object() || !node->contains(key))
                return false;
            node = &(*node)[key];
        }
        if (templated(*node))
            return true;
    }
    return false;
}

std::optional<Error> checkReference(const TemplateReference &ref, const Step &step,
                                    const Pipeline &pipeline, const QSet<QString> &earlier,
                                    const QSet<QString> &allNames)
{
    const QString root = ref.path.segments.value(0);
    const QString name = ref.path.segments.value(1);
    auto fail = [&](const QString &message) {
        return Error::invalid(
            ref.field,
            QStringLiteral("%1:%2: %3: ").arg(ref.path.line).arg(ref.path.column).arg(ref.path.text)
                + message);
    };
    if (root == QLatin1String("steps")) {
        if (name.isEmpty())
            return fail(QStringLiteral("name a step, e.g. steps.<id>.body"));
        if (name == step.resultName())
            return fail(QStringLiteral("a step cannot use its own result"));
        if (!earlier.contains(name))
            return fail(
                allNames.contains(name)
                    ? QStringLiteral("step '%1' runs later; only earlier steps' results exist here")
                          .arg(name)
                    : QStringLiteral("there is no step named '%1'").arg(name));
    } else if (root == QLatin1String("params")) {
        if (!name.isEmpty() && !ref.path.optional && !pipeline.params.contains(name.toStdString()))
            return fail(QStringLiteral("params has no '%1' (has: %2; default(params.%1, …) "
                                       "tolerates its absence)")
                            .arg(name, paramNames(pipeline.params)));
    } else if (root == QLatin1String("task")) {
        if (!kTaskFields.contains(name))
            return fail(QStringLiteral("task has: ") + kTaskFields.join(QStringLiteral(", ")));
    } else if (root == QLatin1String("run")) {
        if (!kRunFields.contains(name))
            return fail(QStringLiteral("run has: ") + kRunFields.join(QStringLiteral(", ")));
    }
    // event.*, now and date depend on the run: nothing to check before it starts.
    return std::nullopt;
}

} // namespace

PipelineChecker::PipelineChecker(const ToolRegistry &tools)
    : m_tools(tools)
{}

Status PipelineChecker::check(const Pipeline &pipeline, const QString &path) const
{
    std::vector<Diagnostic> found = diagnose(pipeline, path);
    if (found.empty())
        return {};
    Error error = Error::invalid(found.front().field, found.front().message);
    error.diagnostics = std::move(found);
    return error;
}

std::vector<Diagnostic> PipelineChecker::diagnose(const Pipeline &pipeline,
                                                  const QString &path) const
{
    std::vector<Diagnostic> found;
    auto report = [&found](const Error &error) {
        found.push_back(Diagnostic{error.field, error.message});
    };
    QSet<QString> allNames;
    for (const Step &step : pipeline.steps)
        allNames.insert(step.resultName());

    QSet<QString> earlier;
    for (size_t i = 0; i < pipeline.steps.size(); ++i) {
        const Step &step = pipeline.steps[i];
        const QString stepPath = path + QStringLiteral(".pipeline[%1]").arg(i);
        // A later step may still use this one's result; go on past any problem.
        auto next = qScopeGuard([&] { earlier.insert(step.resultName()); });
        const ToolRegistry::Entry *tool = m_tools.entry(step.uses);
        if (!tool)
            report(Error::invalid(stepPath + QStringLiteral(".uses"),
                                  QStringLiteral("unknown tool '%1' (available: %2)")
                                      .arg(step.uses, m_tools.names().join(QStringLiteral(", ")))));
        else
            for (const SchemaViolation &violation : tool->input.validate(step.with))
                if (!isTemplated(step.with, violation.path))
                    report(Error::invalid(
                        JsonSchema::joinPath(stepPath + QStringLiteral(".with"), violation.path),
                        violation.message));

        std::vector<TemplateReference> refs;
        Result<std::vector<TemplateReference>> withRefs
            = Template::references(step.with, stepPath + QStringLiteral(".with"));
        if (!withRefs)
            report(withRefs.error());
        else
            refs = std::move(*withRefs);
        if (!step.condition.isEmpty()) {
            const QString field = stepPath + QStringLiteral(".if");
            if (step.condition.contains(QLatin1String("${"))) {
                Result<std::vector<TemplateReference>> more
                    = Template::references(Json(step.condition), field);
                if (!more)
                    report(more.error());
                else
                    refs.insert(refs.end(), more->begin(), more->end());
            } else {
                Result<Expression> expression = Expression::parse(step.condition);
                if (!expression)
                    report(Error::invalid(field, expression.error().message));
                else
                    for (const PathReference &path : expression->references())
                        refs.push_back(TemplateReference{field, path});
            }
        }
        for (const TemplateReference &ref : refs) {
            if (std::optional<Error> problem
                = checkReference(ref, step, pipeline, earlier, allNames))
                report(*problem);
        }
    }
    return found;
}

} // namespace ordinaut
