#!/bin/bash
# registrar.sh: REGISTER against SIPp and baresip on loopback:
# MD5 digest, wrong password and unknown user alike, stale nonce, replayed nonce count, 423,
# wildcard removal (and its misuse), several contacts, the contact limit, a fetch, the To
# AOR check, Path kept (RFC 3327), Call-ID/CSeq ordering (§10.3 step 7), persistence across a restart (also of a binding still in the write batch), expiry (also while the daemon was down), the ban
# after repeated failures; baresip registering over UDP, TCP and TLS.
. "$(dirname "$0")/lib.sh"

require_tools sipp baresip sqlite3 openssl # Debian packages sip-tester, baresip

crossbar_names reg
PORT=$reg_PORT
DATA=$reg_DATA
SIPP_DIR=$SRC/tests/integration/sipp
# mod_evtap (a test module) shows the events on the bus and asks the location API.
ARGS=(--set registrar.realm=pbx.test
	--set registrar.demo_users=no --set registrar.nonce_ttl=2 --set registrar.min_expires=2
	--set registrar.ban_failures=8 --set registrar.ban_time=600
	--set core.log_level=info)
cli() { "$CLI" --socket "$SOCK" "$@"; }

# reg SCENARIO USER PASSWORD CONTACT EXPIRES [TO-USER] [sipp args]: one SIPp call.
reg() {
	local sf=$1 name=$1-$RANDOM
	printf 'SEQUENTIAL\n%s;%s;%s;%s;%s;\n' "$2" "$3" "$4" "$5" "${6:-$2}" >"$TMP/$name.csv"
	# SIPp 3.6 does not expand [fieldN] inside [authentication]: write the credentials in.
	sed "s|\[authentication username=\[field0\] password=\[field1\]\]|[authentication username=$2 password=$3]|" \
		"$SIPP_DIR/$sf.xml" >"$TMP/$name.xml"
	shift 6
	timeout 20 sipp -sf "$TMP/$name.xml" -inf "$TMP/$name.csv" -m 1 -l 1 -i 127.0.0.1 \
		-p "$(free_port)" -timeout 10 -timeout_error -trace_err \
		-error_file "$TMP/$name.err" "$@" 127.0.0.1:$PORT >"$TMP/$name.out" 2>&1
}
bindings() { cli registrations "$1" | grep -c "^$1 " ; }

check "the daemon starts with the registrar" start_crossbar reg sip,registrar,evtap "${ARGS[@]}"
cli user add 2000 --password pw-2000-secret --max-contacts 10 >/dev/null
cli user add 2001 --password pw-2001-secret --max-contacts 2 >/dev/null

A="<sip:2000@127.0.0.1:6001>"
check "REGISTER with MD5 digest: 401 then 200 with expires and Date" reg reg_ok 2000 pw-2000-secret "$A" 600 ""
check "the binding is in registrations with its source" bash -c "'$CLI' --socket '$SOCK' registrations 2000 | grep -E '^2000 +sip:2000@127.0.0.1:6001 +udp:127.0.0.1:[0-9]+ +(600|59[0-9])'"
check "a registration event reached the bus (extension, contact, source, seconds)" bash -c "'$CLI' --socket '$SOCK' evtap | grep -E \"^registration \\('2000', 'sip:2000@127.0.0.1:6001', 'udp:127.0.0.1:[0-9]+', (600|599)\\)\""
check "the location API gives the contact and its flow" bash -c "'$CLI' --socket '$SOCK' evtap locate 2000 | grep -E '^sip:2000@127.0.0.1:6001 +udp:127.0.0.1:[0-9]+ +0 +(600|599)'"
check "a registration asking more than registrar.max_expires gets the maximum" reg reg_ok 2000 pw-2000-secret "<sip:2000@127.0.0.1:6401>" 99999 ""
check "... 3600 s" bash -c "'$CLI' --socket '$SOCK' registrations 2000 | grep -E '6401 .* (3600|3599) '"
check "the 401 offers SHA-256 and MD5 together" reg register_md5 2000 pw-2000-secret "$A" 600 ""
check "a wrong password gets 401 again" reg reg_refused 2000 wrong-password "$A" 600 ""
check "an unknown user gets the same 401" reg reg_refused 9999 pw-2000-secret "<sip:9999@127.0.0.1:6001>" 600 ""
check "an expired nonce gets 401 with stale=true" reg reg_stale 2000 pw-2000-secret "$A" 600 ""
check "SIPp counts nonce uses: a second REGISTER on the same nonce with nc=2 is accepted" reg reg_replay 2000 pw-2000-secret "$A" 600 "" -trace_msg -message_file "$TMP/replay.msgs"
# Replay SIPp's first authenticated REGISTER verbatim (same nonce, same nc) as a new
# transaction: the nonce count did not grow, so it is refused.
awk 'BEGIN{RS="-----------------------------------------------"} /UDP message sent/ && /nc=00000001/ {blk=$0} END{printf "%s", blk}' "$TMP/replay.msgs" |
	sed -n '/^REGISTER/,$p' | sed '/^\r$/q' | sed 's/branch=z9hG4bK[^;]*/branch=z9hG4bKreplay1/; s/^CSeq: [0-9]*/CSeq: 9/' >"$TMP/replay.sip"
