#!/bin/bash
# bench_calls.sh: calls-per-second and memory-per-call benchmark, crossbar against Kamailio.
# Not part of make check; it is a measurement, not a test, and exits 0 unless a server
# cannot start.
#
#   usage: tests/bench/bench_calls.sh [BUILD_DIR]      (default: this source tree)
#
# Part 1, calls per second. SIPp's caller (tests/bench/calls/uac.xml: SIPp's built-in uac
# scenario, with the route set of the 200 kept for the ACK and the BYE) places calls on
# 127.0.0.1 to a callee, SIPp's UAS (tests/bench/calls/uas.xml: the built-in uas, which
# copies Record-Route into its answers): INVITE with SDP, 180, 200 with SDP, ACK, BYE, 200,
# no pause between ACK and BYE, signalling only (no RTP). In the same run, on the same
# machine, through two servers:
#   crossbar  BUILD_DIR/core/crossbar, core.modules=XB_MODULES (default sip,registrar,cdr:
#             the default configuration's modules, so every call writes its detail record
#             as an operator's crossbar does; XB_MODULES=sip,registrar measures the
#             signalling alone), its own temporary data directory, log level warning,
#             every other setting at its default. SIPp plays a
#             carrier trunk: crossbar.xml holds a <gateway> whose proxy is 127.0.0.1, so the
#             INVITEs (which carry no credentials) are routed in the "public" context, where
#             a plan bridges every number to the UAS (bridge sip:NUMBER@127.0.0.1:UAS_PORT).
#             A B2BUA: two dialogs and a bridge per call, four transactions a call.
#   kamailio  Debian's kamailio as a stateful proxy (tests/bench/calls/kamailio.cfg.in: tm,
#             rr, sl, maxfwd, siputils; record_route, t_relay to the UAS, loose_route within
#             the dialog), CHILDREN UDP workers (default 2, this machine's cores). It keeps
#             no dialog state and relays the ACK of the 2xx statelessly, so it does less per
#             call than crossbar: the ratio compares a B2BUA with a proxy.
#
# A step runs SIPp at RATE calls/s for STEP_SECONDS seconds (RATE x STEP_SECONDS calls). It
# is clean when every call succeeded (no failed call, no timeout: -recv_timeout 2 s) and SIPp
# finished within STEP_SECONDS x 1.05 + 0.5 s (the server kept up with the rate).
# Retransmissions (a request unanswered for 500 ms) are counted in each step's line; STRICT=1
# also requires none. The search doubles the rate from START_RATE until a step is not clean
# (or MAX_RATE), then bisects REFINE times between the last clean and the first unclean rate
# (to ROUND calls/s); the highest clean rate is the figure. REPS repetitions (the order of
# the servers rotates); the table gives the median, each repetition's figure, the CPU the
# server used at that rate (Kamailio: all its processes; 100% = one core), SIPp's (caller and
# callee together), and the ratio crossbar / kamailio.
#
# Part 2, crossbar's memory per concurrent call. A freshly started crossbar (same settings)
# takes CONCURRENT calls (default 10000) from SIPp at CONCURRENT / RAMP_SECONDS calls/s
# (-l CONCURRENT), each held for RAMP_SECONDS + HOLD_SECONDS (SIPp's -d) before the caller's
# BYE. Its resident memory (VmRSS of /proc/PID/status) is read before the first call and
# HOLD_SECONDS / 2 after the ramp ends; the figure is (RSS at the plateau - RSS before) /
# calls held, in KiB, with the calls held counted twice: by SIPp (its current calls) and by
# crossbar (`crossbar-cli --json calls`: bridged channels / 2). The aim (AIM_KIB, default
# 32 KiB a call, at CONCURRENT calls all held) is printed as met or not. The RSS includes
# what the transaction layer still holds of the ramp's INVITE transactions (RFC 6026's
# Accepted state, 32 s), malloc's free lists and fragmentation, as an operator would see it.
#
# Caveats. The machine's 2 cores are shared: SIPp's caller and callee run on the same cores
# as the server, and at crossbar's peak they use most of a core themselves, so the figures
# are what a server reaches next to its load generator, not alone, and other users' work
# shows up as noise (quote medians). Crossbar runs one event-loop thread; Kamailio CHILDREN
# workers. crossbar's default sip.max_transaction_memory (64 MB) bounds the server
# transactions it holds (an answered INVITE's, in RFC 6026's Accepted state, counts only
# its key and response); part 1 raises it to XB_TX_MB (default 1024, as the 1024 MB of
# shared memory Kamailio is given for its transactions; XB_TX_MB="": crossbar's default),
# and part 2, an operator's view, keeps the default. XB_SET="KEY=VALUE ..." passes further settings to crossbar (both parts).
#
# Other settings (environment): BYPASS_MEDIA=true XB_MODULES=sip,registrar,cdr STEP_SECONDS=5 REPS=3 START_RATE=200 MAX_RATE=12800
#   REFINE=3 ROUND=50 XB_TX_MB=1024 BUDGET_SECONDS=330 (no repetition starts after this) STRICT=0
#   SETTLE_SECONDS=40 (a search, and a step after an unclean one, starts when the server
#   is idle, or after this long)
#   CHILDREN=2 CONCURRENT=10000 RAMP_SECONDS=20 HOLD_SECONDS=10 AIM_KIB=32 (CONCURRENT=0:
#   no part 2) KEEP=1 (keep the temporary folder: logs, SIPp statistics and errors of every
#   step), XB_BENCH_SUMMARY=FILE (append the rows of `make bench`'s table:
#   tests/bench/run-all.sh).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-${XB_BUILDDIR:-$SRC}}" && pwd) || exit 1
CROSSBAR=$BUILD/core/crossbar
CLI=$BUILD/core/crossbar-cli
HERE=$SRC/tests/bench/calls
STEP_SECONDS=${STEP_SECONDS:-5}
REPS=${REPS:-3}
START_RATE=${START_RATE:-200}
MAX_RATE=${MAX_RATE:-12800}
REFINE=${REFINE:-3}
ROUND=${ROUND:-50}
BUDGET_SECONDS=${BUDGET_SECONDS:-330}
SETTLE_SECONDS=${SETTLE_SECONDS:-40}
STRICT=${STRICT:-0}
CHILDREN=${CHILDREN:-2}
CONCURRENT=${CONCURRENT:-10000}
RAMP_SECONDS=${RAMP_SECONDS:-20}
HOLD_SECONDS=${HOLD_SECONDS:-10}
AIM_KIB=${AIM_KIB:-32}
XB_TX_MB=${XB_TX_MB-1024}
XB_MODULES=${XB_MODULES:-sip,registrar,cdr}
# Signalling only: the session descriptions pass unchanged (no media anchored, no RTP port
# pairs taken), as the proxy does; BYPASS_MEDIA=false anchors media as crossbar does by
# default (two endpoints a call, and 10,000 calls need media.rtp_ports for 20,000 pairs).
BYPASS_MEDIA=${BYPASS_MEDIA:-true}
read -r -a XB_SETTINGS <<<"${XB_SET:-}"
TMP=$(mktemp -d /tmp/crossbar-bench-calls-XXXXXX)
chmod 700 "$TMP"
PIDS=()
cleanup() {
	local alive p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" -eq 0 ] && break
		sleep 0.3
	done
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in sipp kamailio ss; do
	command -v "$tool" >/dev/null || { echo "bench_calls: $tool is not installed"; exit 1; }
done
[ -x "$CROSSBAR" ] || { echo "bench_calls: no $CROSSBAR (build first)"; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null
START=$SECONDS
TCK=$(getconf CLK_TCK)

# A free loopback port (UDP and TCP) below the ephemeral range, not handed out before.
USED_PORTS=" "
port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		case "$USED_PORTS" in *" $p "*) continue ;; esac
		if ! ss -Htuan "( sport = :$p )" 2>/dev/null | grep -q .; then
			USED_PORTS="$USED_PORTS$p "
			return 0
		fi
	done
	echo "bench_calls: no free port" >&2
	exit 1
}
# port_var NAME: a free port into $NAME (the last one port() handed out).
port_var() { port && eval "$1=\${USED_PORTS% }" && eval "$1=\${$1##* }"; }

