# lib.sh: shared by the integration tests. TAP output, free loopback ports, a private
# temporary folder per test, and starting/stopping the real daemon. Every process a test
# starts is killed when it exits, whatever happens.
set -u

BUILD=${XB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SRC=${XB_SRCDIR:-$BUILD}
CROSSBAR=$BUILD/core/crossbar
CLI=$BUILD/core/crossbar-cli
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d /tmp/crossbar-it-XXXXXX)
PIDS=()

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

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@" >"$TMP/last.out" 2>&1; then ok "$desc"; else
		not_ok "$desc"
		sed 's/^/# /' "$TMP/last.out" | head -20
	fi
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

done_testing() {
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

# start_daemon NAME ARGS...: starts crossbar in the background with its log in
# $TMP/NAME.log and waits for its control socket (given by --set core.control_socket or
# core.data_dir in ARGS; the caller passes SOCK=path in the environment).
start_daemon() {
	local name=$1
	shift
	"$CROSSBAR" "$@" >"$TMP/$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	eval "${name}_PID=$pid"
	for _ in $(seq 1 100); do
		if [ -S "$SOCK" ] && "$CLI" --socket "$SOCK" status >/dev/null 2>&1; then return 0; fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_exit PID SECONDS: waits for a process to end; its exit status is in $EXIT_STATUS.
wait_exit() {
	local pid=$1 limit=$(($2 * 10))
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
