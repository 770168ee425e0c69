// JSON-RPC 2.0 as MCP reads it: requests, notifications and responses are told apart; a text
// that is not JSON is -32700; a message that is not JSON-RPC 2.0 is -32600 saying what is wrong
// (and keeping the id when there is one); batches only where allowed, never empty or huge;
// oversized and deeply nested texts are refused before they are parsed.
#include "api/mcp/JsonRpc.h"

#include <QTest>

using namespace ordinaut;
using namespace ordinaut::mcp;

namespace {

RpcError errorOf(const QByteArray &text, bool allowBatch = false)
{
    std::variant<Incoming, RpcError> read = JsonRpc::read(text, allowBatch);
    if (!std::holds_alternative<RpcError>(read))
        return RpcError{0, QStringLiteral("(read without an error)"), Json(), nullptr};
    return std::get<RpcError>(read);
}

Incoming incomingOf(const QByteArray &text, bool allowBatch = false)
{
    std::variant<Incoming, RpcError> read = JsonRpc::read(text, allowBatch);
    if (std::holds_alternative<RpcError>(read)) {
        qWarning("%s", qPrintable(std::get<RpcError>(read).message));
        return {};
    }
    return std::get<Incoming>(read);
}

} // namespace

class tst_JsonRpc final : public QObject
{
    Q_OBJECT

private slots:
    void requestsNotificationsAndResponsesAreToldApart();
    void malformedMessagesAreRefused_data();
    void malformedMessagesAreRefused();
    void batchesOnlyWhereAllowed();
    void oversizedAndDeepTextsAreRefusedUnparsed();
    void answersAreWellFormed();
};

void tst_JsonRpc::requestsNotificationsAndResponsesAreToldApart()
{
    Incoming request = incomingOf(
        R"({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {"cursor": "x"}})");
    QCOMPARE(int(request.messages.size()), 1);
    QVERIFY(!request.batch);
    const Message &m = request.messages.front();
    QVERIFY(m.kind == Message::Kind::Request);
    QVERIFY2(m.id == Json(7), m.id.dump().c_str());
    QCOMPARE(m.method, QStringLiteral("tools/list"));
    QVERIFY(m.params["cursor"] == "x");

    Incoming named = incomingOf(R"({"jsonrpc": "2.0", "id": "abc", "method": "ping"})");
    QVERIFY(named.messages.front().id == "abc");
    QVERIFY(named.messages.front().params.is_null());

    Incoming note = incomingOf(R"({"jsonrpc": "2.0", "method": "notifications/initialized"})");
    QVERIFY(note.messages.front().kind == Message::Kind::Notification);

    Incoming ok = incomingOf(R"({"jsonrpc": "2.0", "id": 3, "result": {"roots": []}})");
    QVERIFY(ok.messages.front().kind == Message::Kind::Response);
    QVERIFY(ok.messages.front().result.contains("roots"));
    QVERIFY(!ok.messages.front().error);

    Incoming failed
        = incomingOf(R"({"jsonrpc": "2.0", "id": 4, "error": {"code": -32601, "message": "no"}})");
    QVERIFY(failed.messages.front().error);
    QCOMPARE(failed.messages.front().error->code, -32601);
}

void tst_JsonRpc::malformedMessagesAreRefused_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("says");
    QTest::addColumn<QByteArray>("id"); // the id the error keeps, as JSON
    QTest::newRow("not JSON") << QByteArray("{\"jsonrpc\": ") << rpc::kParseError
                              << QStringLiteral("not valid JSON") << QByteArray("null");
    QTest::newRow("empty") << QByteArray("") << rpc::kParseError << QStringLiteral("not valid JSON")
                           << QByteArray("null");
    QTest::newRow("a number") << QByteArray("42") << rpc::kInvalidRequest
                              << QStringLiteral("is an object") << QByteArray("null");
    QTest::newRow("no version") << QByteArray(R"({"id": 1, "method": "ping"})")
                                << rpc::kInvalidRequest << QStringLiteral("'jsonrpc'")
                                << QByteArray("1");
    QTest::newRow("version 1") << QByteArray(R"({"jsonrpc": "1.0", "id": 1, "method": "ping"})")
                               << rpc::kInvalidRequest << QStringLiteral("\"2.0\"")
                               << QByteArray("1");
    QTest::newRow("null id") << QByteArray(R"({"jsonrpc": "2.0", "id": null, "method": "ping"})")
                             << rpc::kInvalidRequest << QStringLiteral("no null id")
                             << QByteArray("null");
    QTest::newRow("object id") << QByteArray(
        R"({"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"})")
                               << rpc::kInvalidRequest << QStringLiteral("'id' must be")
                               << QByteArray("null");
    QTest::newRow("fractional id")
        << QByteArray(R"({"jsonrpc": "2.0", "id": 1.5, "method": "ping"})") << rpc::kInvalidRequest
        << QStringLiteral("'id' must be") << QByteArray("null");
    QTest::newRow("method a number")
        << QByteArray(R"({"jsonrpc": "2.0", "id": 2, "method": 5})") << rpc::kInvalidRequest
        << QStringLiteral("'method'") << QByteArray("2");
    QTest::newRow("params a string")
        << QByteArray(R"({"jsonrpc": "2.0", "id": 2, "method": "ping", "params": "x"})")
        << rpc::kInvalidRequest << QStringLiteral("'params'") << QByteArray("2");
    QTest::newRow("unknown member")
        << QByteArray(R"({"jsonrpc": "2.0", "id": 2, "method": "ping", "extra": 1})")
        << rpc::kInvalidRequest << QStringLiteral("'extra'") << QByteArray("2");
    QTest::newRow("request with result")
        << QByteArray(R"({"jsonrpc": "2.0", "id": 2, "method": "ping", "result": {}})")
        << rpc::kInvalidRequest << QStringLiteral("no 'result'") << QByteArray("2");
    QTest::newRow("response without id")
        << QByteArray(R"({"jsonrpc": "2.0", "result": {}})") << rpc::kInvalidRequest
        << QStringLiteral("needs 'id'") << QByteArray("null");
    QTest::newRow("result and error")
        << QByteArray(R"({"jsonrpc": "2.0", "id": 9, "result": {}, "error": {}})")
        << rpc::kInvalidRequest << QStringLiteral("either") << QByteArray("9");
    QTest::newRow("error without code")
        << QByteArray(R"({"jsonrpc": "2.0", "id": 9, "error": {"message": "x"}})")
        << rpc::kInvalidRequest << QStringLiteral("integer 'code'") << QByteArray("9");
}

