#!/bin/bash
# bench_register.sh: registration benchmark, crossbar against Kamailio. Not part of make
# check; it is a measurement, not a test, and exits 0 unless a server cannot start.
#
#   usage: tests/bench/bench_register.sh [BUILD_DIR]      (default: this source tree)
#
# SIPp drives REGISTER with digest authentication on 127.0.0.1 at rising call rates against
# crossbar (BUILD_DIR/core/crossbar with core.modules=sip,registrar, its own temporary data
# directory, MD5 offered first for SIPp, no ban, log level warning) and against Kamailio
# (Debian's kamailio + kamailio-sqlite-modules: auth + auth_db + registrar + usrloc on
# db_sqlite, tests/bench/register/kamailio.cfg.in) in the same run on the same machine.
#
# One SIPp call = REGISTER, 401 challenge, REGISTER with MD5 credentials (qop=auth), 200:
# two REGISTER transactions (tests/bench/register/register.xml). USERS users (default 1000)
# register round-robin from an injection file, each with a password of its own. SIPp 3.6
# cannot nest [field0] in [authentication username=[field0]], but it expands the parameters
# when they are quoted (username="[field0]" password="[field1]"), so every call
# authenticates as the user of its line. Each user's Contact stays the same through the run
# (SIPp keeps one local port per server), so after a warm-up pass every location table holds
# USERS bindings, which the load then refreshes (new Call-ID each time).
#
# A step runs SIPp at RATE calls/s for STEP_SECONDS seconds (RATE x STEP_SECONDS calls). It
# is clean when every call succeeded (no failed call, no timeout: -recv_timeout 2 s) and SIPp
# finished within STEP_SECONDS x 1.05 + 0.25 s (the server kept up with the rate; a server
# that falls behind, or stalls, ends late). Retransmissions (a request unanswered for 500 ms)
# are counted in each step's line; STRICT=1 also requires none. The search doubles the rate
# from START_RATE until a step is not clean (or MAX_RATE), then bisects REFINE times between
# the last clean and the first unclean rate (to 100 calls/s); the highest clean rate is the
# figure. REPS repetitions (default 3; the order of the servers rotates). The table gives
# the median, each repetition's figure, the CPU the server used at that rate (Kamailio: all
# its processes; 100% = one core) and SIPp's, and the ratio crossbar / each Kamailio.
#
# SIPp's socket buffers are 4 MB (-buff_size; its default of 64 KB drops responses whenever
# SIPp itself is descheduled for a few ms, which then shows as the server's failures).
#
# Overload: after each search, steps at 1.5x and 2x the highest clean rate (OVERLOAD="15 20",
# in tenths; empty: none) show what a server does above its peak. Their figure is the
# registrations completed per second (SIPp's successful calls over the step's wall time,
# so falling behind counts against it as much as failing) and its ratio to the peak; the
# median of the repetitions is printed for each server. A server that sheds excess early
# keeps completing close to its peak; one that drowns in retransmissions falls far below.
# On a small machine SIPp cannot offer twice a fast server's peak: at crossbar's peak it
# already uses most of a core, and above it SIPp drops the server's answers in its own
# socket buffer (the kernel's UDP RcvbufErrors), so the steps would measure SIPp. So the
# server is held to CPU_CAP percent of one core (default 40) by a CPU cgroup quota (v2
# cpu.max or v1 cfs_quota_us, 10 ms periods; needs root) for the overload part: a search
# for its peak under the cap, then the steps at 1.5x and 2x that capped peak. CPU_CAP=""
# (or no writable CPU cgroup) runs the steps uncapped above the uncapped peak, as SIPp
# allows. The UDP receive-buffer drops of each step are printed beside it.
#
# Kamailio configurations, KAMAILIO="CHILDREN:DB_MODE ..." (default "2:2 1:1"):
#   2:2  two UDP workers (crossbar runs one event-loop thread; two workers is Kamailio's
#        fair share of this 2-core machine), usrloc db_mode 2: bindings in shared memory,
#        written to SQLite by a timer every 10 s (Kamailio's usual persistent setting).
#   1:1  one UDP worker, db_mode 1: each binding written to SQLite before the 200, as crossbar
#        does with registrar.write_interval_ms=0 (its default batches the writes of 20 ms
#        into one commit). With two workers db_sqlite fails ("database is locked": it sets
#        no busy timeout, and both workers write), so write-through gets one worker.
# Other settings (environment): USERS=1000 STEP_SECONDS=5 REPS=3 START_RATE=1000
#   MAX_RATE=32000 REFINE=3 BUDGET_SECONDS=480 (no repetition starts after this), STRICT=0,
#   KEEP=1
#   (keep the temporary folder: logs, SIPp statistics and errors of every step),
#   XB_BENCH_SUMMARY=FILE (append the rows of `make bench`'s table: tests/bench/run-all.sh).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-${XB_BUILDDIR:-$SRC}}" && pwd) || exit 1
CROSSBAR=$BUILD/core/crossbar
CLI=$BUILD/core/crossbar-cli
HERE=$SRC/tests/bench/register
USERS=${USERS:-1000}
STEP_SECONDS=${STEP_SECONDS:-5}
REPS=${REPS:-3}
START_RATE=${START_RATE:-1000}
MAX_RATE=${MAX_RATE:-32000}
REFINE=${REFINE:-3}
BUDGET_SECONDS=${BUDGET_SECONDS:-480}
STRICT=${STRICT:-0}
read -r -a OVERLOAD <<<"${OVERLOAD-15 20}"
CPU_CAP=${CPU_CAP-40}
read -r -a KAM_CONFIGS <<<"${KAMAILIO:-2:2 1:1}"
TMP=$(mktemp -d /tmp/crossbar-bench-reg-XXXXXX)
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
	[ -z "${CG:-}" ] || rmdir "$CG" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in sipp kamailio sqlite3 md5sum ss; do
	command -v "$tool" >/dev/null || { echo "bench_register: $tool is not installed"; exit 1; }
