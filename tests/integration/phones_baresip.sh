#!/bin/bash
# phones_baresip.sh: two baresip phones, users 2001 and 2002 of the directory, registered to
# crossbar and calling each other through it (a plan that bridges ^(20\d\d)$ to user/$1):
# over UDP, TCP and TLS the caller's INVITE is challenged (407) and answered, the callee
# answers on its own (answermode=auto), both see the call established, `calls` lists the
# two legs bridged to each other, and the caller's hang-up ends both. Then, over TLS: `originate
# user/2001 2002` rings 2001, which answers and is bridged to 2002 (crossbar's INVITE has no
# offer: the answer to 2001's goes in the ACK); `hangup UUID` ends that call at both phones;
# do-not-disturb makes 2002 busy (486 at the caller, 2002 never rings); forwarding on busy,
# and on no answer once 2002 has unregistered, sends the call to a SIPp callee instead.
# baresip 1.0's libre gives up on any SHA-256 challenge, so the daemon offers MD5 alone
# (registrar.digest_algorithms, sip.digest_algorithms); it has no setting to verify a
# server's certificate (it is given the test's certificate as sip_cafile all the same).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"
. "$(dirname "$0")/baresip_lib.sh"

require_tools baresip sipp openssl python3 # Debian packages baresip, sip-tester

export COLUMNS=250
crossbar_names pbx
PORT=$pbx_PORT
TLSPORT=$(free_port)
UAS_PORT=$(free_port)
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
cli() { "$CLI" --socket "$pbx_SOCK" "$@"; }

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="default">
    <extension name="phones">
      <condition field="destination_number" expression="^(20\d\d)\$">
        <action application="bridge" data="user/\$1"/>
      </condition>
    </extension>
    <extension name="elsewhere">
      <condition field="destination_number" expression="^(3000)\$">
        <action application="bridge" data="sip:\$1@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
  </context>
</include>
XML
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1

check "the daemon starts with SIP over UDP, TCP and TLS" start_crossbar pbx sip,registrar \
	--set sip.listen=udp:127.0.0.1:$PORT,tcp:127.0.0.1:$PORT,tls:127.0.0.1:$TLSPORT \
	--set sip.tls_certificate="$TMP/cert.pem" --set sip.tls_key="$TMP/key.pem" \
	--set dialplan.file="$TMP/plan.xml" --set sip.domain=pbx.test \
	--set directory.realm=pbx.test --set directory.demo_users=no \
	--set registrar.digest_algorithms=MD5 --set sip.digest_algorithms=MD5 \
	--set core.log_level=info
check "users 2001 and 2002 are added" bash -c \
	"'$CLI' --socket '$pbx_SOCK' user add 2001 --password pw-2001 && '$CLI' --socket '$pbx_SOCK' user add 2002 --password pw-2002"

phone_ports 2001 2002
registered() { # EXT TRANSPORT
	cli registrations "$1" | grep -E "^$1 .* $2:127.0.0.1:[0-9]+ .*baresip"
}
both_registered() { registered 2001 "$1" && registered 2002 "$1"; }
not_registered() { ! cli registrations "$1" | grep -qE "^$1 "; }
none_registered() { ! cli registrations | grep -qE '^20'; }
# bridged_pair: `calls` lists exactly two legs, each bridged to the other.
bridged_pair() {
	cli --json calls | python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
print(rows)
assert len(rows) == 2, "%d legs" % len(rows)
a, b = rows
assert a["state"] == b["state"] == "bridged", (a["state"], b["state"])
assert a["bridged"] == b["uuid"] and b["bridged"] == a["uuid"]
'
}
no_calls() { cli calls | awk 'NR > 1 && NF && $0 != "(none)" {n++; print} END {exit n > 0}'; }

