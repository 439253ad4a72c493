#!/bin/bash
# bench_media.sh: the media relay benchmark, crossbar's media engine against rtpengine. N
# bridged G.711 calls, 50 packets a second each way, relayed on loopback; N rises until
# loss passes 0.1% or the added jitter 1 ms. It is a measurement, not a test: it exits 0
# unless a server cannot start.
#
#   usage: tests/bench/bench_media.sh [BUILD_DIR]      (default: $XB_BUILDDIR, else this tree)
#
# The load is tests/bench/rtp_load (built by `make bench`): 2N UDP sockets on 127.0.0.1, a
# stream of 172-byte RTP packets (PCMU, 20 ms) from each, through the relay to the call's
# other side; it measures loss, RFC 3550 interarrival jitter of the transit times (the
# kernel's arrival stamp against the sending time: what the relay adds), transit delay,
# and the CPU of the relay process (utime + stime of /proc/PID/stat, every thread) and its
# own over the same STEP_SECONDS (after WARMUP seconds of sending that do not count). In the
# same run, on the same machine, one step at a time each, through two servers:
#   crossbar   BUILD_DIR/core/crossbar with the test module mediatest
#              (tests/unit/modules/mod_mediatest.c): each call is two endpoints of the media
#              engine joined, their far ends set, made by `mediatest pair` (no SIP);
#              media.workers at its default (one worker thread per CPU),
#              media.rtp_ports=XB_PORTS.
#   rtpengine  Debian's rtpengine (rtpengine-daemon) in userspace (--table=-1: no kernel
#              forwarding), its default --num-threads (threads that share one poller: 4 on
#              this 2-CPU machine), ports RTPE_PORTS; each call made by an ng offer and answer
#              (tests/bench/media/ng.py), deleted after.
# Both relay each packet from one UDP socket to another in user space; rtpengine parses and
# counts RTP per stream (and would do RTCP, SRTP, recording), crossbar checks the version
# and the source (symmetric RTP) only. A crossbar endpoint lives on one worker, which has
# its own poller and takes up to 64 ready sockets a wake-up; any of rtpengine's threads
# takes any ready socket from their shared poller.
#
# A step is clean when loss <= MAX_LOSS percent and the mean jitter of the streams <=
# MAX_JITTER_MS. N doubles from START_N while either server is clean (at most MAX_N; which
# server goes first alternates from one N to the next), then each server's limit is
# bisected REFINE times between its last clean N and its first unclean one (to ROUND
# calls). Each step prints N, packets relayed per second, loss, jitter (mean and worst
# stream), p99 transit delay, the server's CPU (100% = one core), its CPU per relayed
# packet, and the load generator's CPU and lateness. The end gives, per server, the highest
# clean N, the packets per second per core at it (relayed packets / the server's CPU in
# cores) and the CPU per call; the CPU per packet at the highest N both carried clean (the
# same load); and the ratios crossbar / rtpengine.
#
# Caveats. The machine's CPUs are shared: rtp_load (two threads) runs on the same cores as
# the server and costs about as much per packet (one send and one receive system call a
# packet, as the relay), and other users' work shows as noise, in jitter first; quote
# medians of several runs. Transcoding is measured apart, without the network: the worker's
# transcoding function on one core, per 20 ms frame, for each pair of codecs
# (tests/bench/bench_transcode.c), printed at the end as the CPU a transcoded packet adds.
#
# Other settings (environment): STEP_SECONDS=10 WARMUP=1 START_N=50 MAX_N=1600 REFINE=2
#   ROUND=25 MAX_LOSS=0.1 MAX_JITTER_MS=1 BUDGET_SECONDS=600 (no step starts after this)
#   XB_PORTS=10000-19999 RTPE_PORTS=2000-9999 (4 ports a call each; they bound MAX_N) KEEP=1
#   (keep the temporary folder) XB_SET="KEY=VALUE ..." (further crossbar settings, e.g.
#   media.workers=1) XB_BENCH_SUMMARY=FILE (append the rows of `make bench`'s
#   table: tests/bench/run-all.sh).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-${XB_BUILDDIR:-$SRC}}" && pwd) || exit 1
CROSSBAR=$BUILD/core/crossbar
CLI=$BUILD/core/crossbar-cli
LOAD=$BUILD/tests/bench/rtp_load
NG=$SRC/tests/bench/media/ng.py
STEP_SECONDS=${STEP_SECONDS:-10}
WARMUP=${WARMUP:-1}
START_N=${START_N:-50}
MAX_N=${MAX_N:-1600}
REFINE=${REFINE:-2}
ROUND=${ROUND:-25}
MAX_LOSS=${MAX_LOSS:-0.1}
MAX_JITTER_MS=${MAX_JITTER_MS:-1}
BUDGET_SECONDS=${BUDGET_SECONDS:-600}
XB_PORTS=${XB_PORTS:-10000-19999}
RTPE_PORTS=${RTPE_PORTS:-2000-9999}
TMP=$(mktemp -d /tmp/crossbar-bench-media-XXXXXX)
chmod 700 "$TMP"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" -eq 0 ] && break
		sleep 0.3
	done
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in rtpengine python3 ss; do
	command -v "$tool" >/dev/null || {
		echo "bench_media: $tool is not installed (rtpengine: Debian's rtpengine-daemon)"
		exit 1
	}
