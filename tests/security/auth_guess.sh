#!/bin/bash
# auth_guess.sh: password guessing through TURN meets the same limiter as REGISTER. Wrong
# MESSAGE-INTEGRITY on our genuine nonces bans the source after ban_failures; then even the
# right password is refused (403) without being checked, and the ban is logged once. Made-up
# nonces (438) count nothing. Failures through REGISTER and TURN from one source add up.
. "$(dirname "$0")/../integration/lib.sh"

require_tools python3

export PYTHONPATH="$SRC/tests/security"
crossbar_names main
check "the daemon starts with the registrar and mod_turn" start_crossbar main sip,registrar,turn \
	--set sip.listen=udp:127.0.0.1:$main_PORT --set registrar.realm=pbx.test \
	--set registrar.demo_users=no --set registrar.ban_failures=10 \
	--set registrar.ban_window=60 --set registrar.ban_time=600 \
	--set turn.listen=udp:127.0.0.1:$main_TURN --set turn.relay_ports=46000-46999
SPORT=$main_PORT
TPORT=$main_TURN
"$CLI" --socket "$SOCK" user add 1001 --password right-1001 >/dev/null

py() { timeout 60 python3 -c "from attack import *
$1"; }

check "the right password allocates (from 127.0.0.1)" py "
assert TurnClient($TPORT, '127.0.0.1').allocate('1001', 'right-1001') == 0"
check "Allocates with a made-up nonce get 438 and count nothing" py "
import hashlib
t = TurnClient($TPORT, '127.0.0.4')
key = hashlib.md5(b'1001:pbx.test:guess').digest()
codes = [t.send(stun_allocate('1001', 'pbx.test', '0' * 40, key))[1] for _ in range(30)]
assert codes == [438] * 30, codes"
check "2000 guesses at user 1001 from 127.0.0.4: the first 9 get 401, then 403" py "
t = TurnClient($TPORT, '127.0.0.4')
codes = [t.allocate('1001', 'guess%d' % i) for i in range(2000)]
assert codes[:9] == [401] * 9 and set(codes[9:]) == {403}, codes[:12]"
check "... and the right password from there is refused with 403" py "
assert TurnClient($TPORT, '127.0.0.4').allocate('1001', 'right-1001') == 403"
check "... while 127.0.0.1 still allocates" py "
assert TurnClient($TPORT, '127.0.0.1').allocate('1001', 'right-1001') == 0"
check "the TURN ban is logged once" bash -c "[ \$(grep -c 'banned for' '$TMP/main.log') -eq 1 ] && grep -q 'turn: 127.0.0.4 banned for 600 s' '$TMP/main.log'"
check "the refusals are counted" bash -c "'$CLI' --socket '$SOCK' turn stats | awk '\$1 == \"auth_refused_banned\" && \$2 >= 1990 {f=1} END {exit !f}'"

check "5 REGISTER and 5 TURN failures from 127.0.0.5 add up to a ban" py "
s = SipClient($SPORT, '127.0.0.5', user='1001')
assert [s.login('guess%d' % i) for i in range(5)] == [401] * 5
t = TurnClient($TPORT, '127.0.0.5')
codes = [t.allocate('1001', 'guess%d' % i) for i in range(5)]
assert codes == [401] * 4 + [403], codes"
check "... so REGISTER with the right password from there gets 403" py "
assert SipClient($SPORT, '127.0.0.5', user='1001').login('right-1001') == 403"
check "... and TURN with the right password too" py "
assert TurnClient($TPORT, '127.0.0.5').allocate('1001', 'right-1001') == 403"
check "that ban is logged once, by the module that reached the limit" bash -c "[ \$(grep -c '127.0.0.5 banned for' '$TMP/main.log') -eq 1 ] && grep -q 'turn: 127.0.0.5 banned' '$TMP/main.log'"
check "the daemon still answers" bash -c "'$CLI' --socket '$SOCK' status >/dev/null"
done_testing