done
KAM_MODULES=/usr/lib/x86_64-linux-gnu/kamailio/modules
KAM_SQL=/usr/share/kamailio/db_sqlite
[ -f "$KAM_MODULES/db_sqlite.so" ] || { echo "bench_register: kamailio-sqlite-modules is not installed"; exit 1; }
[ -x "$CROSSBAR" ] || { echo "bench_register: no $CROSSBAR (build first)"; exit 1; }
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
	echo "bench_register: no free port" >&2
	exit 1
}
# port_var NAME: a free port into $NAME (the last one port() handed out).
port_var() { port && eval "$1=\${USED_PORTS% }" && eval "$1=\${$1##* }"; }

declare -A PORT PID SIPP_PORT LABEL
SERVERS=()

# The users: extensions 100000.. with passwords of their own.
{
	echo SEQUENTIAL
	for i in $(seq 0 $((USERS - 1))); do echo "$((100000 + i));pw-$((100000 + i))-bench;"; done
} >"$TMP/users.csv"

# crossbar, with the users added through crossbar-cli (stored as HA1 digests).
p='' sp=''
port_var p
port_var sp
XB_DATA=$TMP/crossbar
SOCK=$XB_DATA/crossbar.sock
"$CROSSBAR" --set core.modules=sip,registrar --set core.data_dir="$XB_DATA" \
	--set sip.listen=udp:127.0.0.1:$p --set registrar.realm=pbx.test \
	--set registrar.demo_users=no --set registrar.digest_algorithms=MD5,SHA-256 \
	--set registrar.ban_failures=0 --set core.log_level=warning >"$TMP/crossbar.log" 2>&1 &
PID[crossbar]=$!
PIDS+=("$!")
PORT[crossbar]=$p
SIPP_PORT[crossbar]=$sp
LABEL[crossbar]="crossbar (1 thread, SQLite commit per 20 ms)"
SERVERS+=(crossbar)
for _ in $(seq 1 100); do
	[ -S "$SOCK" ] && "$CLI" --socket "$SOCK" status >/dev/null 2>&1 && break
	kill -0 "${PID[crossbar]}" 2>/dev/null || break
	sleep 0.1
done
"$CLI" --socket "$SOCK" status >/dev/null 2>&1 || { echo "bench_register: crossbar did not start"; cat "$TMP/crossbar.log"; exit 1; }
tail -n +2 "$TMP/users.csv" | while IFS=';' read -r u pw _; do
	"$CLI" --socket "$SOCK" user add "$u" --password "$pw" >/dev/null || echo "bench_register: user add $u failed"
done

