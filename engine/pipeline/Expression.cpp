// Expression: lexer, parser and evaluator of the pipeline expression language.
#include "Expression.h"

#include <QHash>
#include <QRegularExpression>
#include <QTimeZone>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ordinaut {

namespace expression {

enum class Kind { Literal, Root, Member, Index, Call, Not, Negate, Binary, Conditional };
enum class Op { Eq, Ne, Lt, Le, Gt, Ge, And, Or };

struct Node
{
    Kind kind = Kind::Literal;
    Op op = Op::Eq;
    Json literal;    // Literal
    QString name;    // Root, Member (the key), Call (the function)
    std::string key; // `name` as the JSON key (Root, Member)
    QString text;    // the node's source, for messages
    int line = 1;    // where it starts
    int column = 1;
    std::vector<std::shared_ptr<const Node>> children;
};

} // namespace expression

namespace {

using expression::Kind;
using expression::Node;
using expression::Op;
using NodePtr = std::shared_ptr<const Node>;

const QStringList kRoots
    = {QStringLiteral("steps"), QStringLiteral("params"), QStringLiteral("task"),
       QStringLiteral("run"),   QStringLiteral("event"),  QStringLiteral("now"),
       QStringLiteral("date")};

struct FunctionSpec
{
    const char *name;
    int minArgs;
    int maxArgs; // -1: any number
};

const FunctionSpec kFunctions[] = {
    {"addDuration", 2, 2}, {"contains", 2, 2}, {"default", 2, 2}, {"endsWith", 2, 2},
    {"formatDate", 2, 3},  {"fromJson", 1, 1}, {"if", 3, 3},      {"join", 1, 2},
    {"json", 1, 1},        {"len", 1, 1},      {"lower", 1, 1},   {"max", 1, -1},
    {"min", 1, -1},        {"round", 1, 2},    {"split", 2, 2},   {"startsWith", 2, 2},
    {"trim", 1, 1},        {"upper", 1, 1},
};

const FunctionSpec *findFunction(const QString &name)
{
    for (const FunctionSpec &spec : kFunctions) {
        if (name == QLatin1String(spec.name))
            return &spec;
    }
    return nullptr;
}

int editDistance(const QString &a, const QString &b)
{
    std::vector<int> row(size_t(b.size()) + 1);
    for (int j = 0; j <= b.size(); ++j)
        row[size_t(j)] = j;
    for (int i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = i;
        for (int j = 1; j <= b.size(); ++j) {
            const int above = row[size_t(j)];
            const int cost = a.at(i - 1).toLower() == b.at(j - 1).toLower() ? 0 : 1;
            row[size_t(j)] = std::min({above + 1, row[size_t(j - 1)] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[size_t(b.size())];
}

// " (did you mean 'upper'?)" for a near miss among `names`.
QString suggestion(const QString &given, const QStringList &names)
{
    QString best;
    int bestDistance = 3;
    for (const QString &name : names) {
        const int d = editDistance(given, name);
        if (d < bestDistance) {
            bestDistance = d;
            best = name;
        }
    }
    return best.isEmpty() ? QString() : QStringLiteral(" (did you mean '%1'?)").arg(best);
}

// ---- Lexer -------------------------------------------------------------------------------

enum class T {
    End,
    Brace,
    Ident,
    Literal,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    Comma,
    Question,
    Colon,
    Not,
    Minus,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or
};

struct Token
{
    T type = T::End;
    qsizetype offset = 0;
    qsizetype end = 0;
    QString text;
    Json value; // Literal
};

struct Failure
{
    qsizetype offset;
    QString message;
};

class Lexer
{
public:
    Lexer(const QString &source, qsizetype begin)
        : m_source(source)
        , m_pos(begin)
    {}

    // false with `failure` set for a character that starts no token.
    bool next(Token &token, Failure &failure)
    {
        while (m_pos < m_source.size() && m_source.at(m_pos).isSpace())
            ++m_pos;
        token = Token{};
        token.offset = m_pos;
        if (m_pos >= m_source.size()) {
            token.type = T::End;
            token.end = m_pos;
            return true;
        }
        const QChar c = m_source.at(m_pos);
        auto single = [&](T type) {
            token.type = type;
            token.end = ++m_pos;
            token.text = m_source.mid(token.offset, 1);
            return true;
        };
        auto pair = [&](T type) {
            token.type = type;
            m_pos += 2;
            token.end = m_pos;
            token.text = m_source.mid(token.offset, 2);
            return true;
        };
        const QChar after = m_pos + 1 < m_source.size() ? m_source.at(m_pos + 1) : QChar();
        if (c.isLetter() || c == QLatin1Char('_'))
            return identifier(token);
        if (c.isDigit())
            return number(token, failure);
        switch (c.unicode()) {
        case '}':
            return single(T::Brace);
        case '(':
            return single(T::LParen);
        case ')':
            return single(T::RParen);
        case '[':
            return single(T::LBracket);
        case ']':
            return single(T::RBracket);
        case '.':
            return single(T::Dot);
        case ',':
            return single(T::Comma);
        case '?':
            return single(T::Question);
        case ':':
            return single(T::Colon);
        case '-':
            return single(T::Minus);
        case '\'':
        case '"':
            return string(token, failure);
        case '=':
            if (after == QLatin1Char('='))
                return pair(T::Eq);
            failure = {m_pos, QStringLiteral("'=' is not an operator (compare with '==')")};
            return false;
        case '!':
            return after == QLatin1Char('=') ? pair(T::Ne) : single(T::Not);
        case '<':
            return after == QLatin1Char('=') ? pair(T::Le) : single(T::Lt);
        case '>':
            return after == QLatin1Char('=') ? pair(T::Ge) : single(T::Gt);
        case '&':
            if (after == QLatin1Char('&'))
                return pair(T::And);
            failure = {m_pos, QStringLiteral("'&' is not an operator (use '&&' or 'and')")};
            return false;
        case '|':
            if (after == QLatin1Char('|'))
                return pair(T::Or);
            failure = {m_pos, QStringLiteral("'|' is not an operator (use '||' or 'or')")};
            return false;
        default:
            failure = {m_pos, QStringLiteral("unexpected character '%1'").arg(c)};
            return false;
        }
    }

private:
    bool identifier(Token &token)
    {
        qsizetype end = m_pos + 1;
        // Letters, digits, '_' and inner '-' ("fetch-data"): the language has no subtraction.
        while (end < m_source.size()) {
            const QChar ch = m_source.at(end);
            if (ch.isLetterOrNumber() || ch == QLatin1Char('_'))
                ++end;
            else if (ch == QLatin1Char('-') && end + 1 < m_source.size()
                     && (m_source.at(end + 1).isLetterOrNumber()
                         || m_source.at(end + 1) == QLatin1Char('_')))
                ++end;
            else
                break;
        }
        token.text = m_source.mid(m_pos, end - m_pos);
        token.end = m_pos = end;
        if (token.text == QLatin1String("true") || token.text == QLatin1String("false")) {
            token.type = T::Literal;
            token.value = token.text == QLatin1String("true");
        } else if (token.text == QLatin1String("null")) {
            token.type = T::Literal;
            token.value = nullptr;
        } else if (token.text == QLatin1String("and")) {
            token.type = T::And;
        } else if (token.text == QLatin1String("or")) {
            token.type = T::Or;
        } else if (token.text == QLatin1String("not")) {
            token.type = T::Not;
        } else {
            token.type = T::Ident;
        }
        return true;
    }

    bool number(Token &token, Failure &failure)
    {
        static const QRegularExpression shape(QStringLiteral("\\G\\d+(\\.\\d+)?([eE][+-]?\\d+)?"));
        const QRegularExpressionMatch m = shape.match(m_source, m_pos);
        const QString text = m.captured(0);
        token.type = T::Literal;
        token.text = text;
        if (m.captured(1).isEmpty() && m.captured(2).isEmpty()) {
            bool ok = false;
            const qint64 integer = text.toLongLong(&ok);
            if (ok)
                token.value = integer;
            else
                token.value = text.toDouble();
        } else {
            token.value = text.toDouble();
        }
        m_pos += text.size();
        token.end = m_pos;
        if (m_pos < m_source.size() && m_source.at(m_pos).isLetter()) {
            failure
                = {token.offset,
                   QStringLiteral("'%1' is not a number or a name").arg(text + m_source.at(m_pos))};
            return false;
        }
        return true;
    }

    bool string(Token &token, Failure &failure)
    {
        const QChar quote = m_source.at(m_pos);
        QString value;
        qsizetype i = m_pos + 1;
        while (i < m_source.size() && m_source.at(i) != quote) {
            QChar ch = m_source.at(i);
            if (ch == QLatin1Char('\\')) {
                if (i + 1 >= m_source.size())
                    break;
                const QChar escaped = m_source.at(i + 1);
                switch (escaped.unicode()) {
                case 'n':
                    ch = QLatin1Char('\n');
                    break;
                case 't':
                    ch = QLatin1Char('\t');
                    break;
                case 'r':
                    ch = QLatin1Char('\r');
                    break;
                case '\\':
                case '\'':
                case '"':
                case '/':
                    ch = escaped;
                    break;
                case 'u': {
                    bool ok = false;
                    const uint code = m_source.mid(i + 2, 4).toUInt(&ok, 16);
                    if (!ok || m_source.mid(i + 2, 4).size() != 4) {
                        failure = {i, QStringLiteral("'\\u' needs four hex digits")};
                        return false;
                    }
                    ch = QChar(char16_t(code));
                    i += 4;
                    break;
                }
                default:
                    failure = {i, QStringLiteral("unknown escape '\\%1' (use \\\\, \\', \\\", \\n, "
                                                 "\\t, \\r or \\uXXXX)")
                                      .arg(escaped)};
                    return false;
                }
                i += 2;
                value += ch;
                continue;
            }
            value += ch;
            ++i;
        }
        if (i >= m_source.size()) {
            failure = {m_pos, QStringLiteral("the string is not closed by %1").arg(quote)};
            return false;
        }
        token.type = T::Literal;
        token.value = value;
        m_pos = i + 1;
        token.end = m_pos;
        token.text = m_source.mid(token.offset, token.end - token.offset);
        return true;
    }

    const QString &m_source;
    qsizetype m_pos;
};

// ---- Parser ------------------------------------------------------------------------------

QString describeToken(const Token &token)
{
    switch (token.type) {
    case T::End:
        return QStringLiteral("the end");
    case T::Brace:
        return QStringLiteral("'}'");
    default:
        return QStringLiteral("'%1'").arg(token.text);
    }
}

class Parser
{
public:
    Parser(const QString &source, qsizetype begin, bool untilBrace,
           const QStringList &roots = kRoots)
        : m_source(source)
        , m_lexer(source, begin)
        , m_begin(begin)
        , m_untilBrace(untilBrace)
        , m_roots(roots)
    {}

    // The AST, or false with `failure` set.
    bool parse(NodePtr &root, qsizetype &end)
    {
        if (!advance())
            return false;
        if (m_token.type == (m_untilBrace ? T::Brace : T::End))
            return fail(m_token.offset, QStringLiteral("the expression is empty"));
        if (!ternary(root))
            return false;
        if (m_untilBrace && m_token.type == T::End)
            return fail(m_begin - 2, QStringLiteral("'${' is not closed by '}'"));
        if (m_token.type != (m_untilBrace ? T::Brace : T::End))
            return fail(m_token.offset,
                        QStringLiteral("unexpected %1 (expected an operator%2)")
                            .arg(describeToken(m_token),
                                 m_untilBrace ? QStringLiteral(" or '}'") : QString()));
        end = m_token.offset;
        return true;
    }

    Failure failure;

private:
    bool fail(qsizetype offset, const QString &message)
    {
        failure = {std::max<qsizetype>(0, offset), message};
        return false;
    }

    bool advance()
    {
        m_previousEnd = m_token.end;
        return m_lexer.next(m_token, failure);
    }

    std::shared_ptr<Node> make(Kind kind, qsizetype offset)
    {
        auto node = std::make_shared<Node>();
        node->kind = kind;
        position(offset, node->line, node->column);
        m_offsets[node.get()] = offset;
        return node;
    }

    // Sets the node's source text once it is complete.
    void finish(Node &node)
    {
        const qsizetype start = m_offsets.value(&node);
        node.text = m_source.mid(start, m_previousEnd - start).trimmed();
    }

    void position(qsizetype offset, int &line, int &column) const
    {
        line = 1;
        column = 1;
        for (qsizetype i = 0; i < offset && i < m_source.size(); ++i) {
            if (m_source.at(i) == QLatin1Char('\n')) {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
    }

    bool ternary(NodePtr &out)
    {
        const qsizetype start = m_token.offset;
        NodePtr condition;
        if (!binary(condition, 0))
            return false;
        if (m_token.type != T::Question) {
            out = condition;
            return true;
        }
        if (!advance())
            return false;
        NodePtr then;
        if (!ternary(then))
            return false;
        if (m_token.type != T::Colon)
            return fail(
                m_token.offset,
                QStringLiteral("expected ':' of '? :', got %1").arg(describeToken(m_token)));
        if (!advance())
            return false;
        NodePtr otherwise;
        if (!ternary(otherwise))
            return false;
        auto node = make(Kind::Conditional, start);
        node->children = {condition, then, otherwise};
        finish(*node);
        out = node;
        return true;
    }

    // Precedence levels: 0 or, 1 and, 2 equality, 3 comparison.
    static int level(T type)
    {
        switch (type) {
        case T::Or:
            return 0;
        case T::And:
            return 1;
        case T::Eq:
        case T::Ne:
            return 2;
        case T::Lt:
        case T::Le:
        case T::Gt:
        case T::Ge:
            return 3;
        default:
            return -1;
        }
    }

    static Op opOf(T type)
    {
        switch (type) {
        case T::Or:
            return Op::Or;
        case T::And:
            return Op::And;
        case T::Eq:
            return Op::Eq;
        case T::Ne:
            return Op::Ne;
        case T::Lt:
            return Op::Lt;
        case T::Le:
            return Op::Le;
        case T::Gt:
            return Op::Gt;
        default:
            return Op::Ge;
        }
    }

    bool binary(NodePtr &out, int minLevel)
    {
        const qsizetype start = m_token.offset;
        NodePtr left;
        if (minLevel > 3) {
            return unary(out);
        }
        if (!binary(left, minLevel + 1))
            return false;
        while (level(m_token.type) == minLevel) {
            const Op op = opOf(m_token.type);
            if (!advance())
                return false;
            NodePtr right;
            if (!binary(right, minLevel + 1))
                return false;
            auto node = make(Kind::Binary, start);
            node->op = op;
            node->children = {left, right};
            finish(*node);
            left = node;
        }
        out = left;
        return true;
    }

    bool unary(NodePtr &out)
    {
        if (m_token.type == T::Not || m_token.type == T::Minus) {
            const qsizetype start = m_token.offset;
            const Kind kind = m_token.type == T::Not ? Kind::Not : Kind::Negate;
            if (!advance())
                return false;
            NodePtr operand;
            if (!unary(operand))
                return false;
            auto node = make(kind, start);
            node->children = {operand};
            finish(*node);
            out = node;
            return true;
        }
        return postfix(out);
    }

    bool postfix(NodePtr &out)
    {
        const qsizetype start = m_token.offset;
        NodePtr base;
        if (!primary(base))
            return false;
        for (;;) {
            if (m_token.type == T::Dot) {
                if (!advance())
                    return false;
                // Any word is a key after '.', keywords included (steps.x.not).
                const bool word = m_token.type == T::Ident || m_token.type == T::And
                                  || m_token.type == T::Or || m_token.type == T::Not
                                  || (m_token.type == T::Literal && !m_token.text.isEmpty()
                                      && m_token.text.at(0).isLetter());
                if (!word)
                    return fail(m_token.offset, QStringLiteral("expected a name after '.', got %1")
                                                    .arg(describeToken(m_token)));
                auto node = make(Kind::Member, start);
                node->name = m_token.text;
                node->key = m_token.text.toStdString();
                node->children = {base};
                if (!advance())
                    return false;
                finish(*node);
                base = node;
            } else if (m_token.type == T::LBracket) {
                if (!advance())
                    return false;
                NodePtr index;
                if (!ternary(index))
                    return false;
                if (m_token.type != T::RBracket)
                    return fail(m_token.offset,
                                QStringLiteral("expected ']', got %1").arg(describeToken(m_token)));
                if (!advance())
                    return false;
                auto node = make(Kind::Index, start);
                node->children = {base, index};
                finish(*node);
                base = node;
            } else {
                out = base;
                return true;
            }
        }
    }

    bool primary(NodePtr &out)
    {
        const Token token = m_token;
        switch (token.type) {
        case T::Literal: {
            auto node = make(Kind::Literal, token.offset);
            node->literal = token.value;
            if (!advance())
                return false;
            finish(*node);
            out = node;
            return true;
        }
        case T::LParen: {
            if (!advance())
                return false;
            NodePtr inner;
            if (!ternary(inner))
                return false;
            if (m_token.type != T::RParen)
                return fail(m_token.offset,
                            QStringLiteral("expected ')', got %1").arg(describeToken(m_token)));
            if (!advance())
                return false;
            out = inner;
            return true;
        }
        case T::Ident: {
            if (!advance())
                return false;
            if (m_token.type == T::LParen)
                return call(token, out);
            if (!m_roots.contains(token.text)) {
                const FunctionSpec *function = findFunction(token.text);
                const QString known
                    = &m_roots == &kRoots
                          ? QStringLiteral("paths start with steps, params, task, run or "
                                           "event; now and date are values")
                          : QStringLiteral("names here: ") + m_roots.join(QStringLiteral(", "));
                return fail(
                    token.offset,
                    function ? QStringLiteral("%1 is a function: call it as %1(…)").arg(token.text)
                             : QStringLiteral("unknown name '%1' (%2)%3")
                                   .arg(token.text, known, suggestion(token.text, m_roots)));
            }
            auto node = make(Kind::Root, token.offset);
            node->name = token.text;
            node->key = token.text.toStdString();
            finish(*node);
            out = node;
            return true;
        }
        default:
            return fail(token.offset,
                        QStringLiteral("expected a value, got %1").arg(describeToken(token)));
        }
    }

    bool call(const Token &name, NodePtr &out)
    {
        const FunctionSpec *spec = findFunction(name.text);
        if (!spec)
            return fail(name.offset,
                        QStringLiteral("unknown function '%1'%2")
                            .arg(name.text, suggestion(name.text, Expression::functionNames())));
        auto node = make(Kind::Call, name.offset);
        node->name = name.text;
        if (!advance()) // past '('
            return false;
        if (m_token.type != T::RParen) {
            for (;;) {
                NodePtr argument;
                if (!ternary(argument))
                    return false;
                node->children.push_back(argument);
                if (m_token.type == T::Comma) {
                    if (!advance())
                        return false;
                    continue;
                }
                if (m_token.type == T::RParen)
                    break;
                return fail(
                    m_token.offset,
                    QStringLiteral("expected ',' or ')', got %1").arg(describeToken(m_token)));
            }
        }
        if (!advance()) // past ')'
            return false;
        const int count = static_cast<int>(node->children.size());
        if (count < spec->minArgs || (spec->maxArgs >= 0 && count > spec->maxArgs)) {
            const QString expected
                = spec->minArgs == spec->maxArgs ? QString::number(spec->minArgs)
                  : spec->maxArgs < 0
                      ? QStringLiteral("at least %1").arg(spec->minArgs)
                      : QStringLiteral("%1 or %2").arg(spec->minArgs).arg(spec->maxArgs);
            return fail(name.offset, QStringLiteral("%1() takes %2 argument(s), got %3")
                                         .arg(name.text, expected)
                                         .arg(count));
        }
        finish(*node);
        out = node;
        return true;
    }

    const QString &m_source;
    Lexer m_lexer;
    qsizetype m_begin;
    bool m_untilBrace;
    const QStringList &m_roots;
    Token m_token;
    qsizetype m_previousEnd = 0;
    QHash<const Node *, qsizetype> m_offsets;
};

// ---- Evaluation --------------------------------------------------------------------------

QString typeName(const Json &value)
{
    return jsonTypeName(value);
}

QString keysOf(const Json &node)
{
    QStringList keys;
    for (const auto &[key, value] : node.items()) {
        keys << qs(key);
        if (keys.size() == 10) {
            keys << QStringLiteral("…");
            break;
        }
    }
    return keys.isEmpty() ? QStringLiteral("nothing") : keys.join(QStringLiteral(", "));
}

bool jsonEqual(const Json &a, const Json &b)
{
    if (a.is_number() && b.is_number()) {
        if (a.is_number_integer() && b.is_number_integer())
            return a.get<qint64>() == b.get<qint64>();
        return a.get<double>() == b.get<double>();
    }
    if (a.is_array() && b.is_array()) {
        if (a.size() != b.size())
            return false;
        for (size_t i = 0; i < a.size(); ++i) {
            if (!jsonEqual(a[i], b[i]))
                return false;
        }
        return true;
    }
    if (a.is_object() && b.is_object()) {
        if (a.size() != b.size())
            return false;
        for (const auto &[key, value] : a.items()) {
            const auto it = b.find(key);
            if (it == b.end() || !jsonEqual(value, *it))
                return false;
        }
        return true;
    }
    return a == b;
}

// A number that is whole and in range becomes an integer, so 2.0 prints as 2.
Json number(double value)
{
    if (std::isfinite(value) && std::floor(value) == value
        && std::abs(value) < 9007199254740992.0) // 2^53
        return static_cast<qint64>(value);
    return value;
}

std::optional<QDateTime> instantOf(const Json &value)
{
    if (value.is_string())
        return parseInstant(value.get<QString>());
    if (value.is_number())
        return QDateTime::fromMSecsSinceEpoch(value.get<qint64>(), Qt::UTC);
    return std::nullopt;
}

// ISO 8601 durations ("PT2H30M", "P1DT12H", "-PT15M", "P2W"; days are 24 hours) or seconds.
std::optional<double> secondsOf(const Json &value)
{
    if (value.is_number())
        return value.get<double>();
    if (!value.is_string())
        return std::nullopt;
    static const QRegularExpression shape(
        QStringLiteral("^([-+])?P(?:(\\d+)W)?(?:(\\d+)D)?(?:T(?:(\\d+)H)?(?:(\\d+)M)?(?:(\\d+(?:\\."
                       "\\d+)?)S)?)?$"));
    const QString text = value.get<QString>().trimmed().toUpper();
    const QRegularExpressionMatch m = shape.match(text);
    if (!m.hasMatch() || text.endsWith(QLatin1Char('P')) || text.endsWith(QLatin1Char('T')))
        return std::nullopt;
    const double seconds = m.captured(2).toDouble() * 7 * 86400 + m.captured(3).toDouble() * 86400
                           + m.captured(4).toDouble() * 3600 + m.captured(5).toDouble() * 60
                           + m.captured(6).toDouble();
    return m.captured(1) == QLatin1String("-") ? -seconds : seconds;
}

class Evaluator
{
public:
    explicit Evaluator(const Json &scope)
        : m_scope(scope)
    {}

    // Missing values are reported with ErrorCode::NotFound so default() can tell them apart.
    Result<Json> eval(const Node &node)
    {
        switch (node.kind) {
        case Kind::Literal:
            return node.literal;
        case Kind::Root:
        case Kind::Member:
        case Kind::Index: {
            Json holder;
            Result<const Json *> found = resolve(node, holder);
            if (!found)
                return found.error();
            return **found;
        }
        case Kind::Call:
            return call(node);
        case Kind::Not: {
            Result<Json> operand = eval(*node.children[0]);
            if (!operand)
                return operand;
            return Json(!Expression::truthy(*operand));
        }
        case Kind::Negate: {
            Result<Json> operand = eval(*node.children[0]);
            if (!operand)
                return operand;
            if (!operand->is_number())
                return fail(node,
                            QStringLiteral("'-' needs a number, got %1").arg(typeName(*operand)));
            if (operand->is_number_integer())
                return Json(-operand->get<qint64>());
            return Json(-operand->get<double>());
        }
        case Kind::Binary:
            return binary(node);
        case Kind::Conditional: {
            Result<Json> condition = eval(*node.children[0]);
            if (!condition)
                return condition;
            return eval(*node.children[Expression::truthy(*condition) ? 1 : 2]);
        }
        }
        return Json();
    }

private:
    static Error fail(const Node &node, const QString &message,
                      ErrorCode code = ErrorCode::InvalidArgument)
    {
        return Error{
            code, QStringLiteral("%1:%2: %3").arg(node.line).arg(node.column).arg(message), {}};
    }

    // A path's value without copying what it points into. Computed values live in `holder`.
    Result<const Json *> resolve(const Node &node, Json &holder)
    {
        if (node.kind == Kind::Root) {
            const auto it = m_scope.find(node.key);
            if (it == m_scope.end()) {
                const QString why = node.name == QLatin1String("event")
                                        ? QStringLiteral(" (the run was not started by an event)")
                                        : QString();
                return fail(
                    node, QStringLiteral("'%1' is not available in this run%2").arg(node.name, why),
                    ErrorCode::NotFound);
            }
            return &*it;
        }
        if (node.kind != Kind::Member && node.kind != Kind::Index) {
            Result<Json> value = eval(node);
            if (!value)
                return value.error();
            holder = std::move(*value);
            return &holder;
        }
        const Node &baseNode = *node.children[0];
        Json baseHolder;
        Result<const Json *> base = resolve(baseNode, baseHolder);
        if (!base)
            return base;
        const Json &container = **base;
        // A computed base lives in `baseHolder`, which ends here: keep a copy of the part.
        const bool computed = *base == &baseHolder;
        auto pick = [&](const Json *found) -> Result<const Json *> {
            if (!computed)
                return found;
            holder = *found;
            return &holder;
        };
        if (node.kind == Kind::Member) {
            if (!container.is_object())
                return fail(node,
                            QStringLiteral("%1 is %2, so it has no '%3'")
                                .arg(baseNode.text, typeName(container), node.name),
                            container.is_null() ? ErrorCode::NotFound : ErrorCode::InvalidArgument);
            const auto it = container.find(node.key);
            if (it == container.end())
                return fail(node,
                            QStringLiteral("%1 does not exist (%2 has: %3)")
                                .arg(node.text, baseNode.text, keysOf(container)),
                            ErrorCode::NotFound);
            return pick(&*it);
        }
        Result<Json> index = eval(*node.children[1]);
        if (!index)
            return index.error();
        if (container.is_array() && index->is_number_integer()) {
            qint64 i = index->get<qint64>();
            const qint64 size = static_cast<qint64>(container.size());
            if (i < 0)
                i += size; // [-1] is the last item
            if (i < 0 || i >= size)
                return fail(node,
                            QStringLiteral("%1 has %2 item(s), no [%3]")
                                .arg(baseNode.text)
                                .arg(size)
                                .arg(index->get<qint64>()),
                            ErrorCode::NotFound);
            return pick(&container[static_cast<size_t>(i)]);
        }
        if (container.is_object() && index->is_string()) {
            const auto it = container.find(index->get<std::string>());
            if (it == container.end())
                return fail(node,
                            QStringLiteral("%1 does not exist (%2 has: %3)")
                                .arg(node.text, baseNode.text, keysOf(container)),
                            ErrorCode::NotFound);
            return pick(&*it);
        }
        return fail(node, QStringLiteral("cannot index %1 (%2) with %3")
                              .arg(baseNode.text, typeName(container), typeName(*index)));
    }

    Result<Json> binary(const Node &node)
    {
        Result<Json> left = eval(*node.children[0]);
        if (!left)
            return left;
        // && and || short-circuit.
        if (node.op == Op::And && !Expression::truthy(*left))
            return Json(false);
        if (node.op == Op::Or && Expression::truthy(*left))
            return Json(true);
        Result<Json> right = eval(*node.children[1]);
        if (!right)
            return right;
        switch (node.op) {
        case Op::And:
        case Op::Or:
            return Json(Expression::truthy(*right));
        case Op::Eq:
            return Json(jsonEqual(*left, *right));
        case Op::Ne:
            return Json(!jsonEqual(*left, *right));
        default:
            break;
        }
        int order = 0;
        if (left->is_number() && right->is_number()) {
            const double a = left->get<double>();
            const double b = right->get<double>();
            order = a < b ? -1 : (a > b ? 1 : 0);
        } else if (left->is_string() && right->is_string()) {
            order = QString::compare(left->get<QString>(), right->get<QString>());
        } else {
            return fail(node, QStringLiteral("cannot compare %1 with %2 (both must be numbers or "
                                             "both strings)")
                                  .arg(typeName(*left), typeName(*right)));
        }
        switch (node.op) {
        case Op::Lt:
            return Json(order < 0);
        case Op::Le:
            return Json(order <= 0);
        case Op::Gt:
            return Json(order > 0);
        default:
            return Json(order >= 0);
        }
    }

    Result<Json> call(const Node &node)
    {
        const QString &name = node.name;
        const auto &args = node.children;
        // Lazy functions first: only the branch taken is evaluated.
        if (name == QLatin1String("if")) {
            Result<Json> condition = eval(*args[0]);
            if (!condition)
                return condition;
            return eval(*args[Expression::truthy(*condition) ? 1 : 2]);
        }
        if (name == QLatin1String("default")) {
            Result<Json> value = eval(*args[0]);
            if (value && !value->is_null())
                return value;
            if (!value && value.error().code != ErrorCode::NotFound)
                return value;
            return eval(*args[1]);
        }
        std::vector<Json> values;
        values.reserve(args.size());
        for (const NodePtr &arg : args) {
            Result<Json> value = eval(*arg);
            if (!value)
                return value;
            values.push_back(std::move(*value));
        }
        auto needString = [&](size_t i) -> std::optional<Error> {
            if (values[i].is_string())
                return std::nullopt;
            return fail(
                *args[i],
                QStringLiteral("%1() needs a string here, got %2").arg(name, typeName(values[i])));
        };
        auto str = [&](size_t i) { return values[i].get<QString>(); };

        if (name == QLatin1String("len")) {
            const Json &v = values[0];
            if (v.is_string())
                return Json(static_cast<qint64>(str(0).toUcs4().size()));
            if (v.is_array() || v.is_object())
                return Json(static_cast<qint64>(v.size()));
            return fail(
                *args[0],
                QStringLiteral("len() needs a string, array or object, got %1").arg(typeName(v)));
        }
        if (name == QLatin1String("contains")) {
            const Json &hay = values[0];
            if (hay.is_string()) {
                if (auto e = needString(1))
                    return *e;
                return Json(str(0).contains(str(1)));
            }
            if (hay.is_array())
                return Json(std::any_of(hay.begin(), hay.end(), [&](const Json &item) {
                    return jsonEqual(item, values[1]);
                }));
            if (hay.is_object()) {
                if (auto e = needString(1))
                    return *e;
                return Json(hay.contains(values[1].get<std::string>()));
            }
            return fail(*args[0],
                        QStringLiteral("contains() needs a string, array or object, got %1")
                            .arg(typeName(hay)));
        }
        if (name == QLatin1String("startsWith") || name == QLatin1String("endsWith")) {
            for (size_t i = 0; i < 2; ++i) {
                if (auto e = needString(i))
                    return *e;
            }
            return Json(name == QLatin1String("startsWith") ? str(0).startsWith(str(1))
                                                            : str(0).endsWith(str(1)));
        }
        if (name == QLatin1String("lower") || name == QLatin1String("upper")
            || name == QLatin1String("trim")) {
            if (auto e = needString(0))
                return *e;
            if (name == QLatin1String("lower"))
                return Json(str(0).toLower());
            if (name == QLatin1String("upper"))
                return Json(str(0).toUpper());
            return Json(str(0).trimmed());
        }
        if (name == QLatin1String("join")) {
            if (!values[0].is_array())
                return fail(
                    *args[0],
                    QStringLiteral("join() needs an array, got %1").arg(typeName(values[0])));
            QString separator = QStringLiteral(",");
            if (values.size() > 1) {
                if (auto e = needString(1))
                    return *e;
                separator = str(1);
            }
            QStringList parts;
            for (const Json &item : values[0])
                parts << Expression::stringify(item);
            return Json(parts.join(separator));
        }
        if (name == QLatin1String("split")) {
            for (size_t i = 0; i < 2; ++i) {
                if (auto e = needString(i))
                    return *e;
            }
            Json out = Json::array();
            if (str(1).isEmpty()) {
                for (const char32_t c : str(0).toUcs4())
                    out.push_back(QString::fromUcs4(&c, 1));
            } else {
                for (const QString &part : str(0).split(str(1)))
                    out.push_back(part);
            }
            return out;
        }
        if (name == QLatin1String("json"))
            return Json(QString::fromUtf8(dumpJson(values[0])));
        if (name == QLatin1String("fromJson")) {
            if (auto e = needString(0))
                return *e;
            try {
                return Json::parse(values[0].get<std::string>());
            } catch (const Json::exception &error) {
                return fail(*args[0], QStringLiteral("fromJson(): not valid JSON: %1")
                                          .arg(QString::fromUtf8(error.what())));
            }
        }
        if (name == QLatin1String("round")) {
            if (!values[0].is_number())
                return fail(
                    *args[0],
                    QStringLiteral("round() needs a number, got %1").arg(typeName(values[0])));
            int digits = 0;
            if (values.size() > 1) {
                if (!values[1].is_number_integer() || values[1].get<qint64>() < 0
                    || values[1].get<qint64>() > 15)
                    return fail(*args[1], QStringLiteral("round() takes 0 to 15 decimal digits"));
                digits = values[1].get<int>();
            }
            const double scale = std::pow(10.0, digits);
            return number(std::round(values[0].get<double>() * scale) / scale);
        }
        if (name == QLatin1String("min") || name == QLatin1String("max")) {
            std::vector<Json> items = values;
            if (items.size() == 1 && items[0].is_array())
                items = std::vector<Json>(items[0].begin(), items[0].end());
            if (items.empty())
                return fail(node, QStringLiteral("%1() of an empty array").arg(name));
            const Json *best = nullptr;
            for (const Json &item : items) {
                if (!item.is_number())
                    return fail(
                        node,
                        QStringLiteral("%1() needs numbers, got %2").arg(name, typeName(item)));
                if (!best
                    || (name == QLatin1String("min") ? item.get<double>() < best->get<double>()
                                                     : item.get<double>() > best->get<double>()))
                    best = &item;
            }
            return *best;
        }
        if (name == QLatin1String("formatDate")) {
            const auto instant = instantOf(values[0]);
            if (!instant)
                return fail(*args[0], QStringLiteral("formatDate() needs an ISO 8601 instant or "
                                                     "Unix milliseconds, got %1")
                                          .arg(Expression::stringify(values[0])));
            if (auto e = needString(1))
                return *e;
            QString zoneName = QStringLiteral("UTC");
            if (values.size() > 2) {
                if (auto e = needString(2))
                    return *e;
                zoneName = str(2);
            } else if (const auto task = m_scope.find("task");
                       task != m_scope.end() && task->is_object() && task->contains("timezone")
                       && (*task)["timezone"].is_string()) {
                zoneName = (*task)["timezone"].get<QString>();
            }
            const QTimeZone zone(zoneName.toUtf8());
            if (!zone.isValid())
                return fail(*args[values.size() > 2 ? 2 : 0],
                            QStringLiteral("'%1' is not an IANA time zone").arg(zoneName));
            return Json(instant->toTimeZone(zone).toString(str(1)));
        }
        if (name == QLatin1String("addDuration")) {
            const auto instant = instantOf(values[0]);
            if (!instant)
                return fail(*args[0], QStringLiteral("addDuration() needs an ISO 8601 instant or "
                                                     "Unix milliseconds, got %1")
                                          .arg(Expression::stringify(values[0])));
            const auto seconds = secondsOf(values[1]);
            if (!seconds)
                return fail(*args[1],
                            QStringLiteral("addDuration() needs seconds or an ISO 8601 "
                                           "duration like \"PT2H30M\" or \"-P1D\", got %1")
                                .arg(Expression::stringify(values[1])));
            return Json(formatInstant(instant->addMSecs(qint64(std::llround(*seconds * 1000)))));
        }
        return fail(node, QStringLiteral("unknown function '%1'").arg(name));
    }

    const Json &m_scope;
};

void collectReferences(const Node &node, std::vector<PathReference> &out, bool optional = false)
{
    if (node.kind == Kind::Root || node.kind == Kind::Member || node.kind == Kind::Index) {
        // The static prefix of the path: roots, member names and literal indexes.
        std::vector<const Node *> chain;
        const Node *cursor = &node;
        while (cursor->kind == Kind::Member || cursor->kind == Kind::Index) {
            chain.push_back(cursor);
            cursor = cursor->children[0].get();
        }
        if (cursor->kind == Kind::Root) {
            PathReference reference;
            reference.optional = optional;
            reference.segments << cursor->name;
            reference.text = cursor->name;
            reference.line = cursor->line;
            reference.column = cursor->column;
            for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
                const Node &link = **it;
                if (link.kind == Kind::Member) {
                    reference.segments << link.name;
                } else if (link.children[1]->kind == Kind::Literal
                           && (link.children[1]->literal.is_number_integer()
                               || link.children[1]->literal.is_string())) {
                    reference.segments << Expression::stringify(link.children[1]->literal);
                } else {
                    break;
                }
                reference.text = link.text;
            }
            out.push_back(reference);
        } else {
            collectReferences(*cursor, out, optional);
        }
        // Computed indexes may hold paths of their own.
        for (const Node *link : chain) {
            if (link->kind == Kind::Index)
                collectReferences(*link->children[1], out, optional);
        }
        return;
    }
    const bool isDefault = node.kind == Kind::Call && node.name == QLatin1String("default");
    for (size_t i = 0; i < node.children.size(); ++i)
        collectReferences(*node.children[i], out, optional || (isDefault && i == 0));
}

} // namespace

Expression::Expression(std::shared_ptr<const expression::Node> root, QString text)
    : m_root(std::move(root))
    , m_text(std::move(text))
{}

Result<Expression> Expression::parse(const QString &source, qsizetype begin, bool untilBrace,
                                     qsizetype *end)
{
    return parse(source, begin, untilBrace, kRoots, end);
}

Result<Expression> Expression::parse(const QString &source, qsizetype begin, bool untilBrace,
                                     const QStringList &roots, qsizetype *end)
{
    Parser parser(source, begin, untilBrace, roots);
    NodePtr root;
    qsizetype stop = 0;
    if (!parser.parse(root, stop)) {
        int line = 1;
        int column = 1;
        for (qsizetype i = 0; i < parser.failure.offset && i < source.size(); ++i) {
            if (source.at(i) == QLatin1Char('\n')) {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        return Error::invalid(
            QString(),
            QStringLiteral("%1:%2: %3").arg(line).arg(column).arg(parser.failure.message));
    }
    if (end)
        *end = stop;
    return Expression(root, source.mid(begin, stop - begin).trimmed());
}

Result<Expression> Expression::parse(const QString &text)
{
    return parse(text, 0, false);
}

Result<Expression> Expression::parseWithRoots(const QString &text, const QStringList &roots)
{
    return parse(text, 0, false, roots, nullptr);
}

Result<Json> Expression::evaluate(const Json &scope) const
{
    Result<Json> value = Evaluator(scope).eval(*m_root);
    if (!value)
        return Error::invalid(QString(), value.error().message);
    return value;
}

std::vector<PathReference> Expression::references() const
{
    std::vector<PathReference> out;
    collectReferences(*m_root, out);
    return out;
}

QStringList Expression::functionNames()
{
    QStringList names;
    for (const FunctionSpec &spec : kFunctions)
        names << QString::fromLatin1(spec.name);
    return names;
}

QString Expression::stringify(const Json &value)
{
    if (value.is_string())
        return value.get<QString>();
    if (value.is_null())
        return QString();
    return QString::fromUtf8(dumpJson(value));
}

bool Expression::truthy(const Json &value)
{
    if (value.is_null())
        return false;
    if (value.is_boolean())
        return value.get<bool>();
    if (value.is_number())
        return value.get<double>() != 0.0;
    if (value.is_string() || value.is_array() || value.is_object())
        return !value.empty() && !(value.is_string() && value.get<std::string>().empty());
    return true;
}

} // namespace ordinaut