void tst_JsonRpc::malformedMessagesAreRefused()
{
    QFETCH(QByteArray, text);
    QFETCH(int, code);
    QFETCH(QString, says);
    QFETCH(QByteArray, id);
    const RpcError error = errorOf(text);
    QCOMPARE(error.code, code);
    QVERIFY2(error.message.contains(says), qPrintable(error.message));
    QVERIFY2(error.id == Json::parse(id.toStdString()), error.id.dump().c_str());
    // The answer to it is a well-formed JSON-RPC error with that id.
    const Json answer = JsonRpc::error(error);
    QVERIFY(answer["jsonrpc"] == "2.0");
    QVERIFY(answer["id"] == error.id);
    QCOMPARE(answer["error"]["code"].get<int>(), code);
}

void tst_JsonRpc::batchesOnlyWhereAllowed()
{
    const QByteArray batch = R"([{"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                 {"jsonrpc": "2.0", "method": "notifications/initialized"}])";
    const RpcError refused = errorOf(batch, false);
    QCOMPARE(refused.code, rpc::kInvalidRequest);
    QVERIFY2(refused.message.contains(QLatin1String("batches")), qPrintable(refused.message));
    const Incoming allowed = incomingOf(batch, true);
    QVERIFY(allowed.batch);
    QCOMPARE(int(allowed.messages.size()), 2);
    QVERIFY(allowed.messages[1].kind == Message::Kind::Notification);

    QCOMPARE(errorOf("[]", true).code, rpc::kInvalidRequest);
    QByteArray many = "[";
    for (int i = 0; i <= JsonRpc::kMaxBatch; ++i)
        many += (i ? "," : "") + QByteArray(R"({"jsonrpc": "2.0", "method": "n"})");
    many += "]";
    QVERIFY(errorOf(many, true).message.contains(QLatin1String("limit")));
    // A bad member is answered on its own, naming what is wrong; the others go on.
    const Incoming mixed = incomingOf(
        R"([{"jsonrpc": "2.0", "id": 1, "method": "ping"}, 5, {"jsonrpc": "1.0", "id": 7}])", true);
    QCOMPARE(int(mixed.messages.size()), 1);
    QCOMPARE(int(mixed.invalid.size()), 2);
    QCOMPARE(mixed.invalid[0].code, rpc::kInvalidRequest);
    QVERIFY(mixed.invalid[1].id == 7);
    // A batch with no valid member is refused as a whole.
    QCOMPARE(errorOf(R"([5, "x"])", true).code, rpc::kInvalidRequest);
}

void tst_JsonRpc::oversizedAndDeepTextsAreRefusedUnparsed()
{
    const QByteArray big = R"({"jsonrpc": "2.0", "method": "n", "params": {"x": ")"
                           + QByteArray(JsonRpc::kMaxMessageBytes, 'a') + R"("}})";
    const RpcError tooBig = errorOf(big);
    QCOMPARE(tooBig.code, rpc::kInvalidRequest);
    QVERIFY2(tooBig.message.contains(QLatin1String("limit")), qPrintable(tooBig.message));
    QByteArray deep = R"({"jsonrpc": "2.0", "method": "n", "params": )";
    for (int i = 0; i < 500; ++i)
        deep += "[";
    for (int i = 0; i < 500; ++i)
        deep += "]";
    deep += "}";
    const RpcError tooDeep = errorOf(deep);
    QCOMPARE(tooDeep.code, rpc::kInvalidRequest);
    QVERIFY2(tooDeep.message.contains(QLatin1String("nested")), qPrintable(tooDeep.message));
}

void tst_JsonRpc::answersAreWellFormed()
{
    const Json ok = JsonRpc::result(Json("a1"), Json{{"tools", Json::array()}});
    QVERIFY(ok == Json::parse(R"({"jsonrpc": "2.0", "id": "a1", "result": {"tools": []}})"));
    const Json failed = JsonRpc::error(RpcError{
        rpc::kInvalidParams, QStringLiteral("name: required"), Json{{"field", "name"}}, 5});
    QVERIFY(failed == Json::parse(R"({"jsonrpc": "2.0", "id": 5, "error": {"code": -32602,
        "message": "name: required", "data": {"field": "name"}}})"));
    const Json note
        = JsonRpc::notification(QStringLiteral("notifications/tools/list_changed"), Json());
    QVERIFY(!note.contains("id"));
    QVERIFY(!note.contains("params"));
    // What it writes reads back as the same kind of message.
    const Incoming back = incomingOf(dumpJson(ok));
    QVERIFY(back.messages.front().kind == Message::Kind::Response);
}

QTEST_GUILESS_MAIN(tst_JsonRpc)
#include "tst_JsonRpc.moc"
