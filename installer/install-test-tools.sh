#!/usr/bin/env bash
# Installs the npm packages the test suite runs into build/npm (never into the system):
# Node.js 22 (the `node` package, whatever Node the system has) and the OpenAPI validator.
# Run by `installer/bootstrap.sh test`; safe to run again (it skips what is there).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="build/npm"
packages=(node@22 @apidevtools/swagger-parser@13)
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
