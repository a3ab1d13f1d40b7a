#!/bin/sh
# make bench: a firm of 10,000 companies and 100,000 contacts on SQLite, load
# from wrk (2 threads, 32 connections, DURATION seconds each), server memory,
# and nginx serving the same JSON as the ceiling. Prints a Markdown table;
# raw wrk output goes to bench/out/. Cleans up after itself.
set -eu
cd "$(dirname "$0")/.."
BIN=${SERVIO_BIN:-build/servio}
DURATION=${DURATION:-10}
tmp=$(mktemp -d /tmp/servio-bench.XXXXXX)
out=bench/out
mkdir -p "$out"
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

SERVIO_ADMIN_EMAIL=bench@example.com SERVIO_ADMIN_PASSWORD=bench-password-1 \
	"$BIN" init --data-dir "$tmp/data" >/dev/null
python3 bench/gen.py "$tmp/data/servio.db" 10000 100000
TOKEN=$("$BIN" token create --data-dir "$tmp/data" --email bench@example.com --name bench 2>/dev/null)
export TOKEN
sp=$(port)
"$BIN" serve --data-dir "$tmp/data" --listen "127.0.0.1:$sp" --log-level warn --no-worker 2>"$tmp/serve.log" &
spid=$!; pids="$pids $spid"
until curl -sf "http://127.0.0.1:$sp/healthz" >/dev/null; do sleep 0.1; done
idle=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)

curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$sp/api/v1/companies/1" >"$tmp/company.json"
mkdir -p "$tmp/www"; cp "$tmp/company.json" "$tmp/www/company.json"
np=$(port)
sed -e "s|@PORT@|$np|" -e "s|@ROOT@|$tmp/www|" -e "s|@TMP@|$tmp|" bench/nginx.conf.in >"$tmp/nginx.conf"
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids="$pids $!"
until curl -sf "http://127.0.0.1:$np/company.json" >/dev/null; do sleep 0.1; done

row() { # name url script
	wrk -t2 -c32 -d"${DURATION}s" --latency -s "$3" "$2" >"$out/$1.txt" 2>&1
	awk -v n="$1" '
		/Requests\/sec/ {rps=$2}
		/^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
		/Non-2xx/ {bad=$NF}
		END {printf "| %s | %s | %s | %s | %s | %s |\n", n, rps, p50, p90, p99, bad ? bad : 0}' "$out/$1.txt"
}
echo "| load | requests/s | p50 | p90 | p99 | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
row get-by-id "http://127.0.0.1:$sp" bench/get.lua
BENCH_PATH="/api/v1/companies?kind=partner&limit=50" row list-partners "http://127.0.0.1:$sp" bench/path.lua
BENCH_PATH="/api/v1/contacts?company_id=4242" row contacts-of-company "http://127.0.0.1:$sp" bench/path.lua
BENCH_PATH="/api/v1/companies?q=printing&limit=20" row search-common-word "http://127.0.0.1:$sp" bench/path.lua
TOKEN= BENCH_PATH="/company.json" row nginx-static-same-json "http://127.0.0.1:$np" bench/path.lua
peak=$(awk '/VmHWM/ {print $2}' /proc/$spid/status)
echo
echo "servio memory: ${idle} KiB resident at idle, ${peak} KiB peak; database $(du -k "$tmp/data/servio.db" | cut -f1) KiB"
