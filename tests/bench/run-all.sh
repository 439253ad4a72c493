#!/bin/bash
# run-all.sh: `make bench`. Runs every benchmark of tests/bench/ against the build in
# BUILD_DIR, each measuring crossbar and its peer in the same run, and ends with one table
# of 80 columns: the figure, crossbar's value, the peer and its value, and the ratio
# crossbar / peer (a figure's name says whether the higher or the lower wins). Each benchmark's
# own report is printed first, as it runs. It is a measurement, not a test.
#
#   usage: tests/bench/run-all.sh [BUILD_DIR]        (default: $XB_BUILDDIR, else this tree)
#
# Each benchmark appends its rows to the file named by XB_BENCH_SUMMARY, one a line,
# separated by tabs: FIGURE, CROSSBAR, PEER, PEER_VALUE; or "note" and a sentence printed
# under the table. A value that is not a number (a benchmark that did not reach a figure)
# gives no ratio.
#
# Settings (environment): BENCHES="sip register calls turn media" (which to run, in that
# order), SIP_ITERATIONS and SIP_RUNS (bench_sip_parse's arguments); the others' own
# settings pass through (bench_register.sh: REPS, USERS, STEP_SECONDS ...; bench_calls.sh:
# REPS, CONCURRENT, RAMP_SECONDS ...; bench_turn.sh: LEVELS, SECONDS_PER_LEVEL ...;
# bench_media.sh: STEP_SECONDS, MAX_N, REFINE ...).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-${XB_BUILDDIR:-$SRC}}" && pwd) || exit 1
read -r -a BENCHES <<<"${BENCHES:-sip register calls turn media}"
SUMMARY=$(mktemp /tmp/crossbar-bench-summary-XXXXXX)
trap 'rm -f "$SUMMARY"' EXIT
export XB_BENCH_SUMMARY=$SUMMARY XB_BUILDDIR=$BUILD
START=$SECONDS

note() { printf 'note\t%s\n' "$*" >>"$SUMMARY"; }

for b in "${BENCHES[@]}"; do
	echo "=== $b"
	t0=$SECONDS
	case $b in
	sip)
		if [ -x "$BUILD/tests/bench/bench_sip_parse" ]; then
			# shellcheck disable=SC2086
			"$BUILD/tests/bench/bench_sip_parse" ${SIP_ITERATIONS:-} ${SIP_RUNS:-}
		else
			echo "skipped: no $BUILD/tests/bench/bench_sip_parse (configure found no libosip2 headers)"
			false
		fi
		;;
	register) "$SRC/tests/bench/bench_register.sh" "$BUILD" ;;
	calls) "$SRC/tests/bench/bench_calls.sh" "$BUILD" ;;
	turn) "$SRC/tests/bench/bench_turn.sh" "$BUILD" ;;
	media) "$SRC/tests/bench/bench_media.sh" "$BUILD" ;;
	*)
		echo "run-all: no benchmark '$b' (sip, register, calls, turn, media)"
		false
		;;
	esac
	rc=$?
	[ "$rc" -eq 0 ] || note "$b did not finish (exit $rc); its figures are missing."
	echo "=== $b: $((SECONDS - t0)) s"
	echo
done

echo "crossbar against its peers, measured in the same run on $(nproc) CPUs ($((SECONDS - START)) s)"
awk -F '\t' '
	function num(v) { return v ~ /^[0-9]+(\.[0-9]+)?$/ }
	# wrap(TEXT, LEAD): TEXT in lines of at most 80 characters, the first led by LEAD and
	# the others indented as deep.
	function wrap(text, lead,   w, n, i, line, k) {
		n = split(text, w, " ")
		line = lead
		k = 0
		for (i = 1; i <= n; i++) {
			if (k > 0 && length(line) + 1 + length(w[i]) > 80) {
				print line
				line = sprintf("%" length(lead) "s", "")
				k = 0
			}
			line = line (k++ ? " " : "") w[i]
		}
		print line
	}
	BEGIN {
		fmt = "%-32s %9s  %-16s %9s %7s\n"
		printf fmt, "figure", "crossbar", "peer", "peer\047s", "ratio"
		printf "%s\n", "--------------------------------------------------------------------------------"
	}
	$1 == "note" { if (!seen[$2]++) notes[++n] = $2; next }
	NF >= 4 {
		ratio = num($2) && num($4) && $4 > 0 ? sprintf("%.2f", $2 / $4) : "n/a"
		fig = $1
		if (length(fig) > 32) { print fig; fig = "" }
		printf fmt, fig, $2, substr($3, 1, 16), $4, ratio
		rows++
	}
	END {
		if (!rows) print "(no figures)"
		wrap("ratio = crossbar / peer; (higher) or (lower) says which wins. Peers: libosip2 (parser), Kamailio CHILDREN:DB_MODE (registrar), Kamailio as a stateful proxy (calls), coturn (TURN), rtpengine (media); \"aim\" is a target, not a peer: see the README.", "")
		for (i = 1; i <= n; i++) wrap(notes[i], "- ")
	}' "$SUMMARY"