EST='Call established'
END=$CALL_ENDED
for t in udp tcp tls; do
	T=${t^^}
	phone_start 2001 "$t"
	phone_start 2002 "$t"
	check "$T: both phones register" until_ok 10 both_registered "$t"
	check "$T: 2001 dials 2002" phone 2001 dial 2002
	check "$T: ... 2002 answers on its own, the call from 2001 established" \
		until_ok 10 seen 2002 1 "$EST: sip:2001@pbx.test"
	check "$T: ... 2001 sees it established" until_ok 5 seen 2001 1 "$EST: sip:2002@127.0.0.1"
	check "$T: ... calls lists two legs bridged to each other" bridged_pair
	check "$T: ... 2001 hangs up" phone 2001 hangup
	check "$T: ... 2002 sees the call end" until_ok 5 seen 2002 1 "$END"
	check "$T: ... both legs are gone" until_ok 5 no_calls
	if [ "$t" != tls ]; then
		phone_stop 2001
		phone_stop 2002
		check "$T: the phones unregister as they quit" until_ok 5 none_registered
	fi
done

# originate: 2001 rings and answers, then is bridged to 2002.
check "originate user/2001 2002" cli originate user/2001 2002
check "... 2001 answers" until_ok 10 seen 2001 2 "$EST"
check "... and is bridged to 2002, which answers" until_ok 10 seen 2002 2 "$EST"
check "... calls lists the two legs bridged" bridged_pair
check "... 2001 hears 2002 (RTP from 2002's phone)" until_ok 5 seen 2001 2 \
	"incoming rtp for 'audio' established"
UUID=$(cli --json calls | python3 -c 'import json, sys; print(json.load(sys.stdin)["rows"][0]["uuid"])')
check "hangup $UUID ends the call" cli hangup "$UUID"
check "... at 2001" until_ok 5 seen 2001 2 "$END"
check "... and at 2002" until_ok 5 seen 2002 2 "$END"
check "... both legs are gone" until_ok 5 no_calls

# Do-not-disturb: busy, and 2002 never rings.
rings=$(count 2002 'answering call')
check "user dnd 2002 on" cli user dnd 2002 on
check "2001 dials 2002" phone 2001 dial 2002
check "... and gets 486 Busy Here" until_ok 5 seen 2001 1 "486 Busy Here"
check "... 2002 never rang" test "$(count 2002 'answering call')" -eq "$rings"
check "... no leg is left" until_ok 5 no_calls

# Forwarding on busy: do-not-disturb counts as busy, the call goes to 3000 (SIPp).
check "user forward 2002 busy 3000" cli user forward 2002 busy 3000
uas_start fwd_busy phone_uas_answer.xml
check "2001 dials 2002" phone 2001 dial 2002
check "... and the call is forwarded to 3000, which answers" until_ok 10 seen 2001 3 "$EST"
check "... 2002 never rang" test "$(count 2002 'answering call')" -eq "$rings"
check "... the forward's callee got the call from 2001" bash -c \
	"grep -q '^INVITE sip:3000@127.0.0.1:$UAS_PORT ' '$TMP/fwd_busy.msgs' && grep -qE '^From: .*<sip:2001@' '$TMP/fwd_busy.msgs'"
check "... 2001 hangs up" phone 2001 hangup
check "... the forward's callee got the BYE" uas_done
check "... no leg is left" until_ok 5 no_calls

# Forwarding on no answer: 2002 has no phone registered.
cli user dnd 2002 off >/dev/null
cli user forward 2002 busy off >/dev/null
check "user forward 2002 noanswer 3000" cli user forward 2002 noanswer 3000
phone_stop 2002
check "2002's phone is gone" until_ok 5 not_registered 2002
uas_start fwd_noanswer phone_uas_answer.xml
check "2001 dials 2002" phone 2001 dial 2002
check "... and the call is forwarded to 3000, which answers" until_ok 10 seen 2001 4 "$EST"
check "... 2001 hangs up" phone 2001 hangup
check "... the forward's callee got the BYE" uas_done
check "... no leg is left" until_ok 5 no_calls
phone_stop 2001
check "the daemon is still alive" cli status
stop_crossbar pbx
done_testing
