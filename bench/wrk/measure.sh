# shellcheck shell=bash
# Sourced by the wrk benchmarks: measure NAME WRK-ARGUMENTS… runs wrk $rounds times for $seconds
# (files under $dir), fails when any answer was not a success (errors are fast and would flatter
# the figures), and prints the medians of the rate and of the p50/p99 latencies; the median rate
# is left in $last_rate.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { awk '/^Requests\/sec/ {print $2}' "$1"; }
pct() { # file percentile(50%|99%), in ms
    awk -v p="$2" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
        print v }' "$1"
}
measured=0
last_rate=0
# shellcheck disable=SC2154 # $rounds, $seconds and $dir come from the script that sources this
measure() { # name, then wrk arguments
    local name="$1"; shift
    measured=$((measured + 1))
    local rates=() p50s=() p99s=()
    for r in $(seq "$rounds"); do
        local out="$dir/measure$measured.$r.txt"
        wrk --latency -d"${seconds}s" "$@" >"$out" 2>&1
        grep -q '^Requests/sec' "$out" || { cat "$out" >&2; exit 1; }
        if grep -qE 'Non-2xx|Socket errors' "$out"; then
            echo "$name: not every request succeeded:" >&2; cat "$out" >&2; exit 1
        fi
        rates+=("$(rate "$out")")
        p50s+=("$(pct "$out" 50%)")
        p99s+=("$(pct "$out" 99%)")
    done
    last_rate=$(printf '%s\n' "${rates[@]}" | median)
    printf '%-44s %10s req/s   p50 %7s ms   p99 %7s ms   (median of %s; rounds: %s req/s)\n' \
        "$name" "$last_rate" "$(printf '%s\n' "${p50s[@]}" | median)" \
        "$(printf '%s\n' "${p99s[@]}" | median)" "$rounds" "${rates[*]}"
}
