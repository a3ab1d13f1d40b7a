#!/bin/sh
# bench/durability.sh: what SQLite's synchronous=FULL (the default) costs
# against NORMAL (SERVIO_SQLITE_SYNCHRONOUS) on the write load (ticket create), with the
# wrk settings of bench/run.sh (2 threads, 32 connections, DURATION seconds
# a row). A modest firm (10,000 companies, 20,000 contacts, TICKETS service
# orders, default 10,000) is generated once; each mode serves its own copy.
# Prints a Markdown table; raw wrk output goes to bench/out/.
#   bench/durability.sh                   DURATION=10, TICKETS=10000
set -eu
cd "$(dirname "$0")/.."
BIN=${SERVIO_BIN:-build/servio}
DURATION=${DURATION:-10}
TICKETS=${TICKETS:-10000}
export TICKETS
tmp=$(mktemp -d)
out=bench/out
mkdir -p "$out"
spid=""
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

SERVIO_ADMIN_EMAIL=bench@example.com SERVIO_ADMIN_PASSWORD=bench-password-1 \
	"$BIN" init --data-dir "$tmp/seed" >/dev/null 2>&1
python3 bench/gen.py "$tmp/seed/servio.db" 10000 20000 >/dev/null
python3 bench/gen_tickets.py "$tmp/seed/servio.db" "$TICKETS" >/dev/null
TOKEN=$("$BIN" token create --data-dir "$tmp/seed" --email bench@example.com --name bench 2>/dev/null)
export TOKEN

echo "| synchronous | load | requests/s | p50 | p90 | p99 | errors |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for mode in FULL NORMAL; do
	rm -rf "$tmp/data"
	cp -r "$tmp/seed" "$tmp/data"
	sport=$(port)
	SERVIO_SQLITE_SYNCHRONOUS=$mode "$BIN" serve --data-dir "$tmp/data" \
		--listen "127.0.0.1:$sport" --log-level warn --no-worker 2>"$tmp/$mode.log" &
	spid=$!
	i=0
	until curl -sf "http://127.0.0.1:$sport/healthz" >/dev/null; do
		i=$((i + 1)); [ "$i" -gt 300 ] && { echo "no server" >&2; exit 1; }
		sleep 0.1
	done
	for load in ticket_create; do
		f="$out/sync-$mode-$load.txt"
		wrk -t2 -c32 -d"${DURATION}s" --latency -s "bench/$load.lua" \
			"http://127.0.0.1:$sport" >"$f" 2>&1
		awk -v b="$mode" -v n="$(echo $load | tr _ ' ')" '
			/Requests\/sec/ {rps=$2}
			/^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
			/Non-2xx/ {bad=$NF} /Socket errors/ {bad=bad "; " $0}
			END {printf "| %s | %s | %.0f | %s | %s | %s | %s |\n", b, n, rps, p50, p90, p99, bad ? bad : 0}' "$f"
	done
	kill "$spid"; wait "$spid" 2>/dev/null || true
	spid=""
done