# Kamailio: subscriber/location/version tables from Debian's SQL, HA1 = MD5(user:realm:pw).
{
	cat "$KAM_SQL/standard-create.sql" "$KAM_SQL/auth_db-create.sql" "$KAM_SQL/usrloc-create.sql"
	echo "BEGIN;"
	tail -n +2 "$TMP/users.csv" | while IFS=';' read -r u pw _; do
		h=$(printf '%s' "$u:pbx.test:$pw" | md5sum)
		echo "INSERT INTO subscriber(username, domain, password, ha1) VALUES('$u', 'pbx.test', '', '${h%% *}');"
	done
	echo "COMMIT;"
} >"$TMP/kamailio.sql"
for kc in "${KAM_CONFIGS[@]}"; do
	children=${kc%%:*} dbmode=${kc##*:}
	name=kam-$children-$dbmode
	dir=$TMP/$name
	mkdir -p "$dir/run"
	{ echo "PRAGMA journal_mode=WAL;"; cat "$TMP/kamailio.sql"; } | sqlite3 "$dir/kamailio.sqlite" >/dev/null ||
		{ echo "bench_register: cannot create $dir/kamailio.sqlite"; exit 1; }
	port_var p
	port_var sp
	sed -e "s|@PORT@|$p|g; s|@DB@|$dir/kamailio.sqlite|g; s|@CHILDREN@|$children|g; s|@DB_MODE@|$dbmode|g" \
		"$HERE/kamailio.cfg.in" >"$dir/kamailio.cfg"
	kamailio -DD -E -f "$dir/kamailio.cfg" -Y "$dir/run" -P "$dir/run/kamailio.pid" -w "$dir" \
		-m 4096 -M 16 >"$TMP/$name.log" 2>&1 & # tm keeps ~8 KB per transaction for 5 s
	PID[$name]=$!
	PIDS+=("$!")
	PORT[$name]=$p
	SIPP_PORT[$name]=$sp
	case $dbmode in
	1) LABEL[$name]="kamailio ($children worker$([ "$children" = 1 ] || echo s), db_mode 1 write-through)" ;;
	2) LABEL[$name]="kamailio ($children worker$([ "$children" = 1 ] || echo s), db_mode 2 write-back)" ;;
	*) LABEL[$name]="kamailio ($children workers, db_mode $dbmode)" ;;
	esac
	SERVERS+=("$name")
	for _ in $(seq 1 50); do
		ss -Huan "( sport = :$p )" 2>/dev/null | grep -q . && break
		kill -0 "${PID[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.3
	kill -0 "${PID[$name]}" 2>/dev/null || { echo "bench_register: kamailio ($kc) did not start"; cat "$TMP/$name.log"; exit 1; }
done

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

# children_cs FILE: CPU time (centiseconds, user + system) of this shell's finished children
# (SIPp) from the output of `times`, which runs in this shell, not in a subshell.
children_cs() {
	tail -n 1 "$1" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d", t * 100 }'
}

# step SERVER RATE CALLS TAG: one SIPp run. Sets STEP_OK (0/1), STEP_CPU, STEP_SIPP_CPU, STEP_LINE.
step() {
	local srv=$1 rate=$2 calls=$3 tag=$4 stf t0 t1 c0 c1 s0 s1 rc ms
	stf=$TMP/$tag.csv
	c0=$(cpu_ticks "${PID[$srv]}")
	times >"$TMP/times"
	s0=$(children_cs "$TMP/times")
	t0=$(date +%s%N)
	timeout $((STEP_SECONDS * 3 + 20)) sipp -sf "$HERE/register.xml" -inf "$TMP/users.csv" \
		-i 127.0.0.1 -p "${SIPP_PORT[$srv]}" -buff_size 4194304 -r "$rate" -rp 1000 -m "$calls" -l $((rate * 2 + 10)) \
		-recv_timeout 2000 -timeout $((STEP_SECONDS * 3 + 10)) -timeout_error -nostdin \
		-trace_stat -stf "$stf" -fd 1 -trace_err -error_file "$TMP/$tag.err" \
		"127.0.0.1:${PORT[$srv]}" >"$TMP/$tag.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	times >"$TMP/times"
	s1=$(children_cs "$TMP/times")
	c1=$(cpu_ticks "${PID[$srv]}")
	ms=$(((t1 - t0) / 1000000))
	[ "$ms" -gt 0 ] || ms=1
	STEP_CPU=$(((c1 - c0) * 100000 / TCK / ms))
	STEP_SIPP_CPU=$(((s1 - s0) * 1000 / ms))
	# Columns of SIPp's statistics file: 16 SuccessfulCall(C), 18 FailedCall(C),
	# 58 Retransmissions(C), 70 CallLength(C) (HH:MM:SS:microseconds, mean).
	local ok=0 fail=0 retr=0 len='?' f
	if [ -s "$stf" ]; then
		IFS=';' read -r -a f < <(tail -n 1 "$stf")
		ok=${f[15]:-0} fail=${f[17]:-0} retr=${f[57]:-0} len=${f[69]:-?}
	fi
	len=$(echo "$len" | awk -F: 'NF == 4 {printf "%.0f", ($1 * 3600 + $2 * 60 + $3) * 1000 + $4 / 1000; next} {print "?"}')
	STEP_DONE=$ok STEP_MS=$ms
	STEP_OK=0
	if [ "$rc" -eq 0 ] && [ "$ok" -eq "$calls" ] && [ "$fail" -eq 0 ] &&
		{ [ "$STRICT" = 0 ] || [ "$retr" -eq 0 ]; } &&
		[ "$ms" -le $((STEP_SECONDS * 1050 + 250)) ]; then STEP_OK=1; fi
	STEP_LINE=$(printf '%-10s %6d/s %6d calls: ok %6d failed %5d retrans %5d in %5.2f s, mean call %4s ms, cpu server %3d%% sipp %3d%%: %s' \
		"$srv" "$rate" "$calls" "$ok" "$fail" "$retr" "$(echo "$ms" | awk '{print $1/1000}')" "$len" \
		"$STEP_CPU" "$STEP_SIPP_CPU" "$([ $STEP_OK = 1 ] && echo clean || echo "NOT CLEAN (sipp exit $rc)")")
}

