#!/bin/sh
# fuzz.sh - runs every libFuzzer harness of a build for a bounded time and
# says, per harness, how many inputs it ran and what it found.
#
#   scripts/fuzz.sh BUILD_DIR [SECONDS]      (make fuzz: FUZZ_SECONDS, default 60)
#
# Each harness starts from its seed corpus (tests/fuzz/corpus/NAME, read
# only) plus what earlier runs found (BUILD_DIR/fuzz-corpus/NAME, where new
# inputs go); a crash, leak or failed check is written to
# BUILD_DIR/fuzz-findings/NAME-* and named at the end. Exit status 1 when
# any harness found something: add the input to the seed corpus with the fix.
set -u
build=${1:?usage: fuzz.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
found=0
ran=0
printf '%-12s %12s %8s %8s  %s\n' harness executions exec/s seconds findings
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin" | sed 's/^fuzz_//')
	work="$build/fuzz-corpus/$name"
	findings="$build/fuzz-findings"
	log="$build/fuzz-logs/$name.log"
	mkdir -p "$work" "$findings" "$build/fuzz-logs"
	start=$(date +%s)
	"$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 \
		-artifact_prefix="$findings/$name-" "$work" "$src/tests/fuzz/corpus/$name" \
		>"$log" 2>&1
	rc=$?
	took=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	what=none
	if [ $rc -ne 0 ]; then
		found=1
		what=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:' "$log" || echo "exit status $rc")
		what="$what; input: $(ls -t "$findings/$name-"* 2>/dev/null | head -n 1); log: $log"
	fi
	printf '%-12s %12s %8s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$took" "$what"
	ran=$((ran + 1))
done
if [ $ran -eq 0 ]; then
	echo "fuzz.sh: no fuzz_* harness in $build (a clang build with SERVIO_SANITIZE=ON makes them)" >&2
	exit 1
fi
exit $found
