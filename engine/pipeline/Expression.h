// Expression: the pipeline expression language inside `${…}` — paths (steps.fetch.body[0],
// params.x, task.id, run.scheduled_for, event.payload.y, now, date), literals, comparisons,
// logic (&& || ! and or not), `? :`, parentheses and a library of functions. A hand-written lexer
// and recursive-descent parser build an immutable AST; evaluation reads a scope object
// {"steps":…, "params":…, "task":…, "run":…, "event":…, "now":…, "date":…}.
//
// Errors carry the position as "line:column" counted in the text the expression was read from
// (the whole template string), so an editor can underline it: "1:14: unknown function 'uper'".
#pragma once

#include "core/Json.h"
#include "core/Result.h"

#include <QStringList>

#include <memory>
#include <vector>

namespace ordinaut {

namespace expression {
struct Node;
}

// A path the expression reads, as far as it is static: steps.fetch.body[0] →
// ["steps","fetch","body","0"] (a computed index ends it).
struct PathReference
{
    QStringList segments;
    QString text; // the source, "steps.fetch.body[0]"
    int line = 1;
    int column = 1;
    bool optional = false; // inside default(…): its absence is allowed
};

class Expression final
{
public:
    // Parses the expression that starts at `begin` in `source` and ends at the first `}` outside
    // a string literal (template mode), or at the end of `source` (when `untilBrace` is false).
    // On success `*end` is the index of the closing `}` (or source.size()). InvalidArgument with
    // "line:column: what is wrong" in the message.
    static Result<Expression> parse(const QString &source, qsizetype begin, bool untilBrace,
                                    qsizetype *end = nullptr);
    // A whole text as one expression (no braces): `steps.check.status == 200`.
    static Result<Expression> parse(const QString &text);
    // A whole text whose paths start at other names than a pipeline's: json.transform reads
    // `item` and `index`.
    static Result<Expression> parseWithRoots(const QString &text, const QStringList &roots);

    // The value. InvalidArgument for a missing path (naming it and what exists there), a type
    // mismatch or a failing function, with the position.
    Result<Json> evaluate(const Json &scope) const;

    std::vector<PathReference> references() const;
    const QString &text() const { return m_text; }

    // Names of the functions the language knows, sorted.
    static QStringList functionNames();
    // How a value reads inside a larger string: strings as they are, null as "", numbers and
    // booleans as in JSON, objects and arrays as compact JSON.
    static QString stringify(const Json &value);
    // false, null, 0, "", [] and {} are false; everything else is true.
    static bool truthy(const Json &value);

private:
    static Result<Expression> parse(const QString &source, qsizetype begin, bool untilBrace,
                                    const QStringList &roots, qsizetype *end);

    Expression(std::shared_ptr<const expression::Node> root, QString text);

    std::shared_ptr<const expression::Node> m_root;
    QString m_text;
};

} // namespace ordinaut
