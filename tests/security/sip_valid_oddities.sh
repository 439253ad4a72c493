#!/bin/bash
# sip_valid_oddities.sh: valid but unusual SIP that a strict parser might refuse, sent over
# UDP to the real daemon: RFC 4475 §3.1.1.2's quoted-pairs escaping NUL, BEL and DEL in a
# display name (as an unknown method and as OPTIONS), a URI parameter repeated with the same
# value (";transport=tls;transport=tls"), and RFC 5118 §4.10's three-colon IPv6 reference.
# None may be answered 400; a repeated parameter with two values still is; the daemon
# answers a plain OPTIONS afterwards.
. "$(dirname "$0")/../integration/lib.sh"

require_tools python3
export PYTHONPATH="$SRC/tests/security"

crossbar_names main
PORT=$main_PORT

check "the daemon starts" start_crossbar main sip,registrar \
	--set sip.listen=udp:127.0.0.1:$PORT

# status PYTHON-EXPR: the status line answering the message the expression builds.
status() {
	python3 -c "
import sip_oddities, attack, sys
st = attack.udp_status($PORT, $1)
print(st)
" 2>&1
}

not_400() {
	local st
	st=$(status "$1")
	echo "answer: $st"
	[ "$st" != None ] && [[ "$st" != "SIP/2.0 400"* ]]
}

is_400() {
	local st
	st=$(status "$1")
	echo "answer: $st"
	[[ "$st" == "SIP/2.0 400"* ]]
}

check "intmeth (unknown method, NUL/BEL/DEL quoted-pairs in To) is not answered 400" \
	not_400 "sip_oddities.intmeth($PORT)"
check "the same display name in an OPTIONS is not answered 400" \
	not_400 "sip_oddities.intmeth($PORT, method=b'OPTIONS')"

# The answer copies To octet for octet, the escaped NUL included (§8.2.6.2).
to_copied() {
	python3 -c "
import sip_oddities, attack, sys
a = sip_oddities.udp_answer($PORT, sip_oddities.intmeth($PORT, method=b'OPTIONS'))
print(a[:60] if a else a)
sys.exit(0 if a and b'\r\n' + sip_oddities.INTMETH_TO + b';tag=' in a else 1)
"
}
check "the answer carries the To with its escaped NUL, BEL and DEL, uncut" to_copied

check "Contact and To with ;transport=tls;transport=tls are not answered 400" \
	not_400 "attack.sip_request('OPTIONS', $PORT, extra='Contact: <sip:probe@127.0.0.1:9;transport=tls;transport=tls>\r\n').replace(b'To: <sip:probe@127.0.0.1>', b'To: <sip:probe@127.0.0.1;transport=tls;transport=tls>')"
check "a Contact with [2001:db8:::192.0.2.1] (RFC 5118 4.10) is not answered 400" \
	not_400 "attack.sip_request('OPTIONS', $PORT, extra='Contact: <sip:probe@[2001:db8:::192.0.2.1]:5060>\r\n')"
check "a Request-URI with [2001:db8:::192.0.2.1] is not answered 400" \
	not_400 "attack.sip_request('OPTIONS', $PORT, host='[2001:db8:::192.0.2.1]').replace(b'Via: SIP/2.0/UDP [2001:db8:::192.0.2.1]:9', b'Via: SIP/2.0/UDP 127.0.0.1:9')"
check "a To with ;transport=tls;transport=udp is still answered 400" \
	is_400 "attack.sip_request('OPTIONS', $PORT).replace(b'To: <sip:probe@127.0.0.1>', b'To: <sip:probe@127.0.0.1;transport=tls;transport=udp>')"
check "a NUL outside a quoted-string is still answered 400" \
	is_400 "attack.sip_request('OPTIONS', $PORT, extra='Subject: a\x00b\r\n')"
check "a plain OPTIONS is answered afterwards" \
	not_400 "attack.sip_request('OPTIONS', $PORT)"

done_testing
