#!/bin/sh
# CTest: the OpenAPI document ordinaut-server serves passes @apidevtools/swagger-parser.
# Usage: validate.sh <ordinaut-server> <npm prefix> <work dir>
set -eu
server="$1" npm="$2" work="$3"
node="$npm/node_modules/.bin/node"
if [ ! -x "$node" ] || [ ! -d "$npm/node_modules/@apidevtools/swagger-parser" ]; then
    echo "the OpenAPI validator is not installed in $npm: run installer/install-test-tools.sh" >&2
    exit 1
fi
mkdir -p "$work"
"$server" openapi > "$work/openapi.json"
exec "$node" "$(dirname "$0")/validate.mjs" "$npm/node_modules" "$work/openapi.json"
