#!/usr/bin/env bash
# CTest mcp_sdk_client: the official MCP TypeScript SDK against a real ordinaut-server, over
# Streamable HTTP (serve), stdio hosting its own engine, and stdio forwarding to serve.
# Usage: sdk-client.sh <ordinaut-server> <npm prefix> <work dir>
set -euo pipefail
server="$1" npm="$2" work="$3"
node="$npm/node_modules/.bin/node"
if [ ! -x "$node" ] || [ ! -d "$npm/node_modules/@modelcontextprotocol/sdk" ]; then
    echo "the MCP SDK is not installed in $npm: run installer/install-test-tools.sh" >&2
    exit 1
fi
export ORDINAUT_SECRET_STORE=file

# shellcheck source=tests/mcp/serve.sh
. "$(dirname "$0")/serve.sh"
work_folder "$work"
served="$tmp/served" hosted="$tmp/hosted"

# An agent in a data folder: sets agent_id and agent_secret (from standard error) and
# agent_token (standard output).
create_agent() { # <data dir> <name>
    agent_token=$("$server" token create --data-dir "$1" --name "$2" 2>"$tmp/token.err") || {
        cat "$tmp/token.err" >&2
        exit 1
    }
    agent_id=$(sed -n "s/^Created agent '[^']*' (\([^)]*\)).*/\1/p" "$tmp/token.err")
    agent_secret=$(sed -n 's/^Its secret (shown only now): //p' "$tmp/token.err")
    if [ -z "$agent_id" ] || [ -z "$agent_secret" ] || [ -z "$agent_token" ]; then
        echo "could not read the agent id, secret and token from 'token create':" >&2
        cat "$tmp/token.err" >&2
        exit 1
    fi
}
create_agent "$served" sdk-http
served_id=$agent_id served_secret=$agent_secret served_token=$agent_token
create_agent "$hosted" sdk-stdio
hosted_id=$agent_id hosted_secret=$agent_secret

start_server "$served"
echo "ordinaut-server serving at $url"

status=0
ORDINAUT_FORWARD_SECRET="$served_secret" ORDINAUT_HOSTED_SECRET="$hosted_secret" \
    "$node" "$(dirname "$0")/sdk-client.mjs" --modules "$npm/node_modules" --server "$server" \
    --url "$url" --token "$served_token" \
    --forward-dir "$served" --forward-agent "$served_id" \
    --hosted-dir "$hosted" --hosted-agent "$hosted_id" || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- ordinaut-server serve (standard error, last 40 lines) ---" >&2
    tail -n 40 "$tmp/serve.err" >&2
fi
exit "$status"
