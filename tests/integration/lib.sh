# lib.sh: shared by the integration and security tests. TAP output, free loopback ports, a
# private temporary folder per test, the peer tools a test needs, and starting and stopping
# the real daemon (start_crossbar, stop_crossbar). Every process a test starts is killed
# when it exits, whatever happens.
set -u

BUILD=${XB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SRC=${XB_SRCDIR:-$BUILD}
CROSSBAR=$BUILD/core/crossbar
CLI=$BUILD/core/crossbar-cli
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d /tmp/crossbar-it-XXXXXX)
PIDS=()
RUNNING=() # names of the daemons start_crossbar started and no stop_crossbar stopped
EXIT_STATUS=

cleanup() {
	for p in "${PIDS[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null; done
	if [ "$TAP_FAILED" -eq 0 ]; then rm -rf "$TMP"; else echo "# kept $TMP for inspection"; fi
}
trap cleanup EXIT

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

# skip DESCRIPTION REASON: a check that cannot run here (TAP "# SKIP"; test.sh fails on it).
skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@" >"$TMP/last.out" 2>&1; then ok "$desc"; else
		not_ok "$desc"
		sed 's/^/# /' "$TMP/last.out" | head -20
	fi
}

# lacks PATTERN COMMAND...: the command succeeds and no line of its output matches the
# extended regular expression PATTERN. (`! COMMAND | grep` would pass when COMMAND fails.)
lacks() {
	local pattern=$1 out
	shift
	out=$("$@") || {
		echo "failed: $*"
		return 1
	}
	if grep -Eq -- "$pattern" <<<"$out"; then
		grep -E -- "$pattern" <<<"$out"
		return 1
	fi
}

