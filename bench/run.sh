#!/bin/sh
# make bench: the benchmark firm (10,000 companies, 100,000 contacts, TICKETS
# service orders with notes, history and time; default 100,000) under
# the same wrk load (2 threads, 32 connections, DURATION seconds per row):
#   1. servio on SQLite;
#   2. the same data copied (servio copy) to a throwaway PostgreSQL server,
#      served by one servio process, then by one and by two processes behind
#      nginx (the deployment of docs/DEPLOY.md);
#   3. nginx serving the identical company JSON, and a ticket's, as static
#      files: the ceiling.
# Prints Markdown tables and the machine; raw wrk output goes to bench/out/.
# PostgreSQL is skipped (with a note) with BENCH_PG=0 or when its server is not
# installed. The SLA sweep (every open ticket's clocks) is timed on both: first
# with every clock to write, then again with nothing changed. BENCH_LOADS=0 times
# only the data and the sweeps (no wrk, nginx or invoice runs).
# Everything started here is stopped and removed at the end.
# BENCH_ONLY=REGEX runs only the load rows whose name matches (grep -E), e.g.
# BENCH_ONLY=search for the search rows, and skips the SLA sweep and invoice runs.
set -eu
cd "$(dirname "$0")/.."
BIN=${SERVIO_BIN:-build/servio}
DURATION=${DURATION:-10}
tmp=$(mktemp -d /tmp/servio-bench.XXXXXX)
chmod 755 "$tmp"	# as root, PostgreSQL runs as postgres and nginx workers as nobody
out=bench/out
mkdir -p "$out"
pids=""
pgdir=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	[ -n "$pgdir" ] && scripts/pg-temp.sh stop "$pgdir"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for URL: poll until it answers, at most 30 s
wait_for() {
	i=0
	until curl -sf "$1" >/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 300 ]; then echo "bench: $1 did not answer in 30 s" >&2; exit 1; fi
		sleep 0.1
	done
}
# ports N: N free ports, all bound at once while they are picked, so they differ
ports() {
	python3 -c 'import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}
port() { ports 1; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# serve NAME ARGS...: start a server (no job worker: only the load runs) on
# $want_port if set, else a free port; sets $spid and $sport
serve() {
	name=$1; shift
	sport=${want_port:-$(port)}
	want_port=""
	"$BIN" serve --data-dir "$tmp/data" --listen "127.0.0.1:$sport" --log-level warn \
		--no-worker "$@" 2>"$tmp/$name.log" &
	spid=$!
	pids="$pids $spid"
	wait_for "http://127.0.0.1:$sport/healthz"
}

# only NAME: whether BENCH_ONLY lets NAME run
only() { [ -z "${BENCH_ONLY:-}" ] || echo "$1" | grep -qE "$BENCH_ONLY"; }

# row BACKEND LOAD URL SCRIPT: one wrk run, one table row
row() {
	only "$2" || return 0
	file=$(echo "$1-$2" | tr ' ' '-')
	wrk -t2 -c32 -d"${DURATION}s" --latency -s "$4" "$3" >"$out/$file.txt" 2>&1
	awk -v b="$1" -v n="$2" -f bench/wrk_row.awk "$out/$file.txt"
}

# loads BACKEND URL: the API loads against one base URL
loads() {
	row "$1" get-by-id "$2" bench/get.lua
	BENCH_PATH="/api/v1/companies?kind=partner&limit=50" row "$1" "companies kind=partner, 50" "$2" bench/path.lua
	BENCH_PATH="/api/v1/contacts?company_id=4242" row "$1" "contacts of one company" "$2" bench/path.lua
	BENCH_PATH="/api/v1/companies?q=printing&limit=20" row "$1" "search a common word, 20" "$2" bench/path.lua
	row "$1" "ticket get-by-id" "$2" bench/ticket_get.lua
	BENCH_PATH="/api/v1/tickets?status=in_progress&priority=high&limit=50" row "$1" "tickets in progress, high, 50" "$2" bench/path.lua
	BENCH_PATH="/api/v1/tickets?assignee_id=3&status=assigned,in_progress" row "$1" "a technician's open tickets" "$2" bench/path.lua
	BENCH_PATH="/api/v1/tickets?q=quasar&limit=20" row "$1" "ticket search, rare word" "$2" bench/path.lua
	BENCH_PATH="/api/v1/tickets?q=printer&limit=20" row "$1" "ticket search, common word" "$2" bench/path.lua
	row "$1" "ticket create" "$2" bench/ticket_create.lua
}

echo "## Data"
echo
SERVIO_ADMIN_EMAIL=bench@example.com SERVIO_ADMIN_PASSWORD=quartz-lantern-meadow-41 \
	"$BIN" init --data-dir "$tmp/data" >/dev/null 2>&1
python3 bench/gen.py "$tmp/data/servio.db" 10000 100000
TICKETS=${TICKETS:-100000}
export TICKETS
python3 bench/gen_tickets.py "$tmp/data/servio.db" "$TICKETS"
python3 bench/gen_billing.py "$tmp/data/servio.db"
TOKEN=$("$BIN" token create --data-dir "$tmp/data" --email bench@example.com --name bench 2>/dev/null)
export TOKEN
echo
echo "SQLite database: $(du -k "$tmp/data/servio.db" | cut -f1) KiB"

# sla_sweep LABEL ARGS...: time "servio worker --run sla" (every open ticket's clocks)
sla_sweep() {
	label=$1; shift
	only "SLA sweep" || return 0
	t0=$(date +%s.%N)
	"$BIN" worker --run sla --data-dir "$tmp/data" --log-level info "$@" 2>"$tmp/sla.log"
	t1=$(date +%s.%N)
	sweep="$sweep| $label | $(sed -n 's/.*SLA sweep: \([0-9]*\) open tickets, \([0-9]*\) changed.*/\1 | \2/p' "$tmp/sla.log") | $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') |
"
}
sweep=""
sweep_table() {
	echo
	echo "## SLA recomputation of every open ticket (servio worker --run sla)"
	echo
	echo "| run | open tickets | changed | seconds |"
	echo "| --- | ---: | ---: | ---: |"
	printf "%s" "$sweep"
}
machine() {
	echo
	echo "## Machine"
	echo
	echo "- $(nproc) CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "- $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory, $(uname -sr)"
	echo "- $(. /etc/os-release && echo "$PRETTY_NAME"), $("$BIN" version), SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)')"
	[ -z "$pg" ] || echo "- PostgreSQL $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/postgres" --version | awk '{print $3}') (scripts/pg-temp.sh: fsync off, as for tests)$([ "${BENCH_LOADS:-1}" = 0 ] || echo ", $(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}')")"
	[ "${BENCH_LOADS:-1}" = 0 ] || echo "- load generator, servers and database on the same machine; wrk -t2 -c32 -d${DURATION}s per row"
}

# PostgreSQL gets the data before any sweep, so that its first sweep writes every clock too
pg=""
if [ "${BENCH_PG:-1}" = 1 ] && scripts/pg-temp.sh check 2>/dev/null; then
	pgdir="$tmp/pg"
	pg=$(scripts/pg-temp.sh start "$pgdir")
	t0=$(date +%s.%N)
	"$BIN" copy --data-dir "$tmp/data" --to "$pg" >/dev/null
	echo "copied to PostgreSQL (servio copy, verified) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
fi
sla_sweep "SQLite, first (every clock written)"
sla_sweep "SQLite, again (nothing changed)"
if [ -n "$pg" ]; then
	sla_sweep "PostgreSQL, first (every clock written)" --database-url "$pg"
	sla_sweep "PostgreSQL, again (nothing changed)" --database-url "$pg"
fi
if [ "${BENCH_LOADS:-1}" = 0 ]; then
	sweep_table
	machine
	exit 0
fi

echo
echo "## Load"
echo
echo "| backend | load | requests/s | p50 | p90 | p99 | errors |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
mem=""

serve sqlite
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$sport/api/v1/companies/1" >"$tmp/company.json"
# a ticket from the middle of the range, for nginx to serve the same bytes as a ticket GET
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$sport/api/v1/tickets/$((TICKETS / 2))" >"$tmp/ticket.json"
idle=$(kib "$spid" VmRSS)
loads "SQLite, 1 process" "http://127.0.0.1:$sport"
mem="$mem| SQLite, 1 process | $idle | $(kib "$spid" VmHWM) |
"
kill "$spid"; wait "$spid" 2>/dev/null || true

# invoice_run LABEL ARGS...: a fresh server bills October 2026: the dry run,
# the real run (drafts), the same run again (nothing is billed twice); each
# row with what it made, its seconds and the server's peak memory after it
runs=""
invoice_run() {
	label=$1; shift
	only "invoice run" || return 0
	serve "billing" "$@"
	runs="$runs| $label, idle | | | | $(kib "$spid" VmRSS) |
"
	for what in "dry run" "real run" "again"; do
		dry=false; [ "$what" = "dry run" ] && dry=true
		t0=$(date +%s.%N)
		curl -sf -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
			-d "{\"from\": \"2026-10-01\", \"to\": \"2026-10-31\", \"dry_run\": $dry}" \
			"http://127.0.0.1:$sport/api/v1/invoice-runs" >"$tmp/run.json"
		t1=$(date +%s.%N)
		made=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["invoices"]; print("%d | %d" % (len(r), sum(len(i["lines"]) for i in r)))' "$tmp/run.json")
		runs="$runs| $label, $what | $made | $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') | $(kib "$spid" VmHWM) |
"
	done
	kill "$spid"; wait "$spid" 2>/dev/null || true
}
invoice_run SQLite

# nginx: the static ceiling on one port, the proxy to one and to two
# PostgreSQL servers on two more (the upstreams are filled in below)
mkdir -p "$tmp/www"
cp "$tmp/company.json" "$tmp/ticket.json" "$tmp/www/"
# five at once: three picked one by one could meet (nginx then sent one port's load to another server)
set -- $(ports 5)
np=$1; p1=$2; p2=$3
if [ -n "$pg" ]; then
	# behind nginx as docs/DEPLOY.md has it: the proxy trusted, so that its
	# keepalive connections (two workers, 64 each an upstream, A in both)
	# are not held to the limit of 64 connections from one address
	export SERVIO_TRUSTED_PROXIES=127.0.0.1
	want_port=$4
	serve pg-a --database-url "$pg" --no-migrate; pa=$spid; porta=$sport
	want_port=$5
	serve pg-b --database-url "$pg" --no-migrate; pb=$spid; portb=$sport
	unset SERVIO_TRUSTED_PROXIES
	one="server 127.0.0.1:$porta;"
	two="server 127.0.0.1:$porta; server 127.0.0.1:$portb;"
else
	one="server 127.0.0.1:9;"; two=$one	# unused
fi
sed -e "s|@STATIC_PORT@|$np|" -e "s|@ONE_PORT@|$p1|" -e "s|@TWO_PORT@|$p2|" \
	-e "s|@ONE@|$one|" -e "s|@TWO@|$two|" -e "s|@ROOT@|$tmp/www|" -e "s|@TMP@|$tmp|" \
	bench/nginx.conf.in >"$tmp/nginx.conf"
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids="$pids $!"
wait_for "http://127.0.0.1:$np/company.json"

if [ -n "$pg" ]; then
	idlea=$(kib "$pa" VmRSS)
	loads "PostgreSQL, 1 process" "http://127.0.0.1:$porta"
	loads "PostgreSQL, 1 process behind nginx" "http://127.0.0.1:$p1"
	loads "PostgreSQL, 2 processes behind nginx" "http://127.0.0.1:$p2"
	mem="$mem| PostgreSQL, process A | $idlea | $(kib "$pa" VmHWM) |
| PostgreSQL, process B | $(kib "$pb" VmRSS) now | $(kib "$pb" VmHWM) |
"
fi
[ -z "$pg" ] || invoice_run PostgreSQL --database-url "$pg" --no-migrate
TOKEN= BENCH_PATH="/company.json" row "nginx, static file" "the same company JSON" "http://127.0.0.1:$np" bench/path.lua
TOKEN= BENCH_PATH="/ticket.json" row "nginx, static file" "a ticket's JSON" "http://127.0.0.1:$np" bench/path.lua

sweep_table

echo
echo "## A month's invoice run (POST /api/v1/invoice-runs, October 2026)"
echo
echo "| run | invoices | lines | seconds | server peak resident (KiB) |"
echo "| --- | ---: | ---: | ---: | ---: |"
printf "%s" "$runs"

echo
echo "## Server memory (KiB)"
echo
echo "| server | resident at idle | peak resident (VmHWM) |"
echo "| --- | ---: | ---: |"
printf "%s" "$mem"
[ -n "$pg" ] || { echo; echo "PostgreSQL was not measured (BENCH_PG=0, or its server is not installed)."; }
machine