# The nonce is still fresh: a 401 with stale=true would say "old nonce", not "replay".
replay_answer=$(exec 3<>/dev/udp/127.0.0.1/$PORT; cat "$TMP/replay.sip" >&3; timeout 2 dd bs=65536 count=1 <&3 2>/dev/null | tr -d '\r')
replay_status=$(echo "$replay_answer" | head -1)
if [[ "$replay_status" =~ ^SIP/2.0\ 401 ]] && echo "$replay_answer" | grep -q '^WWW-Authenticate: Digest' &&
	! echo "$replay_answer" | grep -qi 'stale=true'; then
	ok "a replayed nonce count gets 401 with a new challenge, not stale ($replay_status)"
else
	not_ok "a replayed nonce count gets 401 with a new challenge, not stale (got '$replay_status')"
	echo "$replay_answer" | sed 's/^/# /'
fi
check "too brief an interval gets 423 with Min-Expires" reg reg_brief 2000 pw-2000-secret "$A" 1 ""
check "registering another user's address gets 403" reg reg_other_aor 2000 pw-2000-secret "$A" 600 2001
check "several contacts in one REGISTER" reg reg_ok 2000 pw-2000-secret "<sip:2000@127.0.0.1:6002>, <sip:2000@127.0.0.1:6003>" 600 ""
check "... are all bound" bash -c "'$CLI' --socket '$SOCK' registrations 2000 | grep -q 6002 && '$CLI' --socket '$SOCK' registrations 2000 | grep -q 6003"
check "REGISTER through an edge proxy: the 200 echoes Path (RFC 3327)" reg reg_path 2000 pw-2000-secret "<sip:2000@127.0.0.1:6201>" 600 ""
# §10.3 step 7 by hand (SIPp cannot keep one Call-ID across calls and still match the
# answers): a digest REGISTER over a raw UDP socket, computed here with md5sum.
raw_register() { # raw_register CALL-ID CSEQ: prints the final status line
	local callid=$1 cseq=$2 nonce resp ha1 ha2 msg
	exec 3<>/dev/udp/127.0.0.1/$PORT
	msg="REGISTER sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKraw$RANDOM$RANDOM;rport\r\nFrom: <sip:2000@pbx.test>;tag=raw$cseq\r\nTo: <sip:2000@pbx.test>\r\nCall-ID: $callid\r\nCSeq: $((cseq + 100)) REGISTER\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	printf '%b' "$msg" >"$TMP/raw1"
	cat "$TMP/raw1" >&3
	nonce=$(timeout 2 dd bs=65536 count=1 <&3 2>/dev/null | sed -n 's/.*algorithm=MD5.*//;s/^WWW-Authenticate: .*nonce="\([^"]*\)".*/\1/p' | head -1)
	ha1=$(printf '2000:pbx.test:pw-2000-secret' | md5sum | cut -d' ' -f1)
	ha2=$(printf 'REGISTER:sip:pbx.test' | md5sum | cut -d' ' -f1)
	resp=$(printf '%s:%s:00000001:abcdef:auth:%s' "$ha1" "$nonce" "$ha2" | md5sum | cut -d' ' -f1)
	msg="REGISTER sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKraw$RANDOM$RANDOM;rport\r\nFrom: <sip:2000@pbx.test>;tag=raw$cseq\r\nTo: <sip:2000@pbx.test>\r\nCall-ID: $callid\r\nCSeq: $cseq REGISTER\r\nContact: <sip:2000@127.0.0.1:6301>\r\nExpires: 600\r\nAuthorization: Digest username=\"2000\", realm=\"pbx.test\", nonce=\"$nonce\", uri=\"sip:pbx.test\", response=\"$resp\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"abcdef\"\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	printf '%b' "$msg" >"$TMP/raw2"
	cat "$TMP/raw2" >&3
	timeout 2 dd bs=65536 count=1 <&3 2>/dev/null | head -1 | tr -d '\r'
	exec 3>&-
}
got=$(raw_register order-test-callid 5)
if [[ "$got" =~ ^SIP/2.0\ 200 ]]; then ok "a digest REGISTER from a raw socket is accepted ($got)"; else not_ok "a digest REGISTER from a raw socket is accepted (got '$got')"; fi
got=$(raw_register order-test-callid 4)
if [[ "$got" =~ ^SIP/2.0\ 400\ Invalid\ CSeq ]]; then ok "the same Call-ID with a lower CSeq gets 400 (§10.3 step 7: $got)"; else not_ok "the same Call-ID with a lower CSeq gets 400 (§10.3 step 7; got '$got')"; fi
got=$(raw_register order-test-callid 6)
if [[ "$got" =~ ^SIP/2.0\ 200 ]]; then ok "the same Call-ID with a higher CSeq is accepted ($got)"; else not_ok "the same Call-ID with a higher CSeq is accepted (got '$got')"; fi
check "a fetch lists the bindings" reg reg_fetch 2000 pw-2000-secret "" "" ""
check "a wildcard with other contacts gets 400" reg reg_bad 2000 pw-2000-secret "*, <sip:2000@127.0.0.1:6009>" 0 ""
check "a wildcard with a non-zero expiry gets 400" reg reg_bad 2000 pw-2000-secret "*" 3600 ""
check "Contact: * with Expires: 0 removes every binding" reg reg_cleared 2000 pw-2000-secret "*" 0 ""
check "... and none is left" lacks '^2000 ' cli registrations 2000
check "the contact limit is enforced with 403" reg reg_forbidden 2001 pw-2001-secret "<sip:2001@127.0.0.1:7001>, <sip:2001@127.0.0.1:7002>, <sip:2001@127.0.0.1:7003>" 600 ""

