#!/usr/bin/env bash
# Load benchmark of the REST API with wrk, against a real ordinaut-server (Release) while its
# scheduler and workers are busy: a background load queues runs (run-now at a steady rate) and
# 200 tasks fire every minute. Measures, each as the median of N rounds:
#   GET /health                at full speed          (target ≥ 20,000 req/s)
#   GET /api/v1/tasks/{id}     at full speed          (target ≥ 5,000 req/s)
#   GET /api/v1/tasks/{id}     at a fixed 1,000 req/s (target p99 ≤ 2 ms)
# Usage: bench/http-load.sh [path/to/ordinaut-server] [rounds] [seconds per measurement]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/wrk/server.sh
. bench/wrk/server.sh "$@"
task=$(api POST /api/v1/tasks '{"title": "read me", "schedule_kind": "manual",
    "payload": {"pipeline": [{"id": "a", "uses": "debug.echo", "with": {"message": "hi"}}]}}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
busy=$(api POST /api/v1/tasks '{"title": "busy", "schedule_kind": "manual", "overlap_policy": "allow",
    "payload": {"pipeline": [{"id": "a", "uses": "debug.echo", "with": {"message": "work"}}]}}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for i in $(seq 200); do
    api POST /api/v1/tasks "{\"title\": \"every minute $i\", \"schedule_kind\": \"rrule\",
        \"schedule_expr\": \"FREQ=MINUTELY\", \"overlap_policy\": \"allow\",
        \"payload\": {\"pipeline\": [{\"id\": \"a\", \"uses\": \"debug.echo\", \"with\": {\"message\": \"tick\"}}]}}" >/dev/null
done
# The background load: about 400 run-now a second (4 connections, 10 ms apart).
TOKEN=$token METHOD=POST BODY='{}' PACE_MS=10 \
    wrk -t1 -c4 -d$(( rounds * seconds * 4 + 60 ))s -s bench/wrk/paced.lua "$base/api/v1/tasks/$busy/run-now" \
    >"$dir/background.txt" 2>&1 &
pids+=($!)
sleep 2

# shellcheck source=bench/wrk/measure.sh
. bench/wrk/measure.sh

echo "ordinaut-server on $base, $(nproc) cores; background: ~400 run-now/s + 200 tasks firing every minute"
measure "GET /health" -t2 -c64 "$base/health"
TOKEN=$token measure "GET /api/v1/tasks/{id}" -t2 -c64 -s bench/wrk/bearer.lua "$base/api/v1/tasks/$task"
TOKEN=$token PACE_MS=10 measure "GET /api/v1/tasks/{id} @1000/s" -t1 -c10 -s bench/wrk/paced.lua \
    "$base/api/v1/tasks/$task"
kill "${pids[1]}" 2>/dev/null || true
wait "${pids[1]}" 2>/dev/null || true
if grep -qE 'Non-2xx|Socket errors' "$dir/background.txt"; then
    echo "the background load had failures:" >&2; cat "$dir/background.txt" >&2; exit 1
fi
runs=$(api GET "/api/v1/runs?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "runs recorded during the benchmark: $runs"