# Warm-up: every user registers once, so that each location table holds USERS bindings.
for srv in "${SERVERS[@]}"; do
	step "$srv" 500 "$USERS" "warmup-$srv"
	echo "warm-up  $STEP_LINE"
	[ "$STEP_OK" = 1 ] || echo "bench_register: the warm-up against $srv was not clean; read its figures with care"
done
echo "crossbar bindings after the warm-up: $("$CLI" --socket "$SOCK" registrations | tail -n +2 | wc -l)"

# search SERVER REP: doubling, then bisection. Sets BEST, BEST_CPU, BEST_SIPP_CPU, LIMIT.
search() {
	local srv=$1 rep=$2 r=$START_RATE lo=0 hi=0 mid
	BEST_CPU=0 BEST_SIPP_CPU=0 LIMIT=""
	try() {
		step "$srv" "$1" $(($1 * STEP_SECONDS)) "rep$rep-$srv-$1"
		echo "rep $rep  $STEP_LINE"
		if [ "$STEP_OK" = 1 ]; then
			BEST_CPU=$STEP_CPU BEST_SIPP_CPU=$STEP_SIPP_CPU
			sleep 1
		else
			[ -n "$LIMIT" ] || LIMIT="server ${STEP_CPU}% sipp ${STEP_SIPP_CPU}% at $1/s"
			sleep 3 # let a saturated server drain
		fi
		[ "$STEP_OK" = 1 ]
	}
	while [ "$r" -le "$MAX_RATE" ]; do
		if try "$r"; then lo=$r r=$((r * 2)); else hi=$r && break; fi
	done
	if [ "$hi" -gt 0 ]; then
		for _ in $(seq 1 "$REFINE"); do
			mid=$((((lo + hi) / 2 + 50) / 100 * 100))
			[ "$mid" -gt "$lo" ] && [ "$mid" -lt "$hi" ] || break
			if try "$mid"; then lo=$mid; else hi=$mid; fi
		done
	else
		LIMIT="MAX_RATE reached"
	fi
	BEST=$lo
}

# A CPU cgroup that holds what is put in it to CPU_CAP% of one core: CG is its folder and
# CG_PROCS the file that puts a process back where it was (cgroup v2, else v1's cpu
# controller). Empty CG: none could be made.
CG='' CG_PROCS=''
cg_make() {
	local root=/sys/fs/cgroup quota=$((CPU_CAP * 100))
	[ -n "$CPU_CAP" ] && [ "$CPU_CAP" -gt 0 ] || return 0
	if [ -f "$root/cgroup.controllers" ]; then
		grep -qw cpu "$root/cgroup.subtree_control" 2>/dev/null ||
			echo +cpu >"$root/cgroup.subtree_control" 2>/dev/null
		mkdir -p "$root/xb-bench-$$" 2>/dev/null &&
			echo "$quota 10000" >"$root/xb-bench-$$/cpu.max" 2>/dev/null &&
			CG=$root/xb-bench-$$ CG_PROCS=$root/cgroup.procs
	else
		for root in /sys/fs/cgroup/cpu /sys/fs/cgroup/cpu,cpuacct; do
			[ -f "$root/cpu.cfs_quota_us" ] || continue
			mkdir -p "$root/xb-bench-$$" 2>/dev/null &&
				echo 10000 >"$root/xb-bench-$$/cpu.cfs_period_us" 2>/dev/null &&
				echo "$quota" >"$root/xb-bench-$$/cpu.cfs_quota_us" 2>/dev/null &&
				CG=$root/xb-bench-$$ CG_PROCS=$root/cgroup.procs && break
		done
	fi
	[ -n "$CG" ] || echo "bench_register: no writable CPU cgroup (root is needed): the overload steps run uncapped"
}
# cg_move SERVER FILE: the server's processes (Kamailio's workers too) into a cgroup.procs.
cg_move() {
	local pid _
	server_stats "${PID[$1]}" | while read -r pid _; do echo "$pid" >"$2" 2>/dev/null; done
}