# Persistence and expiry.
check "register a long binding" reg reg_ok 2000 pw-2000-secret "<sip:2000@127.0.0.1:6101>" 600 ""
check "register a short binding" reg reg_ok 2000 pw-2000-secret "<sip:2000@127.0.0.1:6102>" 3 ""
sleep 4.5
check "the short binding expired by the timer" lacks 6102 cli registrations 2000
check "... and its expiry is logged" grep -q 'registration of 2000 at sip:2000@127.0.0.1:6102 expired' "$TMP/reg.log"
check "... and its removal reached the bus with 0 seconds" bash -c "'$CLI' --socket '$SOCK' evtap | grep -qF \"registration ('2000', 'sip:2000@127.0.0.1:6102', 'udp:127.0.0.1:\" && '$CLI' --socket '$SOCK' evtap | grep -E \"6102', '.*', 0\\)\""
check "register a binding that will expire while the daemon is down" reg reg_ok 2000 pw-2000-secret "<sip:2000@127.0.0.1:6103>" 2 ""
stop_crossbar reg
sleep 2.5
check "the daemon starts again" start_crossbar reg sip,registrar,evtap "${ARGS[@]}"
check "the long binding survived the restart" bash -c "'$CLI' --socket '$SOCK' registrations 2000 | grep -q 'sip:2000@127.0.0.1:6101'"
check "the binding that expired while it was down is gone" lacks 6103 cli registrations 2000
check "registrations --json" bash -c "'$CLI' --socket '$SOCK' --json registrations | grep -q '\"contact\":\"sip:2000@127.0.0.1:6101\"'"

# baresip, a real phone, over UDP, TCP and TLS (a certificate made here, which baresip is
# told to trust). Its libre (1.0, Debian 12) gives up on any SHA-256 challenge, even a second
# one, so this daemon offers MD5 alone.
crossbar_names bares
BPORT=$bares_PORT
TLSPORT=$(free_port)
BSOCK=$bares_SOCK
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
start_crossbar bares sip,registrar \
	--set sip.listen=udp:127.0.0.1:$BPORT,tcp:127.0.0.1:$BPORT,tls:127.0.0.1:$TLSPORT \
	--set sip.tls_certificate="$TMP/cert.pem" --set sip.tls_key="$TMP/key.pem" \
	--set registrar.realm=pbx.test --set registrar.demo_users=no --set registrar.digest_algorithms=MD5