done
for f in "$CROSSBAR" "$CLI" "$LOAD"; do
	[ -x "$f" ] || { echo "bench_media: no $f (make -C BUILD_DIR bench builds it)"; exit 1; }
done
MEDIATEST_DIR=$BUILD/tests/unit/modules
[ -e "$MEDIATEST_DIR/.libs/mod_mediatest.so" ] || [ -e "$MEDIATEST_DIR/mod_mediatest.so" ] ||
	{ echo "bench_media: no mod_mediatest.so in $MEDIATEST_DIR (make -C BUILD_DIR bench builds it)"; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null
START=$SECONDS
NCPU=$(nproc)

# A free loopback port (UDP and TCP) for the control of rtpengine.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		ss -Htuan "( sport = :$p )" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	echo "bench_media: no free port" >&2
	exit 1
}

declare -A PID LABEL BEST FAIL
read -r -a XB_SETTINGS <<<"${XB_SET:-}"
XB_ARGS=()
for s in "${XB_SETTINGS[@]}"; do XB_ARGS+=(--set "$s"); done
# crossbar: the media engine and mediatest only.
mkdir -p "$TMP/xb"
chmod 700 "$TMP/xb"
"$CROSSBAR" --set core.data_dir="$TMP/xb" --set core.modules=mediatest \
	--set core.modules_dir="$BUILD/modules:$MEDIATEST_DIR" --set media.rtp_ports="$XB_PORTS" \
	--set directory.demo_users=no --set core.log_level=warning "${XB_ARGS[@]}" \
	>"$TMP/crossbar.log" 2>&1 &
PID[crossbar]=$!
PIDS+=("$!")
SOCK=$TMP/xb/crossbar.sock
xb() { "$CLI" --socket "$SOCK" "$@"; }
for _ in $(seq 1 100); do
	[ -S "$SOCK" ] && xb status >/dev/null 2>&1 && break
	kill -0 "${PID[crossbar]}" 2>/dev/null || break
	sleep 0.1
done
xb mediatest >/dev/null 2>&1 || { echo "bench_media: crossbar did not start"; cat "$TMP/crossbar.log"; exit 1; }
XB_WORKERS=$(xb media | awk '$1 == "workers" { print $2 }')
LABEL[crossbar]="crossbar ($XB_WORKERS media workers)"

# rtpengine: no configuration file, userspace forwarding, loopback only.
NG_PORT=$(free_port)
rtpengine --config-file=none --table=-1 --interface=127.0.0.1 --listen-ng="127.0.0.1:$NG_PORT" \
	--port-min="${RTPE_PORTS%-*}" --port-max="${RTPE_PORTS#*-}" --foreground --log-stderr \
	--log-level=4 --delete-delay=0 --timeout=60 --pidfile="$TMP/rtpengine.pid" \
	>"$TMP/rtpengine.log" 2>&1 &
PID[rtpengine]=$!
PIDS+=("$!")
for _ in $(seq 1 50); do
	timeout 2 python3 "$NG" "$NG_PORT" ping >/dev/null 2>&1 && break
	kill -0 "${PID[rtpengine]}" 2>/dev/null || break
	sleep 0.2
