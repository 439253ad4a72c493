#!/bin/bash
# bench_turn.sh: the TURN relay benchmark. Runs turnutils_uclient load (N clients, 160-byte
# packets at 50 per second each, N rising) against crossbar's mod_turn and against coturn's
# turnserver on loopback in the same run, level after level, until a level where one of
# the two loses 0.1% or more (or fails to set its clients up), or the last level. It prints
# each level's loss, relayed packets and CPU per relayed packet of both, with the ratio,
# then the most streams each carried under 0.1% loss and the CPU per relayed packet at
# the highest level both carried. It is a measurement, not a test: it always exits 0
# unless a server cannot start.
#
#   usage: tests/bench/bench_turn.sh [BUILD_DIR] [LEVELS...]
#          (BUILD_DIR: where crossbar was built, default $XB_BUILDDIR, else this source tree;
#           LEVELS default: $LEVELS, else 200 400 800 1200 1600 2000 2400)
#
# Each level runs against a server started afresh (crossbar, then coturn), so that every
# allocation of the earlier level is released and none holds relay ports or quota. The load comes from one
# turnutils_uclient per CLIENTS_PER_PROC streams (default 50: one process sets its clients up
# slowly), sending to PEERS turnutils_peer echo processes (default 4) in turn. Each stream
# is 50 packets/s each way; a packet crosses the relay twice (client to peer and back), so
# the relayed packets of a level are those the clients sent plus those they received. CPU
# is the server's user + system time over the level (coturn: all its threads). Every
# client comes from 127.0.0.1, so crossbar's limit on unauthenticated answers per source
# address (turn.unauth_rate) is off, as coturn has none.
# Other settings (environment): SECONDS_PER_LEVEL=5, XB_BENCH_SUMMARY=FILE (append the rows
# of `make bench`'s table: tests/bench/run-all.sh).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -gt 0 ] && [ -d "$1" ]; then
	BUILD=$(cd "$1" && pwd)
	shift
else
	BUILD=$(cd "${XB_BUILDDIR:-$SRC}" && pwd)
fi
CROSSBAR=$BUILD/core/crossbar
read -r -a LEVELS <<<"${LEVELS:-200 400 800 1200 1600 2000 2400}"
[ $# -eq 0 ] || LEVELS=("$@")
SECONDS_PER_LEVEL=${SECONDS_PER_LEVEL:-5}
CLIENTS_PER_PROC=${CLIENTS_PER_PROC:-50}
PEERS=${PEERS:-4}
TMP=$(mktemp -d /tmp/crossbar-bench-XXXXXX)
PIDS=()
SERVER_PID=
cleanup() {
	for p in "${PIDS[@]}" $SERVER_PID; do kill "$p" 2>/dev/null; done
	sleep 1
	for p in "${PIDS[@]}" $SERVER_PID; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$CROSSBAR" ] || {
	echo "bench_turn: no $CROSSBAR (build first; give the build folder as the first argument or in XB_BUILDDIR)"
	exit 1
}
for tool in turnserver turnutils_uclient turnutils_peer turnutils_stunclient; do
	command -v "$tool" >/dev/null || { echo "bench_turn: $tool is not installed (coturn)"; exit 1; }
done
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null
TCK=$(getconf CLK_TCK)

USED_PORTS=" "
port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		case "$USED_PORTS" in *" $p "*) continue ;; esac
		if ! ss -Htuan "( sport = :$p )" 2>/dev/null | grep -q .; then
			USED_PORTS="$USED_PORTS$p "
			echo "$p"
			return
		fi
	done
	echo "bench_turn: no free port" >&2
	exit 1
}
XB_PORT=$(port)
USED_PORTS="$USED_PORTS$XB_PORT "
CT_PORT=$(port)
USED_PORTS="$USED_PORTS$CT_PORT "
PEER_PORTS=()
for _ in $(seq 1 "$PEERS"); do
	p=$(port)
	USED_PORTS="$USED_PORTS$p "
	PEER_PORTS+=("$p")
	turnutils_peer -L 127.0.0.1 -p "$p" >/dev/null 2>&1 &
	PIDS+=("$!")
done

