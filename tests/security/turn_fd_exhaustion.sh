#!/bin/bash
# turn_fd_exhaustion.sh: mod_turn out of file descriptors. With the daemon's RLIMIT_NOFILE
# lowered while it runs, a crowd of TCP connections makes accept() fail with EMFILE; the
# daemon must then pause accepting (not spin on the readable listening socket), say so once,
# and accept again once descriptors are freed. At start, caps that RLIMIT_NOFILE cannot meet
# (turn.max_allocations and the connection cap against a small limit) are warned about.
. "$(dirname "$0")/../integration/lib.sh"
export PYTHONPATH="$SRC/tests/security"

require_tools prlimit python3 # prlimit: Debian package util-linux

crossbar_names main
PORT=$main_TURN

check "the daemon starts with mod_turn on TCP" start_crossbar main turn
check "a STUN Binding over TCP is answered" \
	python3 -c "import turn_attack, sys; sys.exit(0 if turn_attack.stun_binding_tcp($PORT) else 1)"

nfd=$(ls "/proc/$main_PID/fd" | wc -l)
check "the daemon's descriptor limit is lowered to $((nfd + 16))" \
	prlimit --pid "$main_PID" --nofile=$((nfd + 16)):$((nfd + 16))

python3 -c "import turn_attack; turn_attack.hold_tcp($PORT, 48, 30, stop_file='$TMP/stop')" \
	>"$TMP/hold.out" 2>&1 &
HOLD=$!
PIDS+=("$HOLD")
for _ in $(seq 1 100); do [ -s "$TMP/hold.out" ] && break; sleep 0.1; done
check "the crowd of connections is open" grep -Eq "^[1-9]" "$TMP/hold.out"

# 2 s with accept() failing: a spinning loop would burn ~200 ticks; paused, a handful.
cpu() { python3 -c "import attack; print(attack.cpu_ticks($main_PID))"; }
t0=$(cpu)
sleep 2
t1=$(cpu)
echo "# CPU ticks in 2 s while out of descriptors: $((t1 - t0))"
check "out of descriptors, the daemon does not spin ($((t1 - t0)) ticks in 2 s)" \
	test $((t1 - t0)) -lt 40
check "it says so once" \
	bash -c "[ \$(grep -c 'out of file descriptors' '$TMP/main.log') -eq 1 ]"

touch "$TMP/stop"
wait "$HOLD" 2>/dev/null
accepts_again() {
	for _ in $(seq 1 30); do
		python3 -c "import turn_attack, sys; sys.exit(0 if turn_attack.stun_binding_tcp($PORT, timeout=1) else 1)" &&
			return 0
		sleep 0.2
	done
	return 1
}
check "once descriptors are freed a new TCP client is answered" accepts_again
check "and the log says accepting resumed" grep -q 'accepting TURN TCP/TLS connections again' "$TMP/main.log"
check "UDP was answered throughout" \
	python3 -c "import turn_attack, sys; sys.exit(0 if turn_attack.turn_flood($PORT, 1, wait=2)[0] == 1 else 1)"

# At start: the default caps (10000 allocations, 4096 connections) against a limit of 512.
PORT2=$(free_port)
(
	ulimit -n 512
	exec "$CROSSBAR" --set core.data_dir="$TMP/small" --set core.modules=turn \
		--set "turn.listen=udp:127.0.0.1:$PORT2"
) >"$TMP/small.log" 2>&1 &
PIDS+=("$!")
warned() {
	for _ in $(seq 1 50); do
		grep -q 'file descriptors, but RLIMIT_NOFILE is 512' "$TMP/small.log" && return 0
		sleep 0.1
	done
	cat "$TMP/small.log"
	return 1
}
check "at start, caps that RLIMIT_NOFILE cannot meet are warned about" warned

done_testing