# overload SERVER REP: the steps above the peak; sets OVER[SERVER,REP,FACTOR] (calls/s) and
# OVER_PEAK[SERVER,REP], the peak they are measured against (under the cap when there is one).
overload() {
	local srv=$1 rep=$2 f rate peak=$BEST saved_start=$START_RATE u0 u1
	[ "${#OVERLOAD[@]}" -gt 0 ] || return 0
	if [ -n "$CG" ]; then
		cg_move "$srv" "$CG/cgroup.procs"
		START_RATE=$(((BEST * CPU_CAP / 200 + 50) / 100 * 100))
		[ "$START_RATE" -ge 100 ] || START_RATE=100
		search "$srv" "$rep-cap"
		START_RATE=$saved_start
		peak=$BEST
		echo "rep $rep  $srv held to ${CPU_CAP}% of one core: peak $peak/s"
	fi
	OVER_PEAK[$srv,$rep]=$peak
	for f in "${OVERLOAD[@]}"; do
		rate=$((peak * f / 10))
		[ "$rate" -gt 0 ] || continue
		u0=$(awk '/^Udp:/ {n++} /^Udp:/ && n == 2 {print $6}' /proc/net/snmp)
		step "$srv" "$rate" $((rate * STEP_SECONDS)) "rep$rep-$srv-over$f"
		u1=$(awk '/^Udp:/ {n++} /^Udp:/ && n == 2 {print $6}' /proc/net/snmp)
		OVER[$srv,$rep,$f]=$((STEP_DONE * 1000 / STEP_MS))
		echo "rep $rep  $STEP_LINE; overload x$(awk -v f="$f" 'BEGIN { print f / 10 }'): ${OVER[$srv,$rep,$f]} completed/s, $((u1 - u0)) datagrams dropped by full receive buffers"
		sleep 3 # let it drain
	done
	[ -z "$CG" ] || cg_move "$srv" "$CG_PROCS"
}

declare -A RESULT CPU SIPP_CPU FIRST_FAIL OVER OVER_PEAK
cg_make
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
		overload "$srv" "$rep"
	done
	DONE_REPS=$rep
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "REGISTER with digest (401, then 200), $USERS users, $STEP_SECONDS s per step, $DONE_REPS repetition(s), $(nproc) CPUs; $((SECONDS - START)) s"
printf '%-52s %10s %20s %18s %16s\n' server "calls/s" "(repetitions)" "server cpu" "sipp cpu"
declare -A MED
for srv in "${SERVERS[@]}"; do
	vals=() cpus=() scpus=()
	for rep in $(seq 1 "$DONE_REPS"); do
		vals+=("${RESULT[$srv,$rep]}")
		cpus+=("${CPU[$srv,$rep]}%")
		scpus+=("${SIPP_CPU[$srv,$rep]}%")
	done
	MED[$srv]=$(median "${vals[@]}")
	printf '%-52s %10s %20s %18s %16s\n' "${LABEL[$srv]}" "${MED[$srv]}" "(${vals[*]})" "${cpus[*]}" "${scpus[*]}"
