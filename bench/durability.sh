#!/bin/sh
# bench/durability.sh: the write path on SQLite, with the wrk settings of
# bench/run.sh (2 threads, 32 connections, DURATION seconds a row):
#   1. ticket create alone, once per synchronous mode in MODES (FULL, the
#      default, against NORMAL: SERVIO_SQLITE_SYNCHRONOUS);
#   2. the mixed load, MIXED seconds (0: skipped): ticket creates on 16
#      connections while ticket reads and lists run on 16 more, with the
#      write-ahead log's size read every second; its largest size is what
#      the checkpointer lets the WAL grow to under reads.
# A firm (10,000 companies, 20,000 contacts, TICKETS service orders, default
# 10,000) is generated once; each mode serves its own copy. Prints Markdown
# tables and each server's peak memory; raw wrk output goes to bench/out/.
#   bench/durability.sh                    DURATION=10 TICKETS=10000 MIXED=60
#   MIXED=3600 MODES=FULL bench/durability.sh   the hour-long mixed load
set -eu
cd "$(dirname "$0")/.."
BIN=${SERVIO_BIN:-build/servio}
DURATION=${DURATION:-10}
TICKETS=${TICKETS:-10000}
MIXED=${MIXED:-60}
MODES=${MODES:-FULL NORMAL}
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
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# summary FILE MODE LOAD: one table row from a wrk output
summary() {
	awk -v b="$2" -v n="$3" -f bench/wrk_row.awk "$1"
}

SERVIO_ADMIN_EMAIL=bench@example.com SERVIO_ADMIN_PASSWORD=quartz-lantern-meadow-41 \
	"$BIN" init --data-dir "$tmp/seed" >/dev/null 2>&1
python3 bench/gen.py "$tmp/seed/servio.db" 10000 20000 >/dev/null
python3 bench/gen_tickets.py "$tmp/seed/servio.db" "$TICKETS" >/dev/null
TOKEN=$("$BIN" token create --data-dir "$tmp/seed" --email bench@example.com --name bench 2>/dev/null)
export TOKEN

rows=""
mixed=""
mem=""
for mode in $MODES; do
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
	url="http://127.0.0.1:$sport"
	f="$out/sync-$mode-ticket_create.txt"
	wrk -t2 -c32 -d"${DURATION}s" --latency -s bench/ticket_create.lua "$url" >"$f" 2>&1
	rows="$rows$(summary "$f" "$mode" "ticket create")
"
	if [ "$MIXED" -gt 0 ]; then
		w="$out/mixed-$mode-create.txt"; r="$out/mixed-$mode-get.txt"; l="$out/mixed-$mode-list.txt"
		wrk -t1 -c16 -d"${MIXED}s" --latency -s bench/ticket_create.lua "$url" >"$w" 2>&1 &
		wc=$!
		wrk -t1 -c8 -d"${MIXED}s" --latency -s bench/ticket_get.lua "$url" >"$r" 2>&1 &
		rc=$!
		BENCH_PATH="/api/v1/tickets?status=in_progress&priority=high&limit=50" \
			wrk -t1 -c8 -d"${MIXED}s" --latency -s bench/path.lua "$url" >"$l" 2>&1 &
		lc=$!
		most=0
		while kill -0 "$wc" 2>/dev/null; do
			s=$(stat -c %s "$tmp/data/servio.db-wal" 2>/dev/null || echo 0)
			[ "$s" -gt "$most" ] && most=$s
			sleep 1
		done
		wait "$wc" "$rc" "$lc" || true
		end=$(stat -c %s "$tmp/data/servio.db-wal" 2>/dev/null || echo 0)
		mixed="$mixed$(summary "$w" "$mode" "create, mixed")
$(summary "$r" "$mode" "ticket get, mixed")
$(summary "$l" "$mode" "50-row list, mixed")
| $mode | largest WAL ${MIXED} s: $((most / 1048576)) MiB, at the end $((end / 1048576)) MiB | | | | | |
"
	fi
	mem="$mem| $mode | $(kib "$spid" VmHWM) |
"
	kill "$spid"; wait "$spid" 2>/dev/null || true
	spid=""
done

echo "| synchronous | load | requests/s | p50 | p90 | p99 | errors |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
printf '%s' "$rows"
if [ -n "$mixed" ]; then
	echo
	echo "Mixed load, $MIXED s (creates on 16 connections, reads on 8, lists on 8):"
	echo
	echo "| synchronous | load | requests/s | p50 | p90 | p99 | errors |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
	printf '%s' "$mixed"
fi
echo
echo "| synchronous | server peak resident KiB |"
echo "| --- | ---: |"
printf '%s' "$mem"
echo
echo "commit $(git rev-parse --short HEAD), $(nproc) CPU $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
