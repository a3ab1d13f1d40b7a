# bench/wrk_row.awk: one Markdown table row from a wrk --latency output.
#   awk -v b=BACKEND -v n=LOAD -f bench/wrk_row.awk FILE
# | b | n | requests/s | p50 | p90 | p99 | errors (non-2xx, socket errors) |
/Requests\/sec/ {rps=$2}
/^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
/Non-2xx/ {bad=$NF} /Socket errors/ {bad=bad "; " $0}
END {printf "| %s | %s | %.0f | %s | %s | %s | %s |\n", b, n, rps, p50, p90, p99, bad ? bad : 0}