done
echo "(calls/s: median of the highest clean rates, $([ "$STRICT" = 1 ] && echo "no retransmission allowed" || echo "retransmissions allowed"); one call = 2 REGISTER transactions; cpu at that rate, 100% = one core)"
for srv in "${SERVERS[@]}"; do
	[ "$srv" = crossbar ] && continue
	printf 'ratio crossbar / %s: %s\n' "${LABEL[$srv]}" \
		"$(awk -v a="${MED[crossbar]}" -v b="${MED[$srv]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
done
if [ "${#OVERLOAD[@]}" -gt 0 ]; then
	echo
	if [ -n "$CG" ]; then
		echo "Overload, each server held to ${CPU_CAP}% of one core: its peak under the cap, and the registrations completed per second at a multiple of it (median; ratio: median of the repetitions' ratios)"
	else
		echo "Overload: registrations completed per second at a multiple of each repetition's peak (median; ratio: median of the repetitions' ratios)"
	fi
	printf '%-52s %10s' server "peak/s"
	for f in "${OVERLOAD[@]}"; do printf ' %28s' "at x$(awk -v f="$f" 'BEGIN { print f / 10 }'): done/s (ratio)"; done
	echo
	for srv in "${SERVERS[@]}"; do
		peaks=()
		for rep in $(seq 1 "$DONE_REPS"); do peaks+=("${OVER_PEAK[$srv,$rep]:-0}"); done
		printf '%-52s %10s' "${LABEL[$srv]}" "$(median "${peaks[@]}")"
		for f in "${OVERLOAD[@]}"; do
			vals=() ratios=()
			for rep in $(seq 1 "$DONE_REPS"); do
				vals+=("${OVER[$srv,$rep,$f]:-0}")
				ratios+=("$(awk -v a="${OVER[$srv,$rep,$f]:-0}" -v b="${OVER_PEAK[$srv,$rep]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }')")
			done
			printf ' %28s' "$(median "${vals[@]}") ($(median "${ratios[@]}")) [${vals[*]}]"
		done
		echo
	done
fi
for srv in "${SERVERS[@]}"; do
	for rep in $(seq 1 "$DONE_REPS"); do echo "first unclean step, $srv, repetition $rep: ${FIRST_FAIL[$srv,$rep]}"; done
done

# The rows of `make bench`'s table: figure, crossbar's median, a Kamailio and its median.
# Where both carried every rate up to MAX_RATE, the rate separates nothing: the server CPU
# per call at that rate does (cpu% of one core x 10^4 / calls per second = us per call).
summary() {
	local srv=$1 f x k all=1 plus=
	for rep in $(seq 1 "$DONE_REPS"); do
		[ "${FIRST_FAIL[crossbar,$rep]}" = "MAX_RATE reached" ] && [ "${FIRST_FAIL[$srv,$rep]}" = "MAX_RATE reached" ] || all=0
	done
	[ "$all" = 1 ] && plus=+
	printf '%s\t%s\t%s\t%s\n' "REGISTER calls/s (higher)" "${MED[crossbar]}$plus" "$2" "${MED[$srv]}$plus"
	for f in "${OVERLOAD[@]}"; do
		x=() k=()
		for rep in $(seq 1 "$DONE_REPS"); do
			x+=("${OVER[crossbar,$rep,$f]:-0}")
			k+=("${OVER[$srv,$rep,$f]:-0}")
		done
		printf '%s\t%s\t%s\t%s\n' "REGISTER done/s at x$(awk -v f="$f" 'BEGIN { print f / 10 }') (higher)" \
			"$(median "${x[@]}")" "$2" "$(median "${k[@]}")"
	done
	[ "$all" = 1 ] || return 0
	x=() k=()
	for rep in $(seq 1 "$DONE_REPS"); do
		x+=("$(awk -v c="${CPU[crossbar,$rep]}" -v r="${RESULT[crossbar,$rep]}" 'BEGIN { printf "%.1f", (r > 0 ? c * 10000 / r : 0) }')")
		k+=("$(awk -v c="${CPU[$srv,$rep]}" -v r="${RESULT[$srv,$rep]}" 'BEGIN { printf "%.1f", (r > 0 ? c * 10000 / r : 0) }')")
	done
	printf '%s\t%s\t%s\t%s\n' "CPU us/REGISTER call (lower)" "$(median "${x[@]}")" "$2" "$(median "${k[@]}")"
	printf 'note\t%s\n' "REGISTER: both carried every rate up to MAX_RATE ($MAX_RATE calls/s); CPU per call compared at the highest."
}
if [ -n "${XB_BENCH_SUMMARY:-}" ] && [ "$DONE_REPS" -gt 0 ]; then
	for srv in "${SERVERS[@]}"; do
		[ "$srv" = crossbar ] && continue
		summary "$srv" "kamailio $(echo "${srv#kam-}" | tr - :)"
	done >>"$XB_BENCH_SUMMARY"
fi
exit 0
