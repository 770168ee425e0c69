#!/usr/bin/env bash
# CTest mcp_conformance: the official MCP conformance suites (@modelcontextprotocol/conformance)
# against `ordinaut-server serve --mcp-allow-anonymous` over Streamable HTTP.
# Usage: conformance.sh <ordinaut-server> <npm prefix> <work dir>
#
# Run: the stable suite (0.1.16) for the 2025 revisions, and the pre-release suite (0.2.0-alpha,
# installed as mcp-conformance-next) for the same scenarios plus server-session-lifecycle, and
# with --spec-version 2026-07-28 for the stateless revision. Every scenario must exit 0, except
# server-stateless, whose only allowed failures are the checks that need the suite's diagnostic
# tools ("Not testable: server does not list the diagnostic tool …"); anything else failing
# there fails the test.
#
# Not run, because they need the suite's fixture server (tools, prompts and resources named
# test_* / test://…, which a product server does not have) or an extension Ordinaut does not
# declare (`node …/conformance/dist/index.js list --server` lists them all):
#   tools-call-simple-text, tools-call-image, tools-call-audio, tools-call-embedded-resource,
#   tools-call-mixed-content, tools-call-with-logging, tools-call-error, tools-call-with-progress,
#   tools-call-sampling, tools-call-elicitation      the tools test_simple_text, test_image_content …
#   resources-read-text, resources-read-binary       test://static-text, test://static-binary
#   resources-templates-read                         the template test://template/{id}/data
#   resources-subscribe, resources-unsubscribe       test://watched-resource
#   prompts-get-simple, prompts-get-with-args, prompts-get-embedded-resource,
#   prompts-get-with-image                           the prompts test_simple_prompt …
#   completion-complete                              the prompt test_prompt_with_arguments
#   json-schema-2020-12                              the tool json_schema_2020_12_tool
#   elicitation-sep1034-defaults, elicitation-sep1330-enums
#                                                    the tools test_elicitation_sep1034_defaults,
#                                                    test_elicitation_sep1330_enums
#   server-sse-polling                               the tool test_reconnection
#   http-custom-header-server-validation             a tool whose input has x-mcp-header
#   input-required-result-* (14 scenarios)           the tools test_input_required_result_*
#   tasks-* (10 scenarios)                           the test tools greet, slow_compute,
#                                                    failing_job, confirm_delete … of the
#                                                    io.modelcontextprotocol/tasks extension
#                                                    (Ordinaut's run_task_now tasks are checked
#                                                    by tst_McpServer instead)
#   sep-2640-skills-directory, -enumeration, -manifest
#                                                    the io.modelcontextprotocol/skills extension
set -euo pipefail
server="$1" npm="$2" work="$3"
modules="$npm/node_modules"
node="$modules/.bin/node"
stable="$modules/@modelcontextprotocol/conformance/dist/index.js"
next="$modules/mcp-conformance-next/dist/index.js"
for file in "$node" "$stable" "$next"; do
    if [ ! -e "$file" ]; then
        echo "$file is missing: run installer/install-test-tools.sh" >&2
        exit 1
    fi
done
export ORDINAUT_SECRET_STORE=file

# shellcheck source=tests/mcp/serve.sh
. "$(dirname "$0")/serve.sh"
work_folder "$work"

start_server "$tmp/data" --mcp-allow-anonymous
port=${url##*:}
# The suites' DNS-rebinding checks need the URL's host to be localhost.
url="http://localhost:$port/mcp"
echo "ordinaut-server serving MCP at $url"

passed=0
failed=0
failures=()
now_ms() { date +%s%3N; }

# One scenario: <suite label> <suite index.js> <scenario> [more arguments for the suite]
scenario() {
    local label="$1" suite="$2" name="$3"
    shift 3
    local log="$tmp/$label-$name.log" start code=0
    start=$(now_ms)
    "$node" "$suite" server --url "$url" --scenario "$name" "$@" >"$log" 2>&1 \
        || code=$?
    local ms=$(($(now_ms) - start))
    if [ "$code" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $label $name (${ms} ms)"
    else
        failed=$((failed + 1))
        failures+=("$label $name")
        echo "FAIL $label $name (exit $code, ${ms} ms)"
        sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^\s*$' | head -n 60 | sed 's/^/    /'
    fi
}

# server-stateless needs the suite's diagnostic tools for a few checks: those may fail as not
# testable, nothing else may.
stateless() { # <suite label> <suite index.js>
    local label="$1" suite="$2"
    local out="$tmp/$label-server-stateless" start code=0
    start=$(now_ms)
    # Its exit code is 1 whenever a check fails, the allowed ones too: checks.json decides.
    "$node" "$suite" server --url "$url" --scenario server-stateless --spec-version 2026-07-28 \
        -o "$out" >"$out.log" 2>&1 || true
    local ms=$(($(now_ms) - start)) verdict
    verdict=$("$node" --input-type=module -e '
        import fs from "node:fs";
        import path from "node:path";
        const dir = process.argv[1];
        const files = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true })
            .filter((f) => path.basename(f) === "checks.json") : [];
        if (files.length !== 1) {
            console.log(`expected one checks.json under ${dir}, found ${files.length}`);
            process.exit(1);
        }
        const checks = JSON.parse(fs.readFileSync(path.join(dir, files[0]), "utf8"));
        const untestable = /^Not testable: server does not list the diagnostic tool /;
        const bad = checks.filter((c) => c.status === "FAILURE" && !untestable.test(c.errorMessage ?? ""));
        const allowed = checks.filter((c) => c.status === "FAILURE").length - bad.length;
        const ok = checks.filter((c) => c.status === "SUCCESS").length;
        if (ok === 0) {
            console.log("no check succeeded");
            process.exit(1);
        }
        for (const c of bad)
            console.log(`${c.id}: ${c.errorMessage ?? "(no message)"}`);
        console.log(`${ok} checks succeeded, ${allowed} not testable without the diagnostic tools, `
            + `${bad.length} failed`);
        process.exit(bad.length === 0 ? 0 : 1);
    ' "$out" 2>&1) || code=$?
    if [ "$code" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $label server-stateless (${ms} ms): $verdict"
    else
        failed=$((failed + 1))
        failures+=("$label server-stateless")
        echo "FAIL $label server-stateless (${ms} ms)"
        echo "$verdict" | sed 's/^/    /'
        sed 's/\x1b\[[0-9;]*m//g' "$out.log" | grep -v '^\s*$' | head -n 60 | sed 's/^/    /'
    fi
}

total_start=$(now_ms)
sessions=(server-initialize ping tools-list resources-list prompts-list logging-set-level
    dns-rebinding-protection server-sse-multiple-streams)
for name in "${sessions[@]}"; do
    scenario stable "$stable" "$name"
done
for name in "${sessions[@]}" server-session-lifecycle; do
    scenario next "$next" "$name"
done
for name in tools-list resources-list prompts-list dns-rebinding-protection caching \
    http-header-validation sep-2164-resource-not-found server-sse-multiple-streams; do
    scenario next-2026 "$next" "$name" --spec-version 2026-07-28
done
stateless next-2026 "$next"

echo "conformance: $passed passed, $failed failed in $(($(now_ms) - total_start)) ms"
if [ "$failed" -ne 0 ]; then
    printf '  failed: %s\n' "${failures[@]}"
    exit 1
fi
