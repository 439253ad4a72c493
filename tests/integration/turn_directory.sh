#!/bin/bash
# turn_directory.sh: TURN credentials from crossbar's directory: a user's
# SIP password serves when turn.realm is the directory's realm (its default: not set here), a
# separate TURN password
# (user set --turn-password) serves too, and a wrong password is refused. Relayed by
# turnutils_uclient to a turnutils_peer on loopback, with no packet lost; the allocations
# and the counters seen on the event bus.
. "$(dirname "$0")/lib.sh"

require_tools turnutils_uclient turnutils_peer # Debian package coturn

PEER=$(free_port)
turnutils_peer -L 127.0.0.1 -p "$PEER" >"$TMP/peer.log" 2>&1 &
PIDS+=("$!")
check "the daemon starts with the registrar and mod_turn" start_crossbar main \
	sip,registrar,turn,evtap --set turn.stats_interval=1 --set registrar.realm=pbx.test \
	--set registrar.demo_users=no --set turn.allow_loopback_peers=true --set turn.rfc5766_channels=true \
	--set turn.relay_ports=45000-45999
PORT=$main_TURN
"$CLI" --socket "$SOCK" user add 2000 --password sip-pass-2000 >/dev/null
"$CLI" --socket "$SOCK" user add 2001 --password sip-pass-2001 --turn-password turn-pass-2001 >/dev/null

relay() { # relay USER PASSWORD [uclient args]: no packet lost
	local out=$TMP/uclient.$1.$RANDOM
	timeout 40 turnutils_uclient -p "$PORT" -e 127.0.0.1 -r "$PEER" -n 30 -l 160 -z 5 -u "$1" -w "$2" "${@:3}" \
		127.0.0.1 >"$out" 2>&1 || return 1
	grep -q 'Total lost packets 0 (0.000000%)' "$out"
}
check "a directory user relays with the SIP password (same realm)" relay 2000 sip-pass-2000
check "... over TCP too" relay 2000 sip-pass-2000 -t
check "a user with a TURN password relays with it" relay 2001 turn-pass-2001
# RFC 8489 §9.2.4: credentials refused get 401, the same for a wrong password and an
# unknown user; the same client with the right password is allocated.
check "a test client with the SIP password is allocated" test "$(turn_allocate_answer "$PORT" 2000 sip-pass-2000)" = 0
check "a wrong password is refused with 401" test "$(turn_allocate_answer "$PORT" 2000 wrong)" = 401
check "an unknown user is refused with 401" test "$(turn_allocate_answer "$PORT" 9999 sip-pass-2000)" = 401
# The bus saw it (mod_evtap, a test module, keeps the events it heard).
check "allocations were announced on the event bus" bash -c "'$CLI' --socket '$SOCK' evtap | grep -q '^turn.allocation.created'"
check "... and their end, with the bytes relayed" bash -c "'$CLI' --socket '$SOCK' evtap | grep -q '^turn.allocation.deleted'"
check "the counters are published every turn.stats_interval" bash -c "'$CLI' --socket '$SOCK' evtap | grep -q '^turn.counters'"
done_testing
