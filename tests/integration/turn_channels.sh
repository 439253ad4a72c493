#!/bin/bash
# turn_channels.sh: channel numbers against the daemon's defaults. coturn's turnutils_uclient
# binds numbers in RFC 5766's 0x4000-0x7FFF and must work against a crossbar TURN server
# started with no channel setting; turn.rfc5766_channels=false keeps to RFC 8656 §12's
# 0x4000-0x4FFF and answers a ChannelBind of 0x5000 with 400, while 0x4000 still binds.
. "$(dirname "$0")/lib.sh"
export PYTHONPATH="$SRC/tests/security"

require_tools turnutils_uclient turnutils_peer # Debian package coturn

crossbar_names dflt
PORT=$dflt_TURN
strict_TURN=$PORT
PEER=$(free_port)
turnutils_peer -L 127.0.0.1 -p "$PEER" >"$TMP/peer.log" 2>&1 &
PIDS+=("$!")

check "the daemon starts with mod_turn and no channel setting" start_crossbar dflt turn \
	--set turn.allow_loopback_peers=true --set turn.users=alice:wonderland \
	--set turn.relay_ports=45000-45999

# uclient DESC ARGS...: turnutils_uclient towards the peer; passes when it sent packets and
# lost none.
uclient() {
	local desc=$1 out=$TMP/uclient.$TAP_N.log rc
	shift
	timeout 60 turnutils_uclient -p "$PORT" -r "$PEER" -n 50 -l 160 -z 5 "$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && grep -Eq 'Total transmit time' "$out" &&
		grep -q 'Total lost packets 0 (0.000000%)' "$out"; then
		ok "$desc"
	else
		not_ok "$desc (exit $rc)"
		grep -E 'ERROR|error|lost' "$out" | head -5 | sed 's/^/# /'
	fi
}
uclient "turnutils_uclient over UDP, channels, default settings: nothing lost" \
	-u alice -w wonderland -m 4 -e 127.0.0.1 127.0.0.1
uclient "turnutils_uclient over TCP, channels, default settings: nothing lost" \
	-u alice -w wonderland -m 4 -t -e 127.0.0.1 127.0.0.1

bind() {
	python3 -c "
import turn_attack, sys
c = turn_attack.TurnClient($PORT, 'alice', 'wonderland')
if not c.allocate():
    sys.exit('no allocation')
r = c.channel_bind($1, '127.0.0.1', $PEER)
print('ChannelBind 0x%04x: %d' % ($1, r))
sys.exit(0 if r == $2 else 1)
"
}
check "by default a ChannelBind of 0x5000 succeeds" bind 0x5000 0
check "by default a ChannelBind of 0x7fff succeeds" bind 0x7fff 0

stop_crossbar dflt

check "the daemon starts with turn.rfc5766_channels=false" start_crossbar strict turn \
	--set "turn.listen=udp:127.0.0.1:$PORT" --set turn.rfc5766_channels=false \
	--set turn.allow_loopback_peers=true --set turn.users=alice:wonderland \
	--set turn.relay_ports=45000-45999
check "with rfc5766_channels=false a ChannelBind of 0x5000 is answered 400" bind 0x5000 400
check "with rfc5766_channels=false a ChannelBind of 0x4fff still succeeds" bind 0x4fff 0

done_testing
