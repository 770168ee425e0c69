// PipelineChecker: tool names and template references.
#include "PipelineChecker.h"

#include "Template.h"

#include "tools/ToolRegistry.h"

#include <QSet>

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
} // namespace

PipelineChecker::PipelineChecker(const ToolRegistry &tools)
    : m_tools(tools)
{}

Status PipelineChecker::check(const Pipeline &pipeline, const QString &path) const
{
    QSet<QString> allNames;
    for (const Step &step : pipeline.steps)
        allNames.insert(step.resultName());

    QSet<QString> earlier;
    for (size_t i = 0; i < pipeline.steps.size(); ++i) {
        const Step &step = pipeline.steps[i];
        const QString stepPath = path + QStringLiteral(".pipeline[%1]").arg(i);
        if (!m_tools.contains(step.uses))
            return Error::invalid(stepPath + QStringLiteral(".uses"),
                                  QStringLiteral("unknown tool '%1' (available: %2)")
                                      .arg(step.uses, m_tools.names().join(QStringLiteral(", "))));

        Result<std::vector<TemplateReference>> refs
            = Template::references(step.with, stepPath + QStringLiteral(".with"));
        if (!refs)
            return refs.error();
        if (!step.condition.isEmpty()) {
            const QString field = stepPath + QStringLiteral(".if");
            if (step.condition.contains(QLatin1String("${"))) {
                Result<std::vector<TemplateReference>> more
                    = Template::references(Json(step.condition), field);
                if (!more)
                    return more.error();
                refs->insert(refs->end(), more->begin(), more->end());
            } else {
                Result<Expression> expression = Expression::parse(step.condition);
                if (!expression)
                    return Error::invalid(field, expression.error().message);
                for (const PathReference &path : expression->references())
                    refs->push_back(TemplateReference{field, path});
            }
        }
        for (const TemplateReference &ref : *refs) {
            const QString root = ref.path.segments.value(0);
            const QString name = ref.path.segments.value(1);
            auto fail = [&](const QString &message) {
                return Error::invalid(ref.field, QStringLiteral("%1:%2: %3: ")
                                                         .arg(ref.path.line)
                                                         .arg(ref.path.column)
                                                         .arg(ref.path.text)
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
                            ? QStringLiteral(
                                  "step '%1' runs later; only earlier steps' results exist here")
                                  .arg(name)
                            : QStringLiteral("there is no step named '%1'").arg(name));
            } else if (root == QLatin1String("params")) {
                if (!name.isEmpty() && !ref.path.optional
                    && !pipeline.params.contains(name.toStdString()))
                    return fail(QStringLiteral("params has no '%1' (has: %2; default(params.%1, "
                                               "…) tolerates its absence)")
                                    .arg(name, paramNames(pipeline.params)));
            } else if (root == QLatin1String("task")) {
                if (!kTaskFields.contains(name))
                    return fail(QStringLiteral("task has: ")
                                + kTaskFields.join(QStringLiteral(", ")));
            } else if (root == QLatin1String("run")) {
                if (!kRunFields.contains(name))
                    return fail(QStringLiteral("run has: ")
                                + kRunFields.join(QStringLiteral(", ")));
            }
            // event.*, now and date depend on the run: nothing to check before it starts.
        }
        earlier.insert(step.resultName());
    }
    return {};
}

} // namespace ordinaut