# coturn with its own temporary configuration, on loopback only.
cat >"$TMP/turnserver.conf" <<CONF
listening-ip=127.0.0.1
relay-ip=127.0.0.1
listening-port=$CT_PORT
min-port=40000
max-port=49999
lt-cred-mech
user=bench:bench
realm=crossbar
allow-loopback-peers
no-cli
no-tls
no-dtls
no-multicast-peers
total-quota=0
user-quota=0
log-file=$TMP/turnserver.log
pidfile=$TMP/turnserver.pid
CONF

# start_server NAME: starts crossbar or coturn afresh and waits until it answers STUN.
start_server() {
	local port
	case $1 in
	crossbar)
		rm -rf "$TMP/xb"
		port=$XB_PORT
		"$CROSSBAR" --set core.data_dir="$TMP/xb" --set core.modules=turn \
			--set core.log_level=warning --set "turn.listen=udp:127.0.0.1:$XB_PORT" \
			--set turn.allow_loopback_peers=true --set turn.rfc5766_channels=true \
			--set turn.users=bench:bench --set turn.relay_ports=50000-59999 \
			--set turn.max_allocations=0 --set turn.max_allocations_per_user=0 \
			--set turn.unauth_rate=0 >>"$TMP/crossbar.log" 2>&1 &
		;;
	coturn)
		port=$CT_PORT
		turnserver -c "$TMP/turnserver.conf" >/dev/null 2>&1 &
		;;
	esac
	SERVER_PID=$!
	for _ in $(seq 1 50); do
		timeout 2 turnutils_stunclient -p "$port" 127.0.0.1 >/dev/null 2>&1 && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "bench_turn: $1 does not answer on port $port"
	exit 1
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