SOCK=$reg_SOCK # cli and the checks below talk to the first daemon again
"$CLI" --socket "$BSOCK" user add 2000 --password pw-2000-secret >/dev/null
for t in udp tcp tls; do
	port=$BPORT
	[ $t = tls ] && port=$TLSPORT
	mkdir -p "$TMP/baresip-$t"
	cat >"$TMP/baresip-$t/config" <<CONF
poll_method		poll
sip_listen		127.0.0.1:$(free_port)
sip_cafile		$TMP/cert.pem
module_path		/usr/lib/baresip/modules
module			g711.so
module			account.so
CONF
	echo "<sip:2000@127.0.0.1:$port;transport=$t>;auth_pass=pw-2000-secret;regint=600" >"$TMP/baresip-$t/accounts"
	timeout 20 baresip -f "$TMP/baresip-$t" -t 4 >"$TMP/baresip-$t.log" 2>&1 </dev/null &
	bpid=$!
	for _ in $(seq 1 30); do grep -q "200 OK" "$TMP/baresip-$t.log" && break; sleep 0.1; done
	check "baresip registers over ${t^^}" bash -c "'$CLI' --socket '$BSOCK' registrations 2000 | grep -E ' $t:127.0.0.1:[0-9]+ .* baresip'"
	check "baresip reports the 200 over ${t^^}" grep -q "{0/${t^^}/v4} 200 OK (crossbar) \\[1 binding\\]" "$TMP/baresip-$t.log"
	wait "$bpid"
	check "baresip's unregistration on exit removes the binding (${t^^})" lacks baresip "$CLI" --socket "$BSOCK" registrations 2000
done

# The ban: failures from one address beyond the limit get 403 with no challenge.
for _ in $(seq 1 10); do reg reg_refused 2000 wrong-password "$A" 600 "" || break; done
check "after repeated failures the source is banned: 403 without a challenge" reg reg_banned 2000 "" "" "" ""
check "the ban is logged once" bash -c "[ \$(grep -c 'banned for 600 s' '$TMP/reg.log') -eq 1 ]"
check "the daemon is still alive" cli status

# Batched writes (registrar.write_interval_ms): a binding answered with a 200 waits for the
# batch's commit, but a clean stop (crossbar-cli shutdown, SIGTERM) commits it. A long
# window here, so that only the stop can have written it.
# rows_in_file PORT N: the database file (as another process reads it) holds N rows for it.
rows_in_file() { [ "$(sqlite3 "$DATA/crossbar.db" "SELECT count(*) FROM location WHERE contact LIKE '%:$1'")" = "$2" ]; }
stop_crossbar reg
check "the daemon starts with a 60 s write interval" start_crossbar reg sip,registrar,evtap "${ARGS[@]}" --set registrar.write_interval_ms=60000
check "register a binding" reg reg_ok 2000 pw-2000-secret "<sip:2000@127.0.0.1:6104>" 600 ""
check "... it is listed at once" bash -c "'$CLI' --socket '$SOCK' registrations 2000 | grep -q 6104"
check "... and not yet committed to the database file" rows_in_file 6104 0
stop_crossbar reg
check "crossbar-cli shutdown right after the REGISTER committed the binding" rows_in_file 6104 1
check "the daemon starts again" start_crossbar reg sip,registrar,evtap "${ARGS[@]}" --set registrar.write_interval_ms=60000
check "... with the binding registered just before the stop" bash -c "'$CLI' --socket '$SOCK' registrations 2000 | grep -q 6104"
check "register another binding" reg reg_ok 2000 pw-2000-secret "<sip:2000@127.0.0.1:6105>" 600 ""
stop_crossbar reg TERM
check "SIGTERM right after the REGISTER committed the binding" rows_in_file 6105 1
check "the daemon starts a third time" start_crossbar reg sip,registrar,evtap "${ARGS[@]}"
check "... with both bindings" bash -c "'$CLI' --socket '$SOCK' registrations 2000 | grep -q 6104 && '$CLI' --socket '$SOCK' registrations 2000 | grep -q 6105"
done_testing
