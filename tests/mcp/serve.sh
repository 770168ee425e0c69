# shellcheck shell=bash
# Sourced by the MCP test scripts: a work folder, and `ordinaut-server serve` on a port the system
# picks.

# work_folder <dir>: sets $tmp, a fresh folder under <dir>; at exit the server (if started) is
# stopped and $tmp removed.
work_folder() {
    mkdir -p "$1"
    tmp=$(mktemp -d "$1/run.XXXXXX")
    pid=""
    trap stop_server EXIT
}
stop_server() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}

# start_server <data dir> [serve options…] needs $server and $tmp, and sets $pid and $url (the
# first line serve prints on standard output names it); exits when serve fails or stays silent.
# shellcheck disable=SC2154 # $server comes from the script that sources this
start_server() {
    local dir="$1"
    shift
    "$server" serve --data-dir "$dir" --listen 127.0.0.1:0 "$@" >"$tmp/serve.out" 2>"$tmp/serve.err" &
    pid=$!
    url=""
    for _ in $(seq 200); do
        url=$(sed -n 's/^Ordinaut is serving at //p' "$tmp/serve.out")
        [ -n "$url" ] && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "ordinaut-server serve exited:" >&2
            cat "$tmp/serve.err" >&2
            exit 1
        fi
        sleep 0.05
    done
    echo "ordinaut-server serve did not announce its URL within 10 s" >&2
    cat "$tmp/serve.err" >&2
    exit 1
}