# cpu_ticks PID: user + system CPU ticks of a process (all its threads).
cpu_ticks() {
	local rest
	rest=$(cut -d')' -f2- "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${12} + ${13}))
}

# run_level SERVER N: N streams against a fresh server. Sets LOSS (percent; "fail" when a
# client did not get its allocations and channels set up: that server did not carry the
# level, and the reasons are kept in failures.log), PACKETS (relayed) and CPU (us per
# relayed packet).
run_level() {
	local srv=$1 n=$2 packets=$((SECONDS_PER_LEVEL * 50)) left=$2 i=0 pids=() port c0 c1
	start_server "$srv"
	port=$([ "$srv" = crossbar ] && echo "$XB_PORT" || echo "$CT_PORT")
	rm -f "$TMP"/uclient.*.log
	c0=$(cpu_ticks "$SERVER_PID")
	while [ "$left" -gt 0 ]; do
		local m=$((left < CLIENTS_PER_PROC ? left : CLIENTS_PER_PROC))
		timeout $((SECONDS_PER_LEVEL * 4 + 120)) turnutils_uclient -p "$port" \
			-r "${PEER_PORTS[$((i % PEERS))]}" -e 127.0.0.1 -u bench -w bench -c -m "$m" \
			-n "$packets" -l 160 -z 20 127.0.0.1 >"$TMP/uclient.$i.log" 2>&1 &
		pids+=("$!")
		left=$((left - m))
		i=$((i + 1))
	done
	wait "${pids[@]}"
	c1=$(cpu_ticks "$SERVER_PID")
	stop_server
	local sent=0 recv=0 lost=0 s r l
	LOSS=fail PACKETS=0 CPU=-
	for f in "$TMP"/uclient.*.log; do
		s=$(grep -o 'tot_send_msgs=[0-9]*' "$f" | tail -1 | cut -d= -f2)
		r=$(grep -o 'tot_recv_msgs=[0-9]*' "$f" | tail -1 | cut -d= -f2)
		l=$(grep -o 'Total lost packets [0-9]*' "$f" | tail -1 | grep -o '[0-9]*$')
		if [ -z "$s" ] || [ -z "$l" ]; then
			{ echo "== $srv, $n streams: $f"; tail -3 "$f"; } >>"$TMP/failures.log"
			return
		fi
		sent=$((sent + s))
		recv=$((recv + ${r:-$((s - l))}))
		lost=$((lost + l))
	done
	PACKETS=$((sent + recv))
	LOSS=$(awk -v l="$lost" -v s="$sent" 'BEGIN { printf "%.4f", s ? 100 * l / s : 100 }')
	CPU=$(awk -v p="$PACKETS" -v t=$((c1 - c0)) -v hz="$TCK" 'BEGIN { printf "%.2f", p ? t / hz * 1e6 / p : 0 }')
}

best_xb=0 best_ct=0 both=0 both_cpu_xb=- both_cpu_ct=-
printf '%-8s %-34s %-34s %s\n' streams "crossbar loss% (relayed, cpu/pkt)" \
	"coturn loss% (relayed, cpu/pkt)" "cpu ratio"
for n in "${LEVELS[@]}"; do
	run_level crossbar "$n"
	lx=$LOSS px=$PACKETS cx=$CPU
	run_level coturn "$n"
	lc=$LOSS pc=$PACKETS cc=$CPU
	ratio=$(awk -v x="$cx" -v c="$cc" 'BEGIN { if (x != "-" && c != "-" && c > 0) printf "%.2f", x / c; else print "-" }')
	printf '%-8s %-34s %-34s %s\n' "$n" "$lx ($px, $cx us)" "$lc ($pc, $cc us)" "$ratio"
	ok_x=$(awk -v l="$lx" -v p="$px" 'BEGIN{print (l != "fail" && p > 0 && l < 0.1) ? 1 : 0}')
	ok_c=$(awk -v l="$lc" -v p="$pc" 'BEGIN{print (l != "fail" && p > 0 && l < 0.1) ? 1 : 0}')
	[ "$ok_x" = 1 ] && [ "$n" -gt "$best_xb" ] && best_xb=$n
	[ "$ok_c" = 1 ] && [ "$n" -gt "$best_ct" ] && best_ct=$n
	if [ "$ok_x" = 1 ] && [ "$ok_c" = 1 ] && [ "$n" -gt "$both" ]; then
		both=$n both_cpu_xb=$cx both_cpu_ct=$cc
	fi
	# The first level that one of them does not carry ends the run: it ranks them.
	[ "$ok_x" = 1 ] && [ "$ok_c" = 1 ] || break
done

if [ -s "$TMP/failures.log" ]; then
	echo "clients that failed to set up (first lines):"
	sed 's/^/  /' "$TMP/failures.log" | head -8
fi
echo
# Each stream is 50 packets/s each way, each crossing the relay: 100 relayed packets/s.
echo "crossbar: $best_xb streams at <0.1% loss, $((best_xb * 100)) relayed packets/s"
echo "coturn:   $best_ct streams at <0.1% loss, $((best_ct * 100)) relayed packets/s"
top=${LEVELS[${#LEVELS[@]}-1]}
all=0
[ "$best_xb" = "$top" ] && [ "$best_ct" = "$top" ] && all=1
if [ "$all" = 1 ]; then
	echo "both carried every level up to $top streams: the streams ratio says nothing (raise LEVELS to find a limit)"
else
	awk -v x="$best_xb" -v c="$best_ct" 'BEGIN{ if (c > 0) printf "streams ratio crossbar/coturn: %.2f\n", x / c; else print "streams ratio crossbar/coturn: n/a (coturn carried no level)" }'
fi
if [ "$both" -gt 0 ]; then
	echo "CPU per relayed packet at $both streams (the highest level both carried): crossbar $both_cpu_xb us, coturn $both_cpu_ct us$(awk -v x="$both_cpu_xb" -v c="$both_cpu_ct" 'BEGIN { if (c > 0) printf ", ratio %.2f", x / c }')"
fi
echo "note: the load (turnutils_uclient, $CLIENTS_PER_PROC streams a process, $PEERS echo peers) runs on the same $(nproc) CPUs; coturn runs one relay thread per CPU, crossbar relays UDP on its media workers (one per CPU)"

if [ -n "${XB_BENCH_SUMMARY:-}" ]; then
	{
		if [ "$all" = 1 ]; then
			printf '%s\t%s\tcoturn\t%s\n' "TURN streams <0.1% loss (higher)" "$top+" "$top+"
			printf 'note\t%s\n' "TURN: both carried every level up to $top streams; CPU per relayed packet compared there."
		else
			printf '%s\t%s\tcoturn\t%s\n' "TURN streams <0.1% loss (higher)" "$best_xb" "$best_ct"
		fi
		if [ "$both" -gt 0 ]; then
			printf '%s\t%s\tcoturn\t%s\n' "TURN CPU us/packet @$both (lower)" "$both_cpu_xb" "$both_cpu_ct"
		fi
	} >>"$XB_BENCH_SUMMARY"
fi
exit 0
