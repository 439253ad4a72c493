#!/bin/bash
# turn_unauth_flood.sh: UDP sources can be forged, so what mod_turn answers to requests it has
# not authenticated must be small and rate-limited per source address. One 28-byte Allocate
# gets a 401 of at most 84 bytes carrying ERROR-CODE, REALM and NONCE and nothing else; a
# burst of 1,000 from one address gets no more answers than its bucket allows (default 40 at
# once, then 10 per second); another address is still answered; and coturn's
# turnutils_uclient with credentials still allocates and relays.
. "$(dirname "$0")/../integration/lib.sh"
export PYTHONPATH="$SRC/tests/security"

require_tools turnutils_uclient turnutils_peer # Debian package coturn

crossbar_names main
PORT=$main_TURN
PEER=$(free_port)
turnutils_peer -L 127.0.0.1 -p "$PEER" >"$TMP/peer.log" 2>&1 &
PIDS+=("$!")

check "the daemon starts with mod_turn" start_crossbar main turn --set "turn.listen=udp:127.0.0.1:$PORT" \
	--set turn.allow_loopback_peers=true --set turn.users=alice:wonderland \
	--set turn.relay_ports=46000-46999

# RFC 8489 §9.2.4: a 401 needs ERROR-CODE, REALM and NONCE; 20 + 8 + 12 + 44 = 84 bytes.
small_401() {
	python3 -c "
import turn_attack, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.3', 0))
s.settimeout(2)
req = turn_attack.stun_build(turn_attack.ALLOCATE, [(turn_attack.A_TRANSPORT, bytes([17, 0, 0, 0]))])
s.sendto(req, ('127.0.0.1', $PORT))
data = s.recv(2048)
cls, method, tid, attrs = turn_attack.stun_parse(data)
print('request %d bytes, answer %d bytes, attributes %s' %
      (len(req), len(data), ' '.join('0x%04x' % t for t in attrs)))
sys.exit(0 if len(req) == 28 and len(data) <= 84 and turn_attack.stun_error_code(attrs) == 401
         and set(attrs) == {turn_attack.A_ERROR, turn_attack.A_REALM, turn_attack.A_NONCE} else 1)
"
}
check "a 28-byte Allocate gets a 401 of at most 84 bytes, ERROR-CODE/REALM/NONCE only" small_401
sed 's/^/# /' "$TMP/last.out"

flood() {
	python3 -c "
import turn_attack, sys
n, spent, size = turn_attack.turn_flood($PORT, 1000, src='127.0.0.5')
allowed = 40 + int(10 * (spent + 0.2)) + 1
print('1000 Allocates in %.3f s: %d answers (allowed %d), answer size %s' %
      (spent, n, allowed, size))
sys.exit(0 if 40 <= n <= allowed else 1)
"
}
check "1000 Allocates from one address get at most the bucket's answers" flood
sed 's/^/# /' "$TMP/last.out"

other() {
	python3 -c "
import turn_attack, sys
n, spent, size = turn_attack.turn_flood($PORT, 1, src='127.0.0.6', wait=2)
sys.exit(0 if n == 1 else 1)
"
}
check "another address is still answered" other

# A request with the nonce we gave its address proves its source: answered past the limit.
proven() {
	python3 -c "
import turn_attack as t, sys
c = t.TurnClient($PORT, 'alice', 'not-the-password', src='127.0.0.7')
transport = [(t.A_TRANSPORT, bytes([17, 0, 0, 0]))]
ans = c.request(t.ALLOCATE, transport)
c.realm, c.nonce = ans[3][t.A_REALM][0], ans[3][t.A_NONCE][0]
n, spent, size = t.turn_flood($PORT, 1000, src='127.0.0.7')
ans = c.request(t.ALLOCATE, transport)
print('after the flood (%d answers), with our nonce: %s' % (n, ans and t.stun_error_code(ans[3])))
sys.exit(0 if ans and t.stun_error_code(ans[3]) == 401 else 1)
"
}
check "past the limit, a request with our nonce for its address is still answered" proven
check "the dropped answers are counted" \
	bash -c "'$CLI' --socket '$SOCK' --json turn stats | grep -Eq '\"dropped_unauthenticated\": *[1-9]'"

out=$TMP/uclient.log
timeout 60 turnutils_uclient -p "$PORT" -r "$PEER" -n 50 -l 160 -z 5 -u alice -w wonderland \
	-m 4 -e 127.0.0.1 127.0.0.1 >"$out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'Total lost packets 0 (0.000000%)' "$out"; then
	ok "turnutils_uclient with credentials still allocates and relays"
else
	not_ok "turnutils_uclient with credentials still allocates and relays (exit $rc)"
	grep -E 'ERROR|error|lost' "$out" | head -5 | sed 's/^/# /'
fi

done_testing
