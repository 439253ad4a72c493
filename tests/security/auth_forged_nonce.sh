#!/bin/bash
# auth_forged_nonce.sh: only a wrong answer to a nonce that the registrar sent to that very
# address, still fresh, counts towards a ban. Floods of REGISTERs with a made-up nonce, a
# well-formed nonce of another server, an expired nonce or a nonce sent to another address
# (all of which a forged UDP source can send) ban nobody: the right password from the same
# address registers afterwards. Real guesses on genuine nonces do ban, logged once.
. "$(dirname "$0")/../integration/lib.sh"

require_tools python3

export PYTHONPATH="$SRC/tests/security"
crossbar_names main
check "the daemon starts with the registrar" start_crossbar main sip,registrar \
	--set sip.listen=udp:127.0.0.1:$main_PORT --set registrar.realm=pbx.test \
	--set registrar.demo_users=no --set registrar.nonce_ttl=2 \
	--set registrar.ban_failures=10 --set registrar.ban_window=60 --set registrar.ban_time=600
SPORT=$main_PORT
"$CLI" --socket "$SOCK" user add 2000 --password right-2000 >/dev/null

# py SCRIPT: runs Python with the helpers imported; exit 0 when the script's checks hold.
py() { timeout 60 python3 -c "from attack import *
$1"; }

check "50 REGISTERs with nonce=\"x\" response=\"00\" are each challenged again (401)" py "
c = SipClient($SPORT, '127.0.0.1')
codes = [c.answer('x', response='00') for _ in range(50)]
assert codes == [401] * 50, codes"
check "... and the right password from the same address then registers (200)" py "
assert SipClient($SPORT, '127.0.0.1').login('right-2000') == 200"

check "50 wrong answers to a well-formed nonce of another server do not ban" py "
c = SipClient($SPORT, '127.0.0.1')
n = '6700aa11.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBB'
codes = [c.answer(n, password='guess%d' % i) for i in range(50)]
assert codes == [401] * 50, codes
assert c.login('right-2000') == 200"

check "wrong answers to an expired nonce of ours do not ban" py "
import time
c = SipClient($SPORT, '127.0.0.1')
n = c.challenge()['nonce']
time.sleep(3)
codes = [c.answer(n, password='guess%d' % i) for i in range(20)]
assert codes == [401] * 20, codes
assert c.login('right-2000') == 200"

check "wrong answers to a nonce sent to another address do not ban" py "
other = SipClient($SPORT, '127.0.0.2')
n = other.challenge()['nonce']
c = SipClient($SPORT, '127.0.0.1')
codes = [c.answer(n, password='guess%d' % i) for i in range(20)]
assert codes == [401] * 20, codes
assert c.login('right-2000') == 200"

check "nothing so far was banned or logged as a ban" bash -c "! grep -q 'banned for' '$TMP/main.log'"

check "the 10th wrong password on genuine nonces bans its source (403)" py "
c = SipClient($SPORT, '127.0.0.3')
codes = [c.login('guess%d' % i) for i in range(10)]
assert codes == [401] * 9 + [403], codes"
check "... after which the right password from there gets 403" py "
assert SipClient($SPORT, '127.0.0.3').login('right-2000') == 403"
check "... while other addresses still register" py "
assert SipClient($SPORT, '127.0.0.1').login('right-2000') == 200"
check "the ban is logged once" bash -c "[ \$(grep -c 'registrar: 127.0.0.3 banned for 600 s' '$TMP/main.log') -eq 1 ]"
check "status counts one banned source" bash -c "'$CLI' --socket '$SOCK' status | grep -Eq 'auth_sources_banned +1\$'"
check "the daemon still answers" bash -c "'$CLI' --socket '$SOCK' status >/dev/null"
done_testing
