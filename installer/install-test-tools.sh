#!/usr/bin/env bash
# Installs the npm packages the test suite runs into build/npm (never into the system):
# Node.js 22 (the `node` package, whatever Node the system has), the OpenAPI validator, the
# official MCP TypeScript SDK (a real client for tests/mcp) and the MCP conformance suites (the
# stable one, and the pre-release that knows the 2026-07-28 revision under an alias).
# Run by `installer/bootstrap.sh test`; safe to run again (it skips what is there).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="build/npm"
packages=(node@22 @apidevtools/swagger-parser@13 @modelcontextprotocol/sdk@1
    @modelcontextprotocol/conformance@0.1.16
    mcp-conformance-next@npm:@modelcontextprotocol/conformance@0.2.0-alpha.12)
stamp="$prefix/.installed"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${packages[*]}" ] \
    && [ -x "$prefix/node_modules/.bin/node" ]; then
    echo "Test tools are installed in $prefix."
    exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: run installer/install-deps.sh" >&2; exit 1; }
mkdir -p "$prefix"
echo "Installing test tools into $prefix: ${packages[*]}"
npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "${packages[@]}"
"$prefix/node_modules/.bin/node" --version >/dev/null
echo "${packages[*]}" > "$stamp"
