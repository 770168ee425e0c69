# shellcheck shell=bash
# Sourced by the wrk benchmarks (from the repository's top folder), with the script's arguments:
# [path/to/ordinaut-server] [rounds] [seconds per measurement]. Starts a Release ordinaut-server on
# a free loopback port with a fresh data folder ($dir, removed at exit with every process in
# $pids), makes an agent ($token) whose request rate limit is lifted, and defines api METHOD PATH
# [JSON]. Sets $server, $rounds, $seconds, $base.
server="${1:-build/release/app/ordinaut-server}"
# shellcheck disable=SC2034 # read by the sourcing script and measure.sh
rounds="${2:-3}"
# shellcheck disable=SC2034
seconds="${3:-10}"
[ -x "$server" ] || { echo "build first: $server not found (cmake --build build/release)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
export ORDINAUT_SECRET_STORE=file

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

token=$("$server" token create --data-dir "$dir" --name bench 2>/dev/null)
"$server" serve --data-dir "$dir" --listen "127.0.0.1:$port" --log-level warn >"$dir/server.log" 2>&1 &
pids+=($!)
until curl -sf "$base/health" >/dev/null; do sleep 0.05; done

api() { # METHOD PATH [JSON]
    curl -sf -X "$1" "$base$2" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        ${3:+--data "$3"}
}
# One agent sends everything here: lift its request rate limit.
api PATCH /api/v1/settings '{"api.rate_limit": {"requests_per_second": 0, "burst": 1}}' >/dev/null
