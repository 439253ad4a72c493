#!/bin/bash
# test.sh: installs what is missing, builds, and runs the whole suite: `make check` (unit
# and integration tests), the same tests built with ASan+UBSan, and a short run of every
# fuzz target. Ends with one line "N passed, N failed" and exits non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/deps.sh" test || exit 1
cd "$top" || exit 1
fuzz_seconds=${FUZZ_SECONDS:-60}
extra_pass=0
extra_fail=0

section() { printf '\n=== %s ===\n' "$*"; }

section "build"
"$top/contrib/build.sh" "$top/build" || { echo "0 passed, 1 failed"; exit 1; }
section "make check"
make -C "$top/build" -j2 check || true

section "make check with AddressSanitizer and UndefinedBehaviorSanitizer"
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
if "$top/contrib/build.sh" "$top/build-asan" CFLAGS="-g -O1 $san" LDFLAGS="$san"; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=print_stacktrace=1 \
		make -C "$top/build-asan" -j2 check || true
else
	extra_fail=$((extra_fail + 1))
fi

section "fuzz targets (${fuzz_seconds}s each)"
for script in "$top"/tests/fuzz/build-*-fuzz.sh; do
	[ -e "$script" ] || continue
	name=$(basename "$script" .sh)
	name=${name#build-}
	name=${name%-fuzz}
	out=$top/build-fuzz/$name
	mkdir -p "$out"
	if ! bash "$script" "$out" >"$out/build.log" 2>&1; then
		echo "FAIL: $name: fuzz target does not build"
		extra_fail=$((extra_fail + 1))
		continue
	fi
	if bash "$top/tests/fuzz/run-fuzz.sh" "$out" "$fuzz_seconds" "$top/tests/fuzz/$name/corpus" >"$out/run.log" 2>&1; then
		echo "PASS: $name: ran ${fuzz_seconds}s clean"
		extra_pass=$((extra_pass + 1))
	else
		echo "FAIL: $name: see $out/run.log"
		tail -30 "$out/run.log"
		extra_fail=$((extra_fail + 1))
	fi
done

# Count every test result of both builds, plus the fuzz runs.
count() { cat "$top"/build/tests/*/*.trs "$top"/build/tests/*/*/*.trs \
	"$top"/build-asan/tests/*/*.trs "$top"/build-asan/tests/*/*/*.trs 2>/dev/null |
	grep -c "^:test-result: $1" || true; }
pass=$(($(count PASS) + $(count XFAIL) + extra_pass))
fail=$(($(count FAIL) + $(count ERROR) + $(count XPASS) + extra_fail))
skip=$(count SKIP)
echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
