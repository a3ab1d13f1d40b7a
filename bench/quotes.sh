#!/bin/sh
# bench/quotes.sh: the sales side under wrk (2 threads, 32 connections,
# DURATION seconds per row) on the demo firm (servio demo) on SQLite:
# quote create (ten lines, priced from the catalog), get, the quote list, and
# the PDF of a 10-line and of a 120-line quote (cairo + pango per request).
# Prints a Markdown table; raw wrk output goes to bench/out/.
set -eu
cd "$(dirname "$0")/.."
BIN=${SERVIO_BIN:-build/servio}
DURATION=${DURATION:-10}
tmp=$(mktemp -d /tmp/servio-bench-quotes.XXXXXX)
out=bench/out
mkdir -p "$out"
spid=""
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null || true
	sleep 0.3
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SERVIO_ADMIN_EMAIL=bench@example.com SERVIO_ADMIN_PASSWORD='bench-password-2026' \
	"$BIN" init --data-dir "$tmp/data" >/dev/null 2>&1
"$BIN" demo --data-dir "$tmp/data" --password 'bench-password-2026' >/dev/null 2>&1
TOKEN=$("$BIN" token create --data-dir "$tmp/data" --email bench@example.com --name bench 2>/dev/null)
export TOKEN
"$BIN" serve --data-dir "$tmp/data" --listen "127.0.0.1:$port" --log-level warn --no-worker \
	2>"$tmp/serve.log" &
spid=$!
base="http://127.0.0.1:$port"
i=0
until curl -sf "$base/healthz" >/dev/null; do
	i=$((i + 1)); [ "$i" -gt 300 ] && { echo "bench: the server did not start" >&2; exit 1; }
	sleep 0.1
done
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
id_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
company=$(api "$base/api/v1/companies?kind=client&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
product=$(api "$base/api/v1/products?kind=equipment&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
work=$(api "$base/api/v1/work-types?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
export BENCH_IDS="$company,$product,$work"
# a 10-line and a 120-line quote for the PDFs
body() {
	python3 - "$company" "$product" "$work" "$1" <<'PY'
import json, sys
c, p, w, n = (int(x) for x in sys.argv[1:5])
lines = []
for i in range(n):
    if i % 3 == 0:
        lines.append({"kind": "equipment", "product_id": p, "quantity": 1 + i % 5, "install": True})
    elif i % 3 == 1:
        lines.append({"kind": "labor", "work_type_id": w, "quantity": 1.5})
    else:
        lines.append({"kind": "service", "description": "Service item %d: configuration, "
                      "documentation and hand-over to the client's staff" % i, "unit_price": 9900})
print(json.dumps({"company_id": c, "title": "Campus rollout", "tax_rate_bp": 825,
                  "response_time_minutes": 240, "warranty_days": 90,
                  "qualifications": "Licensed electricians; Cisco CCNA; CompTIA A+",
                  "lines": lines}))
PY
}
short_id=$(body 10 | api -X POST -d @- "$base/api/v1/quotes" | id_of)
long_id=$(body 120 | api -X POST -d @- "$base/api/v1/quotes" | id_of)

row() {
	file=$(echo "quotes-$1" | tr ' ,' '--')
	wrk -t2 -c32 -d"${DURATION}s" --latency -s "$3" "$base$2" >"$out/$file.txt" 2>&1
	awk -v name="$1" -v rss="$(awk '$1 == "VmRSS:" {print $2}' "/proc/$spid/status")" '
		/Requests\/sec/ {rps = $2}
		/^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2}
		/Non-2xx/ {bad = $NF}
		END {printf "| %s | %.0f | %s | %s | %s | %d |\n", name, rps, p50, p99, bad ? bad : 0, rss / 1024}' \
		"$out/$file.txt"
}
echo "| load | requests/s | p50 | p99 | non-2xx | server RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
row "quote create, 10 lines" "" bench/quote_create.lua
BENCH_PATH="/api/v1/quotes/$short_id" row "quote get" "" bench/path.lua
BENCH_PATH="/api/v1/quotes?status=draft&limit=50" row "quotes, drafts, 50" "" bench/path.lua
BENCH_PATH="/api/v1/quotes/$short_id.pdf" row "PDF, 10 lines (1 page)" "" bench/path.lua
BENCH_PATH="/api/v1/quotes/$long_id.pdf" row "PDF, 120 lines" "" bench/path.lua
pages=$(api "$base/api/v1/quotes/$long_id.pdf" | pdfinfo - 2>/dev/null | awk '/^Pages:/ {print $2}')
echo
echo "The 120-line quote is ${pages:-?} pages. $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)."
