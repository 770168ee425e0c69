#!/usr/bin/env bash
# Measures ordinaut-server start-up: time from exec until /health answers, and resident memory
# (RSS) once idle, over N runs on fresh data folders. Prints the medians.
#   bench/server-startup.sh [path/to/ordinaut-server] [runs]
set -euo pipefail
server="${1:-build/release/app/ordinaut-server}"
runs="${2:-11}"
[ -x "$server" ] || { echo "build first: $server not found" >&2; exit 1; }
export ORDINAUT_SECRET_STORE=file

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
starts=()
rss=()
for _ in $(seq "$runs"); do
    dir=$(mktemp -d)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    t0=$(date +%s%N)
    "$server" serve --data-dir "$dir" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.005; done
    t1=$(date +%s%N)
    sleep 0.5
    starts+=($(( (t1 - t0) / 1000000 )))
    rss+=($(awk '/VmRSS/ {print $2}' "/proc/$pid/status"))
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
done
echo "ordinaut-server start-up to first /health answer: median $(printf '%s\n' "${starts[@]}" | median) ms over $runs runs (fresh data folder, migrations included)"
echo "ordinaut-server idle RSS: median $(( $(printf '%s\n' "${rss[@]}" | median) / 1024 )) MiB"
