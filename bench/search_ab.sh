#!/bin/sh
# search_ab.sh OLD NEW: the search loads of bench/run.sh (and a few more)
# against two builds of servio on the same generated firm, one after the
# other, row by row, so that both meet the same machine (other work on a
# shared machine moves absolute figures more than the change does).
#   TICKETS=100000 (default) or 1000000; BENCH_PG=0 skips PostgreSQL;
#   DURATION seconds per row (default 10); ROUNDS (default 1).
#   CPU=1: instead of wrk, the CPU time a request costs the server (and
#   PostgreSQL), one request after the other (bench/cpu_per_request.py).
#   FIRM=DIR: a data directory made before (init, gen.py, gen_tickets.py,
#   a token for bench@example.com in DIR/token, at OLD's schema) instead
#   of generating one.
# OLD runs first on each database: NEW's migrations would leave a schema
# OLD does not know. Prints a Markdown table; raw wrk output in bench/out/.
set -eu
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/search_ab.sh OLD-BINARY NEW-BINARY}
NEW=${2:?usage: bench/search_ab.sh OLD-BINARY NEW-BINARY}
DURATION=${DURATION:-10}
TICKETS=${TICKETS:-100000}
tmp=$(mktemp -d)
chmod 755 "$tmp"
out=bench/out
mkdir -p "$out"
spid=""
pgdir=""
cleanup() {
	[ -z "$spid" ] || kill "$spid" 2>/dev/null || true
	sleep 0.5
	[ -z "$pgdir" ] || scripts/pg-temp.sh stop "$pgdir"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ -n "${FIRM:-}" ]; then
	cp -r "$FIRM" "$tmp/old"
	TICKETS=$(sqlite3 "$tmp/old/servio.db" "SELECT COUNT(*) FROM tickets")
	TOKEN=$(cat "$FIRM/token")
else
	SERVIO_ADMIN_EMAIL=bench@example.com SERVIO_ADMIN_PASSWORD=quartz-lantern-meadow-41 \
		"$OLD" init --data-dir "$tmp/old" >/dev/null 2>&1
	python3 bench/gen.py "$tmp/old/servio.db" 10000 100000 >&2
	python3 bench/gen_tickets.py "$tmp/old/servio.db" "$TICKETS" >&2
	TOKEN=$("$OLD" token create --data-dir "$tmp/old" --email bench@example.com --name bench 2>/dev/null)
fi
export TOKEN
cp -r "$tmp/old" "$tmp/new"
set -- "sqlite:$tmp/old/servio.db" "sqlite:$tmp/new/servio.db"
if [ "${BENCH_PG:-1}" = 1 ] && scripts/pg-temp.sh check 2>/dev/null; then
	pgdir="$tmp/pg"
	pg=$(scripts/pg-temp.sh start "$pgdir")
	psql=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql
	"$psql" -q "$pg" -c "CREATE DATABASE old" -c "CREATE DATABASE new"
	pgold=$(echo "$pg" | sed 's|/postgres?|/old?|')
	pgnew=$(echo "$pg" | sed 's|/postgres?|/new?|')
	"$OLD" copy --data-dir "$tmp/old" --to "$pgold" >/dev/null
	"$NEW" copy --data-dir "$tmp/new" --to "$pgnew" >/dev/null
	set -- "$@" "$pgold" "$pgnew"
fi

# row LABEL NAME PATH: one wrk run against $sport, one table row
row() {
	file=$(echo "ab-$1-$2" | tr ' ,' '--')
	BENCH_PATH=$3 wrk -t2 -c32 -d"${DURATION}s" --latency -s bench/path.lua \
		"http://127.0.0.1:$sport" >"$out/$file.txt" 2>&1
	awk -v b="$1" -v n="$2" -f bench/wrk_row.awk "$out/$file.txt"
}

loads="search a common word, 20|/api/v1/companies?q=printing&limit=20
ticket search, rare word|/api/v1/tickets?q=quasar&limit=20
ticket search, common word|/api/v1/tickets?q=printer&limit=20
as typed: pri|/api/v1/tickets?q=pri&limit=20
common word, one company|/api/v1/tickets?q=printer&company_id=4242&limit=20
common word, in progress, high|/api/v1/tickets?q=printer&status=in_progress&priority=high&limit=20"
if [ "${CPU:-0}" = 1 ]; then
	echo "| build, database | load | CPU µs a request | wall µs a request |"
	echo "| --- | --- | ---: | ---: |"
else
	echo "| build, database | load | requests/s | p50 | p90 | p99 | errors |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
fi
round=0
while [ "$round" -lt "${ROUNDS:-1}" ]; do
	round=$((round + 1))
	for url in "$@"; do
		case "$url" in
		*/old/servio.db | */old\?*) bin=$OLD; label=old ;;
		*) bin=$NEW; label=new ;;
		esac
		case "$url" in sqlite:*) label="$label, SQLite" ;; *) label="$label, PostgreSQL" ;; esac
		sport=$(port)
		"$bin" serve --data-dir "$tmp/old" --database-url "$url" --listen "127.0.0.1:$sport" \
			--log-level warn --no-worker 2>"$tmp/serve.log" &
		spid=$!
		i=0
		until curl -sf "http://127.0.0.1:$sport/healthz" >/dev/null; do
			i=$((i + 1)); [ "$i" -lt 300 ] || { cat "$tmp/serve.log" >&2; exit 1; }
			sleep 0.1
		done
		echo "$loads" | while IFS='|' read -r name path; do
			if [ "${CPU:-0}" = 1 ]; then
				pids=$spid
				case "$url" in
				sqlite:*) ;;
				*) pids="$pids,$(head -n 1 "$pgdir/data/postmaster.pid")" ;;
				esac
				python3 bench/cpu_per_request.py "http://127.0.0.1:$sport" "$TOKEN" "$pids" \
					"$path" | sed "s/^| [^|]* |/| $label | $name |/"
			else
				row "$label" "$name" "$path"
			fi
		done
		kill "$spid"; wait "$spid" 2>/dev/null || true
		spid=""
	done
done
echo
echo "$TICKETS tickets; $(nproc) CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); wrk -t2 -c32 -d${DURATION}s per row"
