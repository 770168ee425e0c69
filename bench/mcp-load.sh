#!/usr/bin/env bash
# Load benchmark of the MCP server (/mcp, stateless revision 2026-07-28) against the REST route
# the same tool calls, on a real ordinaut-server (Release), with wrk. Each figure is the median of
# N rounds; every answer is checked to be a success first (a JSON-RPC error or an isError result
# fails the benchmark). A tools/call writes an audit row and an event (a durable commit); a
# resources/read writes nothing.
#   GET /api/v1/tasks/{id}                        the REST baseline
#   POST /mcp tools/call get_task                 the same read as a tool (+ audit row + event)
#   POST /mcp resources/read ordinaut://tasks/{id} the same read as a resource
#   POST /mcp tools/list                          the catalog (18 tools with their schemas)
# Usage: bench/mcp-load.sh [path/to/ordinaut-server] [rounds] [seconds per measurement]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/wrk/server.sh
. bench/wrk/server.sh "$@"
task=$(api POST /api/v1/tasks '{"title": "read me", "schedule_kind": "manual",
    "payload": {"pipeline": [{"id": "a", "uses": "debug.echo", "with": {"message": "hi"}}]}}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

meta='"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}'
call_body="{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/call\", \"params\": {\"name\": \"get_task\", \"arguments\": {\"id\": \"$task\"}, $meta}}"
read_body="{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"resources/read\", \"params\": {\"uri\": \"ordinaut://tasks/$task\", $meta}}"
list_body="{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/list\", \"params\": {$meta}}"
call_headers="MCP-Protocol-Version: 2026-07-28|Mcp-Method: tools/call|Mcp-Name: get_task"
read_headers="MCP-Protocol-Version: 2026-07-28|Mcp-Method: resources/read|Mcp-Name: ordinaut://tasks/$task"
list_headers="MCP-Protocol-Version: 2026-07-28|Mcp-Method: tools/list"

check() { # body headers: one request must answer a result without an error
    local args=() pair
    IFS='|' read -ra pairs <<<"$2"
    for pair in "${pairs[@]}"; do args+=(-H "$pair"); done
    curl -sf -X POST "$base/mcp" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' "${args[@]}" --data "$1" |
        python3 -c 'import json,sys; a=json.load(sys.stdin); r=a.get("result")
assert r is not None and not r.get("isError"), a'
}
check "$call_body" "$call_headers"
check "$read_body" "$read_headers"
check "$list_body" "$list_headers"

# shellcheck source=bench/wrk/measure.sh
. bench/wrk/measure.sh

echo "ordinaut-server on $base, $(nproc) cores, 64 connections"
TOKEN=$token measure "GET /api/v1/tasks/{id}" -t2 -c64 -s bench/wrk/bearer.lua "$base/api/v1/tasks/$task"
rest=$last_rate
TOKEN=$token BODY=$call_body HEADERS=$call_headers measure "POST /mcp tools/call get_task" -t2 -c64 \
    -s bench/wrk/post.lua "$base/mcp"
tool=$last_rate
TOKEN=$token BODY=$read_body HEADERS=$read_headers measure "POST /mcp resources/read ordinaut://tasks/…" \
    -t2 -c64 -s bench/wrk/post.lua "$base/mcp"
read=$last_rate
TOKEN=$token BODY=$list_body HEADERS=$list_headers measure "POST /mcp tools/list" -t2 -c64 \
    -s bench/wrk/post.lua "$base/mcp"
python3 -c "print(f'ratios to the REST read: tools/call {$tool/$rest:.2f}, resources/read {$read/$rest:.2f}')"
