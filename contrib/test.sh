#!/bin/bash
# test.sh: installs what is missing, builds, and runs the whole suite: `make check` (unit
# and integration tests), the same tests built with ASan+UBSan, and a short run of every
# fuzz target. Ends with one line "N passed, N failed" and exits non-zero on any failure.
# Here a skipped test is a failure, as are a non-zero `make check`, a test without a fresh
# result, a file clang-format would change and an include across a module's boundary.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/deps.sh" test || exit 1
cd "$top" || exit 1
fuzz_seconds=${FUZZ_SECONDS:-60}
pass=0
fail=0

section() { printf '\n=== %s ===\n' "$*"; }
failed() {
	echo "FAIL: $*"
	fail=$((fail + 1))
}

# test_logs DIR: the .log file of every test that DIR's `make check` runs.
test_logs() {
	printf 'xb-test-logs:\n\t@echo $(TEST_LOGS)\n' |
		make -s -C "$1" -f Makefile -f - xb-test-logs | tr ' ' '\n' | grep .
}

# run_check DIR [ENV...]: `make check` in DIR, with its old results removed first so that
# every result counted is this run's. Counts each test's results: a skip, a missing result
# or a non-zero exit with nothing failed to explain it are failures too.
run_check() {
	local dir=$1 logs log trs rc before=$fail
	shift
	logs=$(test_logs "$dir") || {
		failed "$dir: cannot list the tests"
		return
	}
	for log in $logs; do rm -f "$dir/$log" "$dir/${log%.log}.trs"; done
	rm -f "$dir/test-suite.log"
	env "$@" make -C "$dir" -j2 check
	rc=$?
	for log in $logs; do
		trs=$dir/${log%.log}.trs
		if [ ! -f "$trs" ]; then
			failed "$dir: ${log%.log}: no result (did it build?)"
			continue
		fi
		pass=$((pass + $(grep -cE '^:test-result: (PASS|XFAIL)' "$trs")))
		fail=$((fail + $(grep -cE '^:test-result: (FAIL|ERROR|XPASS)' "$trs")))
		if grep -q '^:test-result: SKIP' "$trs"; then
			failed "$dir: ${log%.log}: skipped: $(grep -m1 -o '# SKIP.*' "$dir/$log")"
			fail=$((fail + $(grep -c '^:test-result: SKIP' "$trs") - 1))
		fi
	done
	if [ "$rc" -ne 0 ] && [ "$fail" -eq "$before" ]; then
		failed "$dir: make check exited $rc with no failed test to explain it"
	fi
}

section "habits: clang-format and includes"
if find core modules include lib tests contrib -name '*.[ch]' 2>/dev/null |
	xargs clang-format --dry-run -Werror; then
	pass=$((pass + 1))
else
	failed "clang-format would change the files above"
fi
if "$top/contrib/check-includes.sh"; then pass=$((pass + 1)); else
	failed "an include crosses a module's boundary (contrib/check-includes.sh)"
fi

section "build"
"$top/contrib/build.sh" "$top/build" || { echo "$pass passed, $((fail + 1)) failed"; exit 1; }
section "make check"
run_check "$top/build"

section "make check with AddressSanitizer and UndefinedBehaviorSanitizer"
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
if "$top/contrib/build.sh" "$top/build-asan" CFLAGS="-g -O1 $san" LDFLAGS="$san"; then
	run_check "$top/build-asan" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=print_stacktrace=1
else
	failed "the sanitizer build does not build"
fi

# Each target runs fuzz_seconds, or the seconds in tests/fuzz/NAME/seconds when FUZZ_SECONDS
# is not set (the smaller parsers take less, to keep the whole run within CI's time).
section "fuzz targets (${fuzz_seconds}s each, or what tests/fuzz/NAME/seconds says)"
for script in "$top"/tests/fuzz/build-*-fuzz.sh; do
	[ -e "$script" ] || continue
	name=$(basename "$script" .sh)
	name=${name#build-}
	name=${name%-fuzz}
	seconds=$fuzz_seconds
	if [ -z "${FUZZ_SECONDS:-}" ] && [ -f "$top/tests/fuzz/$name/seconds" ]; then
		seconds=$(cat "$top/tests/fuzz/$name/seconds")
	fi
	out=$top/build-fuzz/$name
	mkdir -p "$out"
	if ! bash "$script" "$out" >"$out/build.log" 2>&1; then
		failed "$name: fuzz target does not build"
		continue
	fi
	if bash "$top/tests/fuzz/run-fuzz.sh" "$out" "$seconds" "$top/tests/fuzz/$name/corpus" >"$out/run.log" 2>&1; then
		echo "PASS: $name: ran ${seconds}s clean"
		pass=$((pass + 1))
	else
		tail -30 "$out/run.log"
		failed "$name: see $out/run.log"
	fi
done

# The lines around each failed check, last, where a report that keeps only the run's head
# and tail still shows them.
if [ "$fail" -gt 0 ]; then
	section "why the failed checks failed"
	for dir in "$top/build" "$top/build-asan"; do
		[ -d "$dir" ] || continue
		grep -l '^:test-result: \(FAIL\|ERROR\|XPASS\)' $(find "$dir/tests" -name '*.trs' 2>/dev/null) /dev/null 2>/dev/null |
			while read -r trs; do
				echo "--- ${trs%.trs}.log"
				grep -E -A12 '^not ok' "${trs%.trs}.log" | grep -E '^(not ok|#)' | head -40
			done
	done
fi

echo
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