# wait_udp PORT PID: until something listens on the UDP port, or the process is gone.
wait_udp() {
	for _ in $(seq 1 50); do
		ss -Huan "( sport = :$1 )" 2>/dev/null | grep -q . && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

declare -A PORT PID SIPP_PORT UAS_PID UAS_PORT LABEL
# Kamailio's workers may relay a call's 180 after its 200 (each takes the next datagram off
# the socket): SIPp's caller ignores a message it does not expect rather than abort the
# call; a call that then misses what it waits for still fails, by its timeout.
TOLERATE="-default_behaviors all,-abortunexp"
SERVERS=(crossbar kamailio)
CALL_MS=$(((RAMP_SECONDS + HOLD_SECONDS) * 1000))

# The callees: one SIPp UAS per server, up for the whole run. A call whose BYE never comes
# ends after the longest call of part 2 and a margin.
for srv in "${SERVERS[@]}"; do
	p=''
	port_var p
	sipp -sf "$HERE/uas.xml" -i 127.0.0.1 -p "$p" -buff_size 4194304 -nostdin \
		-recv_timeout $((CALL_MS + 30000)) -trace_err -error_file "$TMP/uas-$srv.err" \
		>"$TMP/uas-$srv.out" 2>&1 &
	UAS_PID[$srv]=$!
	PIDS+=("$!")
	UAS_PORT[$srv]=$p
	wait_udp "$p" "$!" || { echo "bench_calls: SIPp's UAS did not start"; cat "$TMP/uas-$srv.out"; exit 1; }
done

# crossbar: a trunk at 127.0.0.1 (SIPp's address; the port is not compared), and a plan
# that bridges every number to the UAS.
cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="callee">
      <condition field="destination_number" expression="^(\\d+)\$">
        <action application="set" data="bypass_media=$BYPASS_MEDIA"/>
        <action application="bridge" data="sip:\$1@127.0.0.1:${UAS_PORT[crossbar]}"/>
      </condition>
    </extension>
  </context>
</include>
XML
cat >"$TMP/crossbar.xml" <<XML
<?xml version="1.0"?>
<crossbar>
  <gateways>
    <gateway name="carrier">
      <param name="proxy" value="127.0.0.1:5999"/>
    </gateway>
  </gateways>
</crossbar>
XML

# start_crossbar DATA_DIR [KEY=VALUE...]: a crossbar listening on PORT[crossbar]; sets
# PID[crossbar].
start_crossbar() {
	local data=$1 s args=()
	shift
	mkdir -p "$data"
	chmod 700 "$data"
	for s in "$@" "${XB_SETTINGS[@]}"; do args+=(--set "$s"); done
	"$CROSSBAR" --config "$TMP/crossbar.xml" --set core.modules="$XB_MODULES" \
		--set core.data_dir="$data" --set sip.listen=udp:127.0.0.1:${PORT[crossbar]} \
		--set dialplan.file="$TMP/plan.xml" --set directory.demo_users=no \
		--set core.log_level=warning "${args[@]}" >>"$TMP/crossbar.log" 2>&1 &
	PID[crossbar]=$!
	PIDS+=("$!")
	SOCK=$data/crossbar.sock
	for _ in $(seq 1 100); do
		[ -S "$SOCK" ] && "$CLI" --socket "$SOCK" status >/dev/null 2>&1 && break
		kill -0 "${PID[crossbar]}" 2>/dev/null || break
		sleep 0.1
	done
	"$CLI" --socket "$SOCK" status >/dev/null 2>&1 ||
		{ echo "bench_calls: crossbar did not start"; cat "$TMP/crossbar.log"; exit 1; }
}
# stop PID: ends a server and waits for it (at most 5 s).
stop() {
	kill "$1" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null # (Debian's Kamailio 5.6 may crash on its way out: not reported)
}

p='' sp=''
port_var p
port_var sp
PORT[crossbar]=$p
SIPP_PORT[crossbar]=$sp
if [ -n "$XB_TX_MB" ]; then
	LABEL[crossbar]="crossbar (B2BUA, 1 thread, ${XB_TX_MB} MB tx, $XB_MODULES)"
	start_crossbar "$TMP/crossbar-cps" "sip.max_transaction_memory=$XB_TX_MB"
else
	LABEL[crossbar]="crossbar (B2BUA, 1 thread, $XB_MODULES)"
	start_crossbar "$TMP/crossbar-cps"
fi

port_var p
port_var sp
PORT[kamailio]=$p
SIPP_PORT[kamailio]=$sp
LABEL[kamailio]="kamailio (proxy, $CHILDREN worker$([ "$CHILDREN" = 1 ] || echo s))"
mkdir -p "$TMP/kamailio"
sed -e "s|@PORT@|$p|g; s|@UAS_PORT@|${UAS_PORT[kamailio]}|g; s|@CHILDREN@|$CHILDREN|g" \
	"$HERE/kamailio.cfg.in" >"$TMP/kamailio/kamailio.cfg"
kamailio -DD -E -f "$TMP/kamailio/kamailio.cfg" -Y "$TMP/kamailio" -P "$TMP/kamailio/kamailio.pid" \
	-w "$TMP/kamailio" -m 1024 -M 16 >"$TMP/kamailio.log" 2>&1 & # tm: ~4 KB a transaction for 5 s
PID[kamailio]=$!
PIDS+=("$!")
wait_udp "$p" "${PID[kamailio]}"
sleep 0.3
kill -0 "${PID[kamailio]}" 2>/dev/null || { echo "bench_calls: kamailio did not start"; cat "$TMP/kamailio.log"; exit 1; }

# server_stats PID: "PID TICKS" for a process and each of its children (Kamailio's
# workers), TICKS its CPU time so far (user + system).
server_stats() {
	local root=$1 pid stat line rest
	for stat in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$stat" || continue
		pid=${line%% *}
		rest=${line##*) }
		# shellcheck disable=SC2086
		set -- $rest
		# from the state field on: 2 ppid, 12 utime, 13 stime
		if [ "$pid" = "$root" ] || [ "$2" = "$root" ]; then echo "$pid $((${12} + ${13}))"; fi
	done
}
# cpu_ticks PID: CPU ticks (user + system) of a process and its children (Kamailio's workers).
cpu_ticks() { server_stats "$1" | awk '{ t += $2 } END { print t + 0 }'; }
# own_ticks PID: CPU ticks of one process.
own_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# children_cs FILE: CPU time (centiseconds, user + system) of this shell's finished children
# (SIPp's caller) from the output of `times`, which runs in this shell, not in a subshell.
children_cs() {
	tail -n 1 "$1" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d", t * 100 }'
}

# step SERVER RATE CALLS TAG: one SIPp run. Sets STEP_OK (0/1), STEP_CPU, STEP_SIPP_CPU, STEP_LINE.
step() {
	local srv=$1 rate=$2 calls=$3 tag=$4 stf t0 t1 c0 c1 s0 s1 u0 u1 rc ms
	stf=$TMP/$tag.csv
	c0=$(cpu_ticks "${PID[$srv]}")
	u0=$(own_ticks "${UAS_PID[$srv]}")
	times >"$TMP/times"
	s0=$(children_cs "$TMP/times")
	t0=$(date +%s%N)
	timeout $((STEP_SECONDS * 3 + 20)) sipp -sf "$HERE/uac.xml" -s 1000 \
		-i 127.0.0.1 -p "${SIPP_PORT[$srv]}" -buff_size 4194304 -r "$rate" -rp 1000 -m "$calls" -l $((rate * 2 + 10)) \
		-recv_timeout 2000 -timeout $((STEP_SECONDS * 3 + 10)) -timeout_error -nostdin $TOLERATE \
		-trace_stat -stf "$stf" -fd 1 -trace_err -error_file "$TMP/$tag.err" \
		"127.0.0.1:${PORT[$srv]}" >"$TMP/$tag.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	times >"$TMP/times"
	s1=$(children_cs "$TMP/times")
	u1=$(own_ticks "${UAS_PID[$srv]}")
	c1=$(cpu_ticks "${PID[$srv]}")
	ms=$(((t1 - t0) / 1000000))
	[ "$ms" -gt 0 ] || ms=1
	STEP_CPU=$(((c1 - c0) * 100000 / TCK / ms))
	STEP_SIPP_CPU=$((((s1 - s0) * 1000 + (u1 - u0) * 100000 / TCK) / ms))
	# Columns of SIPp's statistics file: 16 SuccessfulCall(C), 18 FailedCall(C),
	# 58 Retransmissions(C), 70 ResponseTime1(C) (INVITE to 200, mean, HH:MM:SS:us).
	local ok=0 fail=0 retr=0 rtt='?' f
	if [ -s "$stf" ]; then
		IFS=';' read -r -a f < <(tail -n 1 "$stf")
		ok=${f[15]:-0} fail=${f[17]:-0} retr=${f[57]:-0} rtt=${f[69]:-?}
	fi
	rtt=$(echo "$rtt" | awk -F: 'NF == 4 {printf "%.1f", ($1 * 3600 + $2 * 60 + $3) * 1000 + $4 / 1000; next} {print "?"}')
	STEP_OK=0
	if [ "$rc" -eq 0 ] && [ "$ok" -eq "$calls" ] && [ "$fail" -eq 0 ] &&
		{ [ "$STRICT" = 0 ] || [ "$retr" -eq 0 ]; } &&
		[ "$ms" -le $((STEP_SECONDS * 1050 + 500)) ]; then STEP_OK=1; fi
	STEP_LINE=$(printf '%-8s %6d/s %6d calls: ok %6d failed %5d retrans %5d in %5.2f s, setup %5s ms, cpu server %3d%% sipp %3d%%: %s' \
		"$srv" "$rate" "$calls" "$ok" "$fail" "$retr" "$(echo "$ms" | awk '{print $1/1000}')" "$rtt" \
		"$STEP_CPU" "$STEP_SIPP_CPU" "$([ $STEP_OK = 1 ] && echo clean || echo "NOT CLEAN (sipp exit $rc)")")
}

# settle SERVER: until the server is idle (under 5% of a core over a second), at most
# SETTLE_SECONDS. After an unclean step a B2BUA still works off the calls that failed at
# SIPp (2xx retransmitted until Timer H, BYEs, transactions ending): the next step, or the
# next search, must not start on that backlog, which would measure the previous step.
settle() {
	local t0 t1 c0 c1
	for _ in $(seq 1 "$SETTLE_SECONDS"); do
		c0=$(cpu_ticks "${PID[$1]}")
		t0=$(date +%s%N)
		sleep 1
		c1=$(cpu_ticks "${PID[$1]}")
		t1=$(date +%s%N)
		[ $(((c1 - c0) * 100000 / TCK / ((t1 - t0) / 1000000 + 1))) -lt 5 ] && return 0
	done
	echo "$1 still busy after ${SETTLE_SECONDS} s"
}

# search SERVER REP: doubling, then bisection. Sets BEST, BEST_CPU, BEST_SIPP_CPU, LIMIT.
search() {
	local srv=$1 rep=$2 r=$START_RATE lo=0 hi=0 mid
	BEST_CPU=0 BEST_SIPP_CPU=0 LIMIT=""
	settle "$srv"
	try() {
		step "$srv" "$1" $(($1 * STEP_SECONDS)) "rep$rep-$srv-$1"
		echo "rep $rep  $STEP_LINE"
		if [ "$STEP_OK" = 1 ]; then
			BEST_CPU=$STEP_CPU BEST_SIPP_CPU=$STEP_SIPP_CPU
			sleep 1
		else
			[ -n "$LIMIT" ] || LIMIT="server ${STEP_CPU}% sipp ${STEP_SIPP_CPU}% at $1/s: $(first_error "$TMP/rep$rep-$srv-$1.err")"
			sleep 3 # let a saturated server drain
			settle "$srv"
		fi
		[ "$STEP_OK" = 1 ]
	}
	while [ "$r" -le "$MAX_RATE" ]; do
		if try "$r"; then lo=$r r=$((r * 2)); else hi=$r && break; fi
	done
	if [ "$hi" -gt 0 ]; then
		for _ in $(seq 1 "$REFINE"); do
			mid=$((((lo + hi) / 2 + ROUND / 2) / ROUND * ROUND))
			[ "$mid" -gt "$lo" ] && [ "$mid" -lt "$hi" ] || break
			if try "$mid"; then lo=$mid; else hi=$mid; fi
		done
	else
		LIMIT="MAX_RATE reached"
	fi
	BEST=$lo
}
# first_error FILE: what SIPp's error file says most often (the status a failed call got,
# or a timeout), or that the step was only late.
first_error() {
	local e
	e=$(grep -ao "received 'SIP/2.0 [0-9]*\|receive timeout\|Dead call" "$1" 2>/dev/null |
		sed "s/received 'SIP\/2.0 /status /" | sort | uniq -c | sort -rn | head -n 2 | awk '{$1 = $1 "x"; print}' | paste -sd ',')
	echo "${e:-no failed call, late}"
}

declare -A RESULT CPU SIPP_CPU FIRST_FAIL
DONE_REPS=0
for rep in $(seq 1 "$REPS"); do
	if [ "$rep" -gt 1 ] && [ $((SECONDS - START)) -gt "$BUDGET_SECONDS" ]; then
		echo "time budget spent after $((rep - 1)) repetition(s)"
		break
	fi
	n=${#SERVERS[@]}
	for k in $(seq 0 $((n - 1))); do
		srv=${SERVERS[$(((k + rep - 1) % n))]}
		search "$srv" "$rep"
		RESULT[$srv,$rep]=$BEST
		CPU[$srv,$rep]=$BEST_CPU
		SIPP_CPU[$srv,$rep]=$BEST_SIPP_CPU
		FIRST_FAIL[$srv,$rep]=$LIMIT
	done
	DONE_REPS=$rep
done
stop "${PID[kamailio]}"
stop "${PID[crossbar]}"

# Part 2: CONCURRENT calls held by a fresh crossbar.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# held_calls: calls crossbar has bridged (two bridged channels each).
held_calls() {
	"$CLI" --socket "$SOCK" --json calls 2>/dev/null | grep -o '"state":"bridged"' | wc -l | awk '{ print int($1 / 2) }'
}
MEM_DONE=0
if [ "$CONCURRENT" -gt 0 ]; then
	sleep 2
	start_crossbar "$TMP/crossbar-mem"
	sleep 1
	RSS0=$(rss_kib "${PID[crossbar]}")
	MEM_RATE=$(((CONCURRENT + RAMP_SECONDS - 1) / RAMP_SECONDS))
	stf=$TMP/concurrent.csv
	timeout $((RAMP_SECONDS * 2 + HOLD_SECONDS + 60)) sipp -sf "$HERE/uac.xml" -s 1000 \
		-i 127.0.0.1 -p "${SIPP_PORT[crossbar]}" -buff_size 4194304 -r "$MEM_RATE" -rp 1000 \
		-m "$CONCURRENT" -l "$CONCURRENT" -d "$CALL_MS" -recv_timeout 5000 -timeout_error -nostdin $TOLERATE \
		-trace_stat -stf "$stf" -fd 1 -trace_err -error_file "$TMP/concurrent.err" \
		"127.0.0.1:${PORT[crossbar]}" >"$TMP/concurrent.out" 2>&1 &
	MEM_SIPP=$!
	PIDS+=("$!")
	t_end=$((SECONDS + RAMP_SECONDS + HOLD_SECONDS / 2))
	PEAK_RSS=$RSS0
	while [ "$SECONDS" -lt "$t_end" ] && kill -0 "$MEM_SIPP" 2>/dev/null; do
		sleep 1
		r=$(rss_kib "${PID[crossbar]}")
		[ "$r" -gt "$PEAK_RSS" ] && PEAK_RSS=$r
	done
	RSS1=$(rss_kib "${PID[crossbar]}")
	XB_HELD=$(held_calls)
	SIPP_HELD='?' SIPP_FAILED='?'
	if [ -s "$stf" ]; then
		IFS=';' read -r -a f < <(tail -n 1 "$stf")
		SIPP_HELD=${f[13]:-?} SIPP_FAILED=${f[17]:-?}
	fi
	XB_LOG_503=$("$CLI" --socket "$SOCK" sip status 2>/dev/null | awk '/^requests_rejected_503/ { print $2 }')
	HELD=$XB_HELD
	[ "$HELD" -gt 0 ] 2>/dev/null || HELD=0
	KIB_PER_CALL=n/a
	[ "$HELD" -gt 0 ] && KIB_PER_CALL=$(awk -v a="$RSS0" -v b="$RSS1" -v n="$HELD" 'BEGIN { printf "%.1f", (b - a) / n }')
	# The calls end with the caller's BYE; wait for SIPp (at most the calls' length and a margin).
	wait "$MEM_SIPP"
	MEM_RC=$?
	if [ -s "$stf" ]; then
		IFS=';' read -r -a f < <(tail -n 1 "$stf")
		MEM_OK=${f[15]:-0} MEM_FAILED=${f[17]:-0}
	fi
	MEM_DONE=1
	stop "${PID[crossbar]}"
fi

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "Calls (INVITE, 180, 200, ACK, BYE, 200; signalling only), $STEP_SECONDS s per step, $DONE_REPS repetition(s), $(nproc) CPUs; $((SECONDS - START)) s"
printf '%-34s %10s %22s %18s %18s\n' server "calls/s" "(repetitions)" "server cpu" "sipp cpu"
declare -A MED
for srv in "${SERVERS[@]}"; do
	vals=() cpus=() scpus=()
	for rep in $(seq 1 "$DONE_REPS"); do
		vals+=("${RESULT[$srv,$rep]}")
		cpus+=("${CPU[$srv,$rep]}%")
		scpus+=("${SIPP_CPU[$srv,$rep]}%")
	done
	MED[$srv]=$(median "${vals[@]}")
	printf '%-34s %10s %22s %18s %18s\n' "${LABEL[$srv]}" "${MED[$srv]}" "(${vals[*]})" "${cpus[*]}" "${scpus[*]}"
done
echo "(calls/s: median of the highest clean rates, $([ "$STRICT" = 1 ] && echo "no retransmission allowed" || echo "retransmissions allowed"); cpu at that rate, 100% = one core; sipp = caller + callee)"
RATIO=$(awk -v a="${MED[crossbar]}" -v b="${MED[kamailio]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
echo "ratio crossbar / ${LABEL[kamailio]}: $RATIO"
for srv in "${SERVERS[@]}"; do
	for rep in $(seq 1 "$DONE_REPS"); do echo "first unclean step, $srv, repetition $rep: ${FIRST_FAIL[$srv,$rep]}"; done
done
if [ "$MEM_DONE" = 1 ]; then
	echo
	echo "Concurrent calls through crossbar ($([ ${#XB_SETTINGS[@]} -gt 0 ] && echo "${XB_SETTINGS[*]}" || echo "default settings")): $CONCURRENT calls at $MEM_RATE/s, each $((CALL_MS / 1000)) s long"
	printf '  %-44s %s\n' "calls held (crossbar: bridged channels / 2)" "$XB_HELD" \
		"calls held (SIPp: current calls)" "$SIPP_HELD (failed so far: $SIPP_FAILED)" \
		"RSS before, at the plateau (peak)" "$RSS0 KiB, $RSS1 KiB ($PEAK_RSS KiB)" \
		"memory per call held" "$KIB_PER_CALL KiB" \
		"requests crossbar refused with 503" "${XB_LOG_503:-?}" \
		"calls completed in the end" "${MEM_OK:-?} ok, ${MEM_FAILED:-?} failed (sipp exit $MEM_RC)"
	if [ "$XB_HELD" -ge "$CONCURRENT" ] 2>/dev/null &&
		awk -v k="$KIB_PER_CALL" -v a="$AIM_KIB" 'BEGIN { exit !(k != "n/a" && k < a) }'; then
		AIM="met"
	else
		AIM="NOT met"
	fi
	echo "  aim: $CONCURRENT concurrent calls at under $AIM_KIB KiB each: $AIM"
fi

# The rows of `make bench`'s table: figure, crossbar, peer, peer's value. The memory rows
# have no measured peer: their "peer" is the aim, so the ratio says how far from it.
if [ -n "${XB_BENCH_SUMMARY:-}" ]; then
	{
		if [ "$DONE_REPS" -gt 0 ]; then
			printf '%s\t%s\t%s\t%s\n' "calls/s, no failure (higher)" "${MED[crossbar]}" \
				"kamailio proxy" "${MED[kamailio]}"
			x=() k=()
			for rep in $(seq 1 "$DONE_REPS"); do
				x+=("$(awk -v c="${CPU[crossbar,$rep]}" -v r="${RESULT[crossbar,$rep]}" 'BEGIN { printf "%.1f", (r > 0 ? c * 10000 / r : 0) }')")
				k+=("$(awk -v c="${CPU[kamailio,$rep]}" -v r="${RESULT[kamailio,$rep]}" 'BEGIN { printf "%.1f", (r > 0 ? c * 10000 / r : 0) }')")
			done
			printf '%s\t%s\t%s\t%s\n' "CPU us/call at peak (lower)" "$(median "${x[@]}")" "kamailio proxy" "$(median "${k[@]}")"
			printf 'note\t%s\n' "calls: crossbar is a B2BUA (two dialogs a call), Kamailio a stateful proxy (no dialog state); SIPp's caller and callee share the 2 cores."
		fi
		if [ "$MEM_DONE" = 1 ]; then
			printf '%s\t%s\t%s\t%s\n' "concurrent calls held (higher)" "$XB_HELD" "aim" "$CONCURRENT"
			printf '%s\t%s\t%s\t%s\n' "KiB per concurrent call (lower)" "$KIB_PER_CALL" "aim" "$AIM_KIB"
			printf 'note\t%s\n' "concurrent calls: crossbar's RSS growth over the calls held; the aim is $CONCURRENT calls at under $AIM_KIB KiB each ($AIM)."
		fi
	} >>"$XB_BENCH_SUMMARY"
fi
exit 0
