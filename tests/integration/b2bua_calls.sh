#!/bin/bash
# b2bua_calls.sh: calls through crossbar as a B2BUA (mod_sip's channel driver, the dialplan's
# bridge), SIPp calling crossbar on loopback and a second SIPp called by it, routed by a
# FreeSWITCH-style plan the test writes. Each call is two dialogs (RFC 3261 §12: the callee
# sees its own Call-ID, tags and Via); the caller's offer and the callee's answer go across
# unchanged; caller and callee may each hang up; busy stays 486 at the caller; no answer
# within call_timeout ends in 480 (NO_ANSWER, RFC 3398) with a CANCEL to the callee; the
# caller's CANCEL reaches the callee (§9); 180 and 183 with SDP are relayed (crossbar's own
# ringback is off: ringback.sh tests it); a late offer
# (an INVITE without SDP) is answered in the caller's ACK, which reaches the callee in
# crossbar's; re-INVITE, UPDATE (RFC 3311) and INFO (RFC 6086) go across both ways with
# their bodies (an INFO carrying a digit, application/dtmf-relay, is the call's DTMF, heard
# by crossbar and sent on as such); a call that loops back into crossbar ends in 483 within 71 INVITEs (§16.3 item 2, Max-Forwards); 415
# and 406 refuse what crossbar cannot take (§8.2.3, §20.1). The final responses, BYEs and
# CANCELs crossbar sends say why in a Reason header (RFC 3326, the Q.850 cause). Ring groups
# (a,b: the phone that loses is told "Call completed elsewhere") and hunt groups (a|b, on
# busy and on [leg_timeout=N]). Then the targets gateway/NAME/NUMBER
# (its credentials answer a 407, From its account) and user/EXT (a registered contact, along
# the flow it registered on; 480 when the user has none registered). Last, a shutdown with a call up
# sends both parties a BYE. Targets are literal addresses but one, localhost by name (RFC 3263
# with a port: A/AAAA only; SRV is tested in test_gateway_proxy).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3 # Debian package sip-tester

export COLUMNS=250
crossbar_names b2b
PORT=$b2b_PORT
UAS_PORT=$(free_port)
while [ "$UAS_PORT" = "$PORT" ]; do UAS_PORT=$(free_port); done
UAS2_PORT=$(free_port)
while [ "$UAS2_PORT" = "$PORT" ] || [ "$UAS2_PORT" = "$UAS_PORT" ]; do UAS2_PORT=$(free_port); done
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
cli() { "$CLI" --socket "$b2b_SOCK" "$@"; }

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="loop">
      <condition field="destination_number" expression="^loop\$">
        <action application="bridge" data="sip:loop@127.0.0.1:$PORT"/>
      </condition>
    </extension>
    <extension name="no-answer">
      <condition field="destination_number" expression="^noanswer\$">
        <action application="set" data="call_timeout=3"/>
        <action application="bridge" data="sip:noanswer@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
    <extension name="trunk">
      <condition field="destination_number" expression="^9(\d+)\$">
        <action application="bridge" data="gateway/carrier/\$1"/>
      </condition>
    </extension>
    <extension name="phones">
      <condition field="destination_number" expression="^u(\d+)\$">
        <action application="bridge" data="user/\$1"/>
      </condition>
    </extension>
    <extension name="by-name">
      <condition field="destination_number" expression="^h(\d+)\$">
        <action application="bridge" data="sip:\$1@localhost:$UAS_PORT"/>
      </condition>
    </extension>
    <extension name="ring-group">
      <condition field="destination_number" expression="^group\$">
        <action application="bridge" data="sip:g1@127.0.0.1:$UAS_PORT,sip:g2@127.0.0.1:$UAS2_PORT"/>
      </condition>
    </extension>
    <extension name="hunt-group">
      <condition field="destination_number" expression="^hunt\$">
        <action application="bridge" data="sip:h1@127.0.0.1:$UAS_PORT|sip:h2@127.0.0.1:$UAS2_PORT"/>
      </condition>
    </extension>
    <extension name="hunt-on-no-answer">
      <condition field="destination_number" expression="^slow\$">
        <action application="bridge" data="[leg_timeout=2]sip:s1@127.0.0.1:$UAS_PORT|sip:s2@127.0.0.1:$UAS2_PORT"/>
      </condition>
    </extension>
    <extension name="x">
      <condition field="destination_number" expression="^(\d+)\$">
        <action application="bridge" data="sip:\$1@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
  </context>