done
python3 "$NG" "$NG_PORT" ping >/dev/null 2>&1 ||
	{ echo "bench_media: rtpengine did not start"; cat "$TMP/rtpengine.log"; exit 1; }
# Its default --num-threads: the threads that share its poller, named "poller".
RTPE_POLLERS=$(cat /proc/"${PID[rtpengine]}"/task/*/comm 2>/dev/null | grep -c '^poller$')
LABEL[rtpengine]="rtpengine $(rtpengine --version 2>&1 | awk '{ print $2 }') (userspace, $RTPE_POLLERS poller threads: its default)"

# xb_pairs PORTS_FILE TARGETS_FILE: crossbar's pairs for the generator's ports, 200 a command.
xb_pairs() {
	local args=() a b
	: >"$2.tmp"
	while read -r a b; do
		args+=("$a" "$b")
		if [ "${#args[@]}" -ge 400 ]; then
			xb mediatest pair 127.0.0.1 "${args[@]}" | awk 'NR > 1 { print $1, $2 }' >>"$2.tmp" || return 1
			args=()
		fi
	done <"$1"
	if [ "${#args[@]}" -gt 0 ]; then
		xb mediatest pair 127.0.0.1 "${args[@]}" | awk 'NR > 1 { print $1, $2 }' >>"$2.tmp" || return 1
	fi
	mv "$2.tmp" "$2"
}

# kv LINE KEY: a KEY=VALUE of rtp_load's line.
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

declare -A R # R[srv,n,field]: the figures of a step
STEPS=0
# step SERVER N: one step. Sets CLEAN (0/1) and prints the step's line.
step() {
	local srv=$1 n=$2 tag line rc
	STEPS=$((STEPS + 1))
	tag=s$STEPS
	rm -f "$TMP/ports" "$TMP/targets"
	timeout $((STEP_SECONDS + WARMUP + 180)) "$LOAD" "$n" "$TMP/ports" "$TMP/targets" \
		"$STEP_SECONDS" "$WARMUP" "${PID[$srv]}" >"$TMP/$tag.out" 2>"$TMP/$tag.err" &
	local lp=$!
	for _ in $(seq 1 600); do
		[ -e "$TMP/ports" ] && break
		kill -0 "$lp" 2>/dev/null || break
		sleep 0.05
	done
	if [ "$srv" = crossbar ]; then
		# the last step's port pairs rest 4 s before they are handed out again
		for _ in $(seq 1 60); do
			[ "$(xb media | awk '$1 == "port_pairs_resting" { print $2 }')" = 0 ] && break
			sleep 0.1
		done
		xb_pairs "$TMP/ports" "$TMP/targets" 2>>"$TMP/$tag.err"
	else
		python3 "$NG" "$NG_PORT" calls "$tag" "$TMP/ports" "$TMP/targets" 2>>"$TMP/$tag.err"
	fi
	rc=$?
	[ "$rc" -eq 0 ] || kill "$lp" 2>/dev/null
	wait "$lp"
	if [ "$srv" = crossbar ]; then
		xb mediatest clear >/dev/null
	else
		python3 "$NG" "$NG_PORT" delete "$tag" "$n" 2>>"$TMP/$tag.err"
	fi
	line=$(cat "$TMP/$tag.out")
	CLEAN=0
	if [ -z "$line" ]; then
		printf '%-10s %6s  failed: %s\n' "$srv" "$n" "$(head -c 200 "$TMP/$tag.err" | tr '\n' ' ')"
		R[$srv,$n,ok]=0
		return
	fi
	local f
	for f in pps loss_pct jitter_ms jitter_max_ms delay_p99_ms server_cpu_pct \
		server_us_per_pkt gen_cpu_pct gen_late_pct; do
		R[$srv,$n,$f]=$(kv "$line" "$f")
	done
	CLEAN=$(awk -v l="${R[$srv,$n,loss_pct]}" -v j="${R[$srv,$n,jitter_ms]}" \
		-v ml="$MAX_LOSS" -v mj="$MAX_JITTER_MS" 'BEGIN { print (l <= ml && j <= mj) ? 1 : 0 }')
	R[$srv,$n,ok]=$CLEAN
	printf '%-10s %6s %8s %8s %6s %6s %7s %6s %8s %6s %6s  %s\n' "$srv" "$n" "${R[$srv,$n,pps]}" \
		"${R[$srv,$n,loss_pct]}" "${R[$srv,$n,jitter_ms]}" "${R[$srv,$n,jitter_max_ms]}" \
		"${R[$srv,$n,delay_p99_ms]}" "${R[$srv,$n,server_cpu_pct]}" \
		"${R[$srv,$n,server_us_per_pkt]}" "${R[$srv,$n,gen_cpu_pct]}" \
		"${R[$srv,$n,gen_late_pct]}" "$([ "$CLEAN" = 1 ] && echo clean || echo over)"
}

echo "media relay: G.711 calls (172-byte RTP, 50 packets/s each way) on loopback, $NCPU CPUs"
echo "  ${LABEL[crossbar]}; ${LABEL[rtpengine]}"
echo "  clean: loss <= $MAX_LOSS%, mean jitter <= $MAX_JITTER_MS ms; $STEP_SECONDS s a step after $WARMUP s of warm-up"
printf '%-10s %6s %8s %8s %6s %6s %7s %6s %8s %6s %6s\n' server calls pkts/s loss% jit_ms \
	jitmax p99_ms cpu% us/pkt gen% late%
SERVERS=(crossbar rtpengine)
for srv in "${SERVERS[@]}"; do BEST[$srv]=0 FAIL[$srv]=0; done
n=$START_N
LEVEL=0
while [ "$n" -le "$MAX_N" ] && [ $((SECONDS - START)) -lt "$BUDGET_SECONDS" ]; do
	any=0
	# The order of the servers alternates from one level to the next.
	order=("${SERVERS[@]}")
	[ $((LEVEL++ % 2)) = 0 ] || order=("${SERVERS[1]}" "${SERVERS[0]}")
	for srv in "${order[@]}"; do
		[ "${FAIL[$srv]}" = 0 ] || continue
		step "$srv" "$n"
		if [ "$CLEAN" = 1 ]; then BEST[$srv]=$n any=1; else FAIL[$srv]=$n; fi
	done
	[ "$any" = 1 ] || break
	n=$((n * 2))
done
for srv in "${SERVERS[@]}"; do
	lo=${BEST[$srv]} hi=${FAIL[$srv]}
	[ "$hi" -gt 0 ] || continue
	for _ in $(seq 1 "$REFINE"); do
		[ $((SECONDS - START)) -lt "$BUDGET_SECONDS" ] || break
		mid=$(((lo + hi) / 2 / ROUND * ROUND))
		if [ "$mid" -le "$lo" ] || [ "$mid" -ge "$hi" ]; then break; fi
		step "$srv" "$mid"
		if [ "$CLEAN" = 1 ]; then lo=$mid; else hi=$mid; fi
	done
	BEST[$srv]=$lo FAIL[$srv]=$hi
done

# The figures at each server's highest clean N: calls, relayed packets per second per core
# of the server's CPU, CPU per call (percent of a core, and microseconds a second).
echo
declare -A PPC CPC US
for srv in "${SERVERS[@]}"; do
	b=${BEST[$srv]}
	if [ "$b" -gt 0 ]; then
		PPC[$srv]=$(awk -v p="${R[$srv,$b,pps]}" -v c="${R[$srv,$b,server_cpu_pct]}" 'BEGIN { printf "%.0f", (c > 0 ? p / (c / 100) : 0) }')
		CPC[$srv]=$(awk -v n="$b" -v c="${R[$srv,$b,server_cpu_pct]}" 'BEGIN { printf "%.3f", c / n }')
		US[$srv]=${R[$srv,$b,server_us_per_pkt]}
		limit=$([ "${FAIL[$srv]}" -gt 0 ] && echo "over at ${FAIL[$srv]}" || echo "every level up to $MAX_N")
		printf '%-10s %5s calls clean (%s): %s relayed packets/s per core, %s%% of a core per call, %s us CPU per packet\n' \
			"$srv:" "$b" "$limit" "${PPC[$srv]}" "${CPC[$srv]}" "${US[$srv]}"
	else
		PPC[$srv]=- CPC[$srv]=- US[$srv]=-
		echo "$srv: no level clean (the first was $START_N calls)"
	fi
done
# The highest N both carried clean: CPU per packet there, where the load is the same.
both=0
for key in "${!R[@]}"; do
	case $key in crossbar,*,ok) ;; *) continue ;; esac
	k=${key#crossbar,}
	k=${k%,ok}
	[ "${R[$key]}" = 1 ] && [ "${R[rtpengine,$k,ok]:-0}" = 1 ] && [ "$k" -gt "$both" ] && both=$k
done
if [ "$both" -gt 0 ]; then
	echo "at $both calls (the highest both carried clean): CPU per relayed packet crossbar ${R[crossbar,$both,server_us_per_pkt]} us, rtpengine ${R[rtpengine,$both,server_us_per_pkt]} us; server CPU ${R[crossbar,$both,server_cpu_pct]}% and ${R[rtpengine,$both,server_cpu_pct]}% of a core"
fi
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { if (x + 0 > 0 && y + 0 > 0) printf "%.2f", x / y; else print "n/a" }'; }
echo "ratio crossbar / rtpengine: calls $(ratio "${BEST[crossbar]}" "${BEST[rtpengine]}") (higher wins)," \
	"packets/s per core $(ratio "${PPC[crossbar]}" "${PPC[rtpengine]}") (higher wins)," \
	"CPU per packet $(ratio "${US[crossbar]}" "${US[rtpengine]}") (lower wins)"
# Transcoding: what the worker spends on each 20 ms frame it transcodes
# (tests/bench/bench_transcode, the worker's own function on one core), on top of the relay.
TRANSCODE=$BUILD/tests/bench/bench_transcode
XC_US=-
if [ -x "$TRANSCODE" ]; then
	"$TRANSCODE" | tee "$TMP/transcode.txt"
	XC_US=$(awk '$1 == "PCMU" && $3 == "PCMA" {print $4}' "$TMP/transcode.txt")
	XC_G722=$(awk '$1 == "PCMU" && $3 == "G722" {print $4}' "$TMP/transcode.txt")
	echo "transcoding: PCMU <-> PCMA adds $XC_US us of CPU per packet (G.711 -> G.722 $XC_G722 us)," \
		"against crossbar's ${US[crossbar]} us to relay one"
else
	echo "transcoding: $TRANSCODE is not built (make check or make bench builds it)"
fi
all=0
[ "${FAIL[crossbar]}" = 0 ] && [ "${FAIL[rtpengine]}" = 0 ] && all=1
[ "$all" = 1 ] && echo "both carried every level up to $MAX_N calls: raise MAX_N (and the port ranges) to find a limit"
echo "note: the load generator runs on the same $NCPU CPUs (its CPU is the gen% column); $((SECONDS - START)) s"

if [ -n "${XB_BENCH_SUMMARY:-}" ]; then
	{
		if [ "$all" = 1 ]; then
			printf '%s\t%s\trtpengine\t%s\n' "media calls clean (higher)" "$MAX_N+" "$MAX_N+"
		else
			printf '%s\t%s\trtpengine\t%s\n' "media calls clean (higher)" "${BEST[crossbar]}" "${BEST[rtpengine]}"
		fi
		printf '%s\t%s\trtpengine\t%s\n' "media pkts/s per core (higher)" "${PPC[crossbar]}" "${PPC[rtpengine]}"
		printf '%s\t%s\trtpengine\t%s\n' "media CPU us/packet (lower)" "${US[crossbar]}" "${US[rtpengine]}"
		[ "$both" -gt 0 ] && printf '%s\t%s\trtpengine\t%s\n' "media CPU us/packet @$both (lower)" \
			"${R[crossbar,$both,server_us_per_pkt]}" "${R[rtpengine,$both,server_us_per_pkt]}"
		printf '%s\t%s\trtpengine\t%s\n' "media transcode PCMU->PCMA us/packet (lower)" "$XC_US" "-"
		printf 'note\t%s\n' "media: clean is loss <= $MAX_LOSS% and jitter <= $MAX_JITTER_MS ms; packets/s per core and CPU per packet at each server's highest clean level, and @N where both were clean; transcoding is crossbar's extra CPU per transcoded packet (tests/bench/bench_transcode), not measured for rtpengine."
	} >>"$XB_BENCH_SUMMARY"
fi
exit 0