# until_ok SECONDS COMMAND...: runs the command every 0.2 s until it succeeds, for at most
# SECONDS; the last try's output and status are the answer.
until_ok() {
	local limit=$(($1 * 5))
	shift
	for _ in $(seq 1 "$limit"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}

# expect_exit CODE PATTERN DESCRIPTION COMMAND...: the command exits with CODE and its
# stderr+stdout match the extended regular expression PATTERN.
expect_exit() {
	local code=$1 pattern=$2 desc=$3 rc
	shift 3
	"$@" >"$TMP/last.out" 2>&1
	rc=$?
	cp "$TMP/last.out" "$TMP/expect.out"
	if [ "$rc" -eq "$code" ] && grep -Eq -- "$pattern" "$TMP/last.out"; then ok "$desc"; else
		not_ok "$desc (exit $rc, wanted $code and /$pattern/)"
		sed 's/^/# /' "$TMP/last.out" | head -20
	fi
}

# require_tools TOOL...: the test is skipped (TAP "1..0 # SKIP") when one is not installed.
require_tools() {
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			echo "1..0 # SKIP $tool is not installed"
			exit 0
		fi
	done
}

# turn_allocate_answer PORT USER PASSWORD [SOURCE-IP]: prints the TURN server's answer to an
# Allocate with these credentials, sent after its 401 challenge: 0 when allocated, else the
# error code (401 for credentials refused), -1 when there was no challenge or no answer.
turn_allocate_answer() {
	PYTHONPATH=$SRC/tests/security python3 -c '
import sys, turn_attack
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
src = sys.argv[4] if len(sys.argv) > 4 else None
print(turn_attack.TurnClient(port, user, password, src=src).allocate_answer())
' "$@"
}

done_testing() {
	local name
	for name in "${RUNNING[@]}"; do stop_crossbar "$name"; done
	echo "1..$TAP_N"
	exit 0
}

# free_port [N]: a free port on loopback for both UDP and TCP (the first of N free in a
# row: SIPp's -mp takes four, audio and video RTP and RTCP), below the kernel's ephemeral
# range (32768 and up) so that no outgoing socket can take it between the choice and the
# bind.
free_port() {
	local p n=${1:-1}
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		if ! ss -Htuan "( sport >= :$p and sport <= :$((p + n - 1)) )" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# start_crossbar NAME MODULES [ARG...]: starts crossbar in the background with its own data
# folder $TMP/NAME (database and control socket), a SIP port for UDP and TCP when MODULES
# holds sip, a TURN port for UDP and TCP when it holds turn, the test modules' folder after
# the built one, and its log in $TMP/NAME.log; then waits for its control socket to answer.
# MODULES is core.modules ("-" leaves it to the file or the default); the ARGs come last and
# win (--set, --config). Sets NAME_PID, NAME_DATA, NAME_SOCK, NAME_PORT (SIP), NAME_TURN and
# SOCK (the socket of the daemon started last). Starting NAME again is a restart: the same
# data folder and ports, the previous log kept as NAME.log.1, .2 ... The daemon runs
# $CROSSBAR, which a test may point at a wrapper. With CROSSBAR_DEFAULT_DATA=1 in its
# environment it gets no core.data_dir (set NAME_DATA to where the default is). Each daemon
# still running when the test ends is stopped by done_testing through stop_crossbar.
start_crossbar() {
	local name=$1 modules=$2 pid n=1
	shift 2
	crossbar_names "$name"
	local data port turn args=()
	eval "data=\$${name}_DATA port=\$${name}_PORT turn=\$${name}_TURN"
	mkdir -p "$data"
	args=(--set core.modules_dir="$BUILD/modules:$BUILD/tests/unit/modules")
	[ -n "${CROSSBAR_DEFAULT_DATA:-}" ] || args+=(--set core.data_dir="$data")
	# RTP apart from the ports free_port hands out (20000-31999) and from TURN's relays.
	args+=(--set media.rtp_ports=50000-57999)
	if [ "$modules" != - ]; then
		args+=(--set core.modules="$modules")
		[[ ",$modules," == *,sip,* ]] && args+=(--set sip.listen=udp:127.0.0.1:$port,tcp:127.0.0.1:$port)
		[[ ",$modules," == *,turn,* ]] && args+=(--set turn.listen=udp:127.0.0.1:$turn,tcp:127.0.0.1:$turn)
	fi
	if [ -e "$TMP/$name.log" ]; then
		while [ -e "$TMP/$name.log.$n" ]; do n=$((n + 1)); done
		mv "$TMP/$name.log" "$TMP/$name.log.$n"
	fi
	SOCK=$data/crossbar.sock
	"$CROSSBAR" "${args[@]}" "$@" >"$TMP/$name.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	eval "${name}_PID=$pid"
	[[ " ${RUNNING[*]} " == *" $name "* ]] || RUNNING+=("$name")
	for _ in $(seq 1 200); do
		if [ -S "$SOCK" ] && "$CLI" --socket "$SOCK" status >/dev/null 2>&1; then return 0; fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# crossbar_names NAME: gives NAME_DATA, NAME_SOCK, NAME_PORT and NAME_TURN the values
# start_crossbar NAME uses, each unless already set: a test may call it to write them into
# a configuration file first, or set one of them beforehand.
crossbar_names() {
	local name=$1 v
	for v in DATA PORT TURN; do
		[ -n "$(eval "echo \${${name}_$v:-}")" ] && continue
		case $v in
		DATA) eval "${name}_DATA=\$TMP/\$name" ;;
		*) eval "${name}_$v=$(free_port)" ;;
		esac
	done
	eval "${name}_SOCK=\$${name}_DATA/crossbar.sock"
}

# stop_crossbar NAME [SIGNAL]: stops the daemon through `crossbar-cli shutdown` (or the
# signal) and passes when it exits with status 0 within 20 seconds: under the sanitizers a
# leak or an error on the way out makes that status non-zero. KILL (a crash: nothing runs on
# the way out) passes when the daemon is gone, with the status 137 of a SIGKILL.
stop_crossbar() {
	local name=$1 signal=${2:-} pid sock how n still=() want=0
	eval "pid=\$${name}_PID sock=\$${name}_SOCK"
	for n in "${RUNNING[@]}"; do [ "$n" = "$name" ] || still+=("$n"); done
	RUNNING=("${still[@]}")
	if [ -n "$signal" ]; then
		how="SIG$signal"
		[ "$signal" = KILL ] && want=137
		kill -"$signal" "$pid" 2>/dev/null
	else
		how="crossbar-cli shutdown"
		"$CLI" --socket "$sock" shutdown >/dev/null 2>&1
	fi
	if wait_exit "$pid" 20 && [ "$EXIT_STATUS" -eq "$want" ]; then
		ok "$name: $how stops the daemon with exit $want"
	else
		not_ok "$name: $how stops the daemon with exit $want (exit ${EXIT_STATUS:-none, still running})"
		tail -20 "$TMP/$name.log" | sed 's/^/# /'
	fi
}

# wait_exit PID SECONDS: waits for a process to end; its exit status is in $EXIT_STATUS.
wait_exit() {
	local pid=$1 limit=$(($2 * 10))
	EXIT_STATUS=
	for _ in $(seq 1 "$limit"); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			EXIT_STATUS=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}