</include>
XML
cat >"$TMP/crossbar.xml" <<XML
<?xml version="1.0"?>
<crossbar>
  <gateways>
    <gateway name="carrier">
      <param name="proxy" value="127.0.0.1:$UAS_PORT"/>
      <param name="username" value="user"/>
      <param name="password" value="secret"/>
    </gateway>
  </gateways>
</crossbar>
XML

check "the daemon starts with a plan that bridges to SIPp" start_crossbar b2b sip,registrar,evtap \
	--config "$TMP/crossbar.xml" --set dialplan.file="$TMP/plan.xml" --set sip.domain=pbx.test \
	--set directory.demo_users=no --set media.ringback=no

# first_invite NAME sent|received: the header lines of the first INVITE SIPp sent or received.
first_invite() {
	awk -v dir="message $2" '
	/^-----/ { if (inv) exit; on = 0; next }
	index($0, dir) { on = 1; start = 1; next }
	on && start && NF { start = 0; inv = /^INVITE / }
	on && inv { sub(/\r$/, ""); print }' "$TMP/$1.msgs"
}
# two_dialogs CALLER CALLEE: the callee's INVITE has a Call-ID, From tag and top Via of its
# own (crossbar's), not the caller's (RFC 3261 §12.1: a B2BUA is a UAS to one, a UAC to the
# other).
two_dialogs() {
	local a b h va vb
	a=$(first_invite "$1" sent) b=$(first_invite "$2" received)
	for h in Call-ID From Via; do
		va=$(grep -m1 -i "^$h:" <<<"$a") vb=$(grep -m1 -i "^$h:" <<<"$b")
		[ "$h" = From ] && va=${va##*tag=} vb=${vb##*tag=}
		echo "caller $h: $va | callee $h: $vb"
		[ -n "$va" ] && [ -n "$vb" ] && [ "$va" != "$vb" ] || return 1
	done
	grep -qE "^Via: SIP/2.0/UDP 127.0.0.1:$PORT;" <<<"$b"
}
# final NAME STATUS: the last status SIPp received is STATUS.
final() {
	local got
	got=$(statuses "$1")
	echo "got: $got"
	[[ "$got" =~ (^| )$2\ $ ]]
}
# no_channels: every channel of the calls is gone.
no_channels() { cli calls | awk 'NR > 1 && NF && $0 != "(none)" {n++; print} END {exit n > 0}'; }
# events: what the evtap module saw on the bus, one event a line.
events() {
	cli --json evtap | python3 -c 'import json, sys; [print(r["event"]) for r in json.load(sys.stdin)["rows"]]'
}
# gone_with CALL_ID CAUSE: the channel of that SIP call ended with that cause.
gone_with() { events | grep -F "'$1'" | grep -F "'gone', '$2'"; }
requests() { cli sip status | awk '/^requests_received/ {print $2}'; }

# --- answered, hung up by either side ----------------------------------------------------
uas_start answer b2b_uas_answer.xml
check "a call through crossbar is answered with the callee's SDP, and the caller's BYE gets 200" \
	uac answer_a b2b_uac_bye.xml 1000
check "... the callee got the caller's offer, caller ID and Max-Forwards 69, then crossbar's BYE" \
	uas_done
check "... the callee's INVITE is a dialog of its own (Call-ID, From tag, Via)" \
	two_dialogs answer_a answer
check "... both legs are gone" until_ok 3 no_channels

uas_start callee_bye call_uas_bye.xml
check "the callee hangs up: its BYE reaches the caller as crossbar's BYE in the caller's dialog" \
	uac callee_bye_a b2b_uac_callee_bye.xml 1001
check "... the callee's BYE got 200" uas_done

uas_start named b2b_uas_answer.xml
check "a target by host name (sip:NUMBER@localhost:PORT, looked up off the main loop)" \
	uac named_a b2b_uac_bye.xml h1000
check "... reaches the callee at the address found" uas_done

# --- refused, unanswered, cancelled ------------------------------------------------------
uas_start busy b2b_uas_busy.xml
check "a busy callee" uac busy_a b2b_uac_refused.xml 1002
check "... is 486 at the caller (USER_BUSY and its SIP status carried across)" final busy_a 486
check "... crossbar ACKed the callee's 486" uas_done
check "... the 486 says why in a Reason header (RFC 3326)" \
	grep -q '^Reason: Q.850;cause=17;text="USER_BUSY"' "$TMP/busy_a.msgs"
check "... the caller's channel ended USER_BUSY" gone_with busy_a-1 USER_BUSY

uas_start noanswer call_uas_cancel.xml
t0=$(date +%s%N)
check "a callee that rings and never answers, with call_timeout=3" \
	uac noanswer_a b2b_uac_refused.xml noanswer
secs=$((($(date +%s%N) - t0) / 1000000000))
check "... the caller gets 480 (NO_ANSWER) after the 180" final noanswer_a "180 480"
check "... after about 3 s (took ${secs} s)" test "$secs" -ge 2 -a "$secs" -le 6
check "... and the callee got crossbar's CANCEL, its 487 ACKed" uas_done
check "... the CANCEL says why (Reason: Q.850 cause 19, NO_ANSWER)" \
	grep -q '^Reason: Q.850;cause=19;text="NO_ANSWER"' "$TMP/noanswer.msgs"
check "... the caller's channel ended NO_ANSWER" gone_with noanswer_a-1 NO_ANSWER

uas_start cancel call_uas_cancel.xml
check "the caller cancels while the callee rings: 200 for the CANCEL, 487 for the INVITE" \
	uac cancel_a call_cancel.xml 1003
check "... the callee got crossbar's CANCEL, its 487 ACKed" uas_done
check "... the caller's channel ended ORIGINATOR_CANCEL" gone_with cancel_a-1 ORIGINATOR_CANCEL
check "... both legs are gone" until_ok 3 no_channels

# --- provisional responses and requests within the call ----------------------------------
uas_start early b2b_uas_early.xml
check "180, then 183 with the callee's SDP, reach the caller as 180 and 183 with that SDP" \
	uac early_a b2b_uac_early.xml 1004
check "... the callee's call ended with crossbar's BYE" uas_done

uas_start late b2b_uas_late.xml
check "a late offer: the caller's INVITE has no SDP, the callee's 200 brings the offer" \
	uac late_a b2b_uac_late.xml 1008
check "... the caller's answer, in its ACK, reaches the callee in crossbar's ACK" uas_done

uas_start mid b2b_uas_midcall.xml
check "re-INVITE, UPDATE and INFO from the caller reach the callee, and the callee's reach the caller, with their bodies" \
	uac mid_a b2b_uac_midcall.xml 1005
check "... the callee saw each one and answered, then crossbar's BYE" uas_done
check "... the INFO digits (application/dtmf-relay) were heard by crossbar as DTMF" bash -c \
	"'$CLI' --socket '$b2b_SOCK' evtap | grep -q \"channel.dtmf ('[0-9a-f-]*', '5')\" &&
	 '$CLI' --socket '$b2b_SOCK' evtap | grep -q \"channel.dtmf ('[0-9a-f-]*', '7')\""

# --- refused before routing ----------------------------------------------------------------
check "an INVITE with a text/plain body gets 415 with Accept: application/sdp" \
	uac u415 b2b_uac_415.xml 1006
check "an INVITE whose Accept excludes application/sdp gets 406" uac u406 b2b_uac_406.xml 1007
check "... neither became a channel" lacks "'u415-1'|'u406-1'" events

# --- gateway/NAME/NUMBER -------------------------------------------------------------------
uas_start trunk call_uas_auth407.xml
check "gateway/carrier/NUMBER: the carrier's 407 is answered with the gateway's credentials" \
	uac trunk_a b2b_uac_bye.xml 94930123
check "... the carrier took the call and crossbar's BYE" uas_done
check "... its Request-URI is sip:NUMBER@from_domain and From the gateway's account" bash -c \
	"grep -q '^INVITE sip:4930123@127.0.0.1:$UAS_PORT SIP/2.0' '$TMP/trunk.msgs' &&
	 grep -qE '^From: \"Alice A.\" <sip:user@127.0.0.1:$UAS_PORT>' '$TMP/trunk.msgs'"

# --- user/EXT ----------------------------------------------------------------------------
"$CLI" --socket "$b2b_SOCK" user add 1010 --password phone-pw >/dev/null
# The phone registers from the port SIPp will answer on: the registrar keeps that flow.
register_from() {
	PYTHONPATH=$SRC/tests/security python3 -c '
import socket, sys, attack
port, src_port = int(sys.argv[1]), int(sys.argv[2])
c = attack.SipClient(port, user="1010", domain="pbx.test")
c.sock.close()
c.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.sock.bind(("127.0.0.1", src_port))
c.sock.settimeout(3.0)
code = c.login("phone-pw")
c.close()
sys.exit(0 if code == 200 else 1)
' "$PORT" "$UAS_PORT"
}
check "user 1010 registers from 127.0.0.1:$UAS_PORT" register_from
uas_start phone b2b_uas_answer.xml
check "user/1010: the call reaches the registered phone along its flow" \
	uac phone_a b2b_uac_bye.xml u1010
check "... the phone answered and took crossbar's BYE" uas_done
check "... its Request-URI is the contact, To the address of record" bash -c \
	"grep -q '^INVITE sip:1010@127.0.0.1 SIP/2.0' '$TMP/phone.msgs' &&
	 grep -qE '^To: <sip:1010@pbx.test>' '$TMP/phone.msgs'"
"$CLI" --socket "$b2b_SOCK" user add 1011 --password phone-pw-2 >/dev/null
check "user/1011, a user never registered: the caller gets 480 (SUBSCRIBER_ABSENT)" \
	uac absent_a b2b_uac_refused.xml u1011
check "... 480" final absent_a 480
check "... the caller's channel ended SUBSCRIBER_ABSENT" gone_with absent_a-1 SUBSCRIBER_ABSENT

# --- ring and hunt groups -----------------------------------------------------------------
# two_callees SCEN1 SCEN2 NAME: a SIPp callee on UAS_PORT (NAME1) and one on UAS2_PORT (NAME2).
two_callees() {
	uas_start "${3}1" "$1" && G1_PID=$UAS_PID &&
		UAS_PORT=$UAS2_PORT uas_start "${3}2" "$2" && G2_PID=$UAS_PID
}
# callee_done NAME PID: that callee's SIPp ended its call successfully.
callee_done() { UAS_NAME=$1 UAS_PID=$2 uas_done; }

check "two callees wait" two_callees b2b_uas_answer.xml call_uas_cancel.xml group
check "a ring group (a,b) rings both; the first to answer takes the call" \
	uac group_a b2b_uac_bye.xml group
check "... the one that answered had the call" callee_done group1 "$G1_PID"
check "... the other was cancelled" callee_done group2 "$G2_PID"
check "... its CANCEL says the call was answered elsewhere (no missed call on that phone)" \
	grep -q '^Reason: SIP;cause=200;text="Call completed elsewhere"' "$TMP/group2.msgs"

check "two callees wait" two_callees b2b_uas_busy.xml b2b_uas_answer.xml hunt
check "a hunt group (a|b): the first is busy, the second answers" \
	uac hunt_a b2b_uac_bye.xml hunt
check "... the first was busy" callee_done hunt1 "$G1_PID"
check "... the second had the call" callee_done hunt2 "$G2_PID"

check "two callees wait" two_callees call_uas_cancel.xml b2b_uas_answer.xml slow
t0=$(date +%s%N)
check "[leg_timeout=2]a|b: a rings unanswered, b answers" uac slow_a b2b_uac_bye.xml slow
secs=$((($(date +%s%N) - t0) / 1000000000))
check "... the first was cancelled after its 2 s (the call took ${secs} s)" \
	callee_done slow1 "$G1_PID"
check "... with Reason: Q.850 cause 19 (NO_ANSWER)" \
	grep -q '^Reason: Q.850;cause=19;text="NO_ANSWER"' "$TMP/slow1.msgs"
check "... the second had the call" callee_done slow2 "$G2_PID"
check "... b was tried only after a's timeout" test "$secs" -ge 2
check "... every leg is gone" until_ok 3 no_channels

# --- a loop ------------------------------------------------------------------------------
before=$(requests)
check "a plan that bridges back into crossbar" uac loop_a b2b_uac_refused.xml loop
after=$(requests)
check "... ends in 483 at the caller" final loop_a 483
check "... the caller's channel ended EXCHANGE_ROUTING_ERROR" gone_with loop_a-1 EXCHANGE_ROUTING_ERROR
hops=$((after - before))
check "... after at most 71 INVITEs (saw $hops)" test "$hops" -ge 2 -a "$hops" -le 71
check "... every channel of the loop is gone" until_ok 5 no_channels

check "the daemon is still alive" cli status

# --- a shutdown with a call up -------------------------------------------------------------
uas_start down b2b_uas_answer.xml
uac down_a b2b_uac_callee_bye.xml 1009 &
DOWN_PID=$!
PIDS+=("$DOWN_PID")
check "a call is up" until_ok 5 bash -c "'$CLI' --socket '$b2b_SOCK' calls | grep -q bridged"
stop_crossbar b2b
wait_exit "$DOWN_PID" 10
check "... the caller got crossbar's BYE (SIPp exit ${EXIT_STATUS:-none})" test "${EXIT_STATUS:-1}" -eq 0
check "... the callee too" uas_done
done_testing
