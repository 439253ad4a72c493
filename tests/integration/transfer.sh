#!/bin/bash
# transfer.sh: call transfer through crossbar (RFC 3515 REFER, RFC 3891 Replaces), SIPp
# playing every party on loopback, with media.anchor=no: media goes end to end, so each
# phone learns its new partner's SDP by a re-INVITE (anchored, its endpoint is joined to the
# new partner's instead and nothing is re-offered: transfer_baresip.sh). Blind, from the caller's side and from the callee's: 202,
# NOTIFY "SIP/2.0 100 Trying" then the outcome's NOTIFY (Event: refer, message/sipfrag,
# Subscription-State terminated on the last), the transferee reaches the target with its own
# dialog kept (a re-INVITE brings the target's SDP) and the target sees the transferee's
# offer; a second REFER while one is carried out gets 491; a busy target is "486 Busy Here"
# in the NOTIFY; a target that loops back into crossbar ends in "483". Refused while the
# call goes on: no Refer-To, a tel: URI, a 24 KB Refer-To (513, over the parser's line
# limit), a 3 KB one, no number, two Refer-To, a method other than INVITE, a malformed one
# (400/416/403); a REFER in a call that is not
# bridged; a number that routes nowhere in the transferor's context; a trunk caller (context
# "public") transferring to a gateway number that only "default" routes. Attended: a phone
# holding two calls refers the first with Replaces naming the second: its two parties are
# joined (each re-INVITEd with the other's SDP) and both of its legs end; Replaces naming
# another party's call is refused with 403. An INVITE with Replaces (RFC 3891 §3) from the
# party of a call takes that call's place (481 for no call, or another party's). Who routes where: callers from 127.0.0.1 are the
# trunk "office" (context default), from 127.0.0.4 the trunk "carrier" (public), from
# 127.0.0.2 strangers (public, sip.public_for_strangers). A transferred call keeps one call
# record (mod_cdr).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3 # Debian package sip-tester

export COLUMNS=250
crossbar_names xfer
PORT=$xfer_PORT
B_PORT=$(free_port)  # the callees 10xx
Y_PORT=$(free_port)  # the callees 11xx
T_PORT=$(free_port)  # the transfer targets 20xx and busy
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
cli() { "$CLI" --socket "$xfer_SOCK" "$@"; }

routes() {
	cat <<XML
    <extension name="callees">
      <condition field="destination_number" expression="^(10\d\d)\$">
        <action application="bridge" data="sip:\$1@127.0.0.1:$B_PORT"/>
      </condition>
    </extension>
    <extension name="targets">
      <condition field="destination_number" expression="^(20\d\d)\$">
        <action application="bridge" data="sip:\$1@127.0.0.1:$T_PORT"/>
      </condition>
    </extension>
XML
}
cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="default">
$(routes)
    <extension name="second-callees">
      <condition field="destination_number" expression="^(11\d\d)\$">
        <action application="bridge" data="sip:\$1@127.0.0.1:$Y_PORT"/>
      </condition>
    </extension>
    <extension name="busy">
      <condition field="destination_number" expression="^busy\$">
        <action application="bridge" data="sip:busy@127.0.0.1:$T_PORT"/>
      </condition>
    </extension>
    <extension name="loop">
      <condition field="destination_number" expression="^loop\$">
        <action application="bridge" data="sip:loop@127.0.0.1:$PORT"/>
      </condition>
    </extension>
    <extension name="park">
      <condition field="destination_number" expression="^park\$">
        <action application="answer"/>
        <action application="sleep" data="4000"/>
      </condition>
    </extension>
    <extension name="out">
      <condition field="destination_number" expression="^9(\d+)\$">
        <action application="bridge" data="gateway/carrier/\$1"/>
      </condition>
    </extension>
  </context>
  <context name="public">
$(routes)
  </context>
</include>
XML
cat >"$TMP/crossbar.xml" <<XML
<?xml version="1.0"?>
<crossbar>
  <gateways>
    <gateway name="office">
      <param name="proxy" value="127.0.0.1:$B_PORT"/>
      <param name="context" value="default"/>
    </gateway>
    <gateway name="carrier">
      <param name="proxy" value="127.0.0.4:5060"/>
    </gateway>
  </gateways>
</crossbar>
XML

check "the daemon starts" start_crossbar xfer sip,cdr,evtap --config "$TMP/crossbar.xml" --set media.anchor=no \
	--set dialplan.file="$TMP/plan.xml" --set sip.domain=pbx.test \
	--set sip.public_for_strangers=yes --set directory.demo_users=no --set core.log_level=info

declare -A UPID
# callee NAME PORT SCENARIO [sipp args]: a SIPp callee on PORT in the background.
callee() {
	local name=$1 port=$2 sf=$3
	shift 3
	UAS_PORT=$port uas_start "$name" "$sf" "$@" && UPID[$name]=$UAS_PID
}
# callee_ok NAME: that callee's call ended as its scenario says.
callee_ok() { UAS_PID=${UPID[$1]} UAS_NAME=$1 uas_done; }
# caller NAME SCENARIO NUMBER [sipp args]: SIPp calls NUMBER (From tag NAME).
caller() {
	local name=$1 sf=$2 number=$3
	shift 3
	uac "$name" "$sf" "$number" -key ftag "$name" "$@"
}
# notifies NAME: the sipfrag status lines and Subscription-States of the NOTIFYs SIPp got.
notifies() {
	awk '{ sub(/\r$/, "") }
	/message received/ { on = 1; notify = 0; body = 0; next }
	/^-----/ { on = 0; next }
	on && /^NOTIFY / { notify = 1; next }
	on && notify && !body && $0 == "" { body = 1; next }
	on && notify && !body && /^(Subscription-State|Event|Content-Type|Contact):/ { print }
	on && notify && body && /^SIP\/2.0/ { print; notify = 0 }' "$TMP/$1.msgs"
}
# frags NAME: the sipfrag status lines alone, on one line.
frags() { notifies "$1" | grep '^SIP/2.0' | tr '\n' ' '; }
# said NAME PATTERN: SIPp's message log holds a line matching the extended regex.
said() { grep -qE "$2" "$TMP/$1.msgs"; }
# invite_body NAME: the o= lines of the INVITEs SIPp received.
invite_o() { grep -E '^o=' "$TMP/$1.msgs" | tr '\n' ' '; }
no_channels() { cli calls | awk 'NR > 1 && NF && $0 != "(none)" {n++; print} END {exit n > 0}'; }
events() {
	cli --json evtap | python3 -c 'import json, sys; [print(r["event"]) for r in json.load(sys.stdin)["rows"]]'
}
# saw FIRST THEN: events matching the regular expressions FIRST and, later, THEN.
saw() { events | grep -A1000 -E -- "$1" | grep -qE -- "$2"; }
# records NUMBER: the call records of calls to NUMBER, one line each: caller, B-leg, cause.
records() {
	cli --json cdr --last 1000 | python3 -c '
import json, sys
for r in json.load(sys.stdin)["rows"]:
    if r["destination_number"] == sys.argv[1]:
        print(r["caller_id_number"], r["b_uuid"], r["hangup_cause"] or "(up)")' "$1"
}
# one_record NUMBER CAUSE: one record of a call to NUMBER, with a B-leg, ended with CAUSE.
one_record() {
	local r
	r=$(records "$1")
	echo "$r"
	[ "$(wc -l <<<"$r")" -eq 1 ] && [[ "$r" =~ ^alice\ [0-9a-f-]{36}\ $2$ ]]
}
refer_to() { echo "<sip:$1@127.0.0.1:$PORT>"; }
# to_tag NAME: the To tag of the first 200 SIPp received: crossbar's tag in that dialog.
to_tag() {
	awk '/^SIP\/2.0 200/ { ok = 1 } ok && /^To:/ { if (match($0, /tag=[^;> \r]*/)) { print substr($0, RSTART + 4, RLENGTH - 4); exit } }' "$TMP/$1.msgs"
}
# from ADDRESS COMMAND...: the command's SIPp runs from that loopback address.
from() {
	local LOCAL_IP=$1
	shift
	"$@"
}

# --- blind, from the caller's side --------------------------------------------------------
callee blind_b "$B_PORT" xfer_uas_transferee.xml -key sdp bob
callee blind_t "$T_PORT" xfer_uas_target.xml -key sdp carol
check "blind transfer from the caller: 202, NOTIFY 100 and 200; a second REFER meanwhile gets 491" \
	caller blind_a xfer_uac_refer_twice.xml 1000 -key referto "$(refer_to 2000)"
check "... the NOTIFYs: SIP/2.0 100 Trying, then SIP/2.0 200 OK" \
	test "$(frags blind_a)" = "SIP/2.0 100 Trying SIP/2.0 200 OK "
check "... Event: refer, message/sipfrag, a Contact, active then terminated" bash -c "
	n=\$(cat); grep -q '^Event: refer' <<<\"\$n\" && grep -q '^Content-Type: message/sipfrag' <<<\"\$n\" &&
	[ \"\$(grep -c '^Contact: <sip:crossbar@' <<<\"\$n\")\" = 2 ] &&
	grep -q '^Subscription-State: active' <<<\"\$n\" &&
	[ \"\$(grep Subscription-State <<<\"\$n\" | tail -1 | cut -d';' -f1)\" = 'Subscription-State: terminated' ]" \
	< <(notifies blind_a)
check "... the target was called with the transferee's offer and caller ID" bash -c \
	"grep -q '^o=bob 1 1' '$TMP/blind_t.msgs' && grep -qE '^From: .*<sip:1000@' '$TMP/blind_t.msgs'"
check "... the transferee kept its dialog: a re-INVITE brought the target's SDP, then the target's BYE" \
	callee_ok blind_b
check "... the re-INVITE's SDP is the target's" said blind_b '^o=carol 1 1'
check "... the target answered and hung up" callee_ok blind_t
check "... one call record for the call (mod_cdr), closed" until_ok 5 one_record 1000 NORMAL_CLEARING
check "... channel.transfer events: blind, 100 then 200" until_ok 3 saw \
	"^channel.transfer \('blind', .*'2000', 100\)" "^channel.transfer \('blind', .*'2000', 200\)"
check "... every channel is gone" until_ok 5 no_channels

# --- blind, from the callee's side --------------------------------------------------------
callee fromb_b "$B_PORT" xfer_uas_refer.xml -key sdp bob -key referto "$(refer_to 2001)"
callee fromb_t "$T_PORT" xfer_uas_target.xml -key sdp carol
check "blind transfer from the callee: the caller is re-INVITEd with the target's SDP, then BYE" \
	caller fromb_a xfer_uac_transferee.xml 1001
check "... the re-INVITE's SDP is the target's" said fromb_a '^o=carol 1 1'
check "... the callee got 202, NOTIFY 100 and 200, and its BYE was answered" callee_ok fromb_b
check "... the NOTIFYs: SIP/2.0 100 Trying, then SIP/2.0 200 OK" \
	test "$(frags fromb_b)" = "SIP/2.0 100 Trying SIP/2.0 200 OK "
check "... the target got the caller's offer and caller ID" bash -c \
	"grep -q '^o=alice 1 1' '$TMP/fromb_t.msgs' && grep -q '^From: \"Alice A.\"' '$TMP/fromb_t.msgs'"
check "... the target answered and hung up" callee_ok fromb_t
# The record is the caller's, whose destination_number is now the number it was sent to.
check "... one call record for the call (the caller's, to 2001 now), closed" until_ok 5 one_record 2001 NORMAL_CLEARING
check "... every channel is gone" until_ok 5 no_channels

# --- outcomes other than 200 --------------------------------------------------------------
callee busy_b "$B_PORT" b2b_uas_answer.xml
callee busy_t "$T_PORT" b2b_uas_busy.xml
check "a transfer to a busy target" caller busy_a xfer_uac_refer.xml 1002 -key referto "$(refer_to busy)"
check "... the NOTIFYs: SIP/2.0 100 Trying, then SIP/2.0 486 Busy Here" \
	test "$(frags busy_a)" = "SIP/2.0 100 Trying SIP/2.0 486 Busy Here "
check "... the transferee was hung up" callee_ok busy_b
check "... the target's 486 was ACKed" callee_ok busy_t

callee loop_b "$B_PORT" b2b_uas_answer.xml
check "a transfer to a target that loops back into crossbar" \
	caller loop_a xfer_uac_refer.xml 1003 -key referto "$(refer_to loop)"
check "... the NOTIFYs: SIP/2.0 100 Trying, then SIP/2.0 483 Too Many Hops" \
	test "$(frags loop_a)" = "SIP/2.0 100 Trying SIP/2.0 483 Too Many Hops "
check "... the transferee was hung up" callee_ok loop_b
check "... every channel of the loop is gone" until_ok 10 no_channels

# --- refused ------------------------------------------------------------------------------
callee refused_b "$B_PORT" b2b_uas_answer.xml
big=$(head -c 24000 /dev/zero | tr '\0' 7)
mid=$(head -c 3000 /dev/zero | tr '\0' 7)
check "REFERs without Refer-To (400), to tel: (416), 24 KB long (513, the parser's line limit), 3 KB long (400), without a number (400), with two (400), method=BYE (403), malformed (400): each refused, the call goes on" \
	caller refused_a xfer_uac_refused.xml 1004 -key big "$big" -key mid "$mid"
check "... the callee's call ended with the caller's BYE" callee_ok refused_b

check "a REFER in a call that is not bridged (answered by the plan) gets 403" \
	caller park_a xfer_uac_refer_403.xml park -key referto "$(refer_to 2000)"

callee noroute_b "$B_PORT" b2b_uas_answer.xml
check "a REFER to a number that routes nowhere gets 403" \
	caller noroute_a xfer_uac_refer_403.xml 1005 -key referto "$(refer_to nowhere)"
check "... the call went on until the caller's BYE" callee_ok noroute_b

callee trunk_b "$B_PORT" b2b_uas_answer.xml
check "a trunk caller (context public) cannot transfer to a gateway number (403)" \
	from 127.0.0.4 caller trunk_a xfer_uac_refer_403.xml 1006 -key referto "$(refer_to 94930123)"
check "... because context public has no route for it" \
	grep -q "context 'public' has no extension for 94930123" "$TMP/xfer.log"
check "... the call went on until the caller's BYE" callee_ok trunk_b
check "... every channel is gone" until_ok 5 no_channels

# --- attended -----------------------------------------------------------------------------
callee att_y "$Y_PORT" xfer_uas_transferee.xml -key sdp yves -timeout 60
caller att2 xfer_uac_hold.xml 1100 -timeout 60 >/dev/null 2>&1 &
ATT2_PID=$!
PIDS+=("$ATT2_PID")
check "a phone's second call is up" until_ok 5 grep -q "^SIP/2.0 200 OK" "$TMP/att2.msgs"
# crossbar's tag in that dialog (the To tag of its 200): to-tag in Replaces, the phone's
# own (att2) from-tag, as RFC 3891 §3 has the recipient compare them.
tt=$(to_tag att2)
replaces="Replaces=att2-1%3Bto-tag%3D$tt%3Bfrom-tag%3Datt2"

callee stranger_b "$B_PORT" b2b_uas_answer.xml
check "a stranger's REFER with Replaces naming that phone's call gets 403" \
	from 127.0.0.2 caller stranger_a xfer_uac_refer_403.xml 1007 \
	-key referto "<sip:1100@127.0.0.1:$PORT?$replaces>"
check "... its call went on until its BYE" callee_ok stranger_b
callee unknown_b "$B_PORT" b2b_uas_answer.xml
check "a REFER with Replaces naming no call gets 403" \
	caller unknown_a xfer_uac_refer_403.xml 1008 \
	-key referto "<sip:1100@127.0.0.1:$PORT?Replaces=nosuchcall%3Bto-tag%3Dx%3Bfrom-tag%3Dy>"
check "... its call went on until its BYE" callee_ok unknown_b

callee att_x "$B_PORT" xfer_uas_transferee_bye.xml -key sdp xavier
check "attended transfer: the phone's first call refers to the second with Replaces: 202, NOTIFY 100, 200" \
	caller att1 xfer_uac_refer.xml 1009 -key referto "<sip:1100@127.0.0.1:$PORT?$replaces>"
check "... the NOTIFYs: SIP/2.0 100 Trying, then SIP/2.0 200 OK" \
	test "$(frags att1)" = "SIP/2.0 100 Trying SIP/2.0 200 OK "
wait_exit "$ATT2_PID" 10
check "... the replaced call got crossbar's BYE (SIPp exit ${EXIT_STATUS:-none})" test "${EXIT_STATUS:-1}" -eq 0
check "... the first call's party was re-INVITEd with the second's SDP, then hung up" callee_ok att_x
check "... its re-INVITE's SDP is the second party's" said att_x '^o=yves 1 1'
check "... the second call's party was re-INVITEd with the first's SDP, then got the BYE" callee_ok att_y
check "... its re-INVITE's SDP is the first party's" said att_y '^o=xavier 1 1'
check "... a channel.transfer event: attended, 200" until_ok 3 saw \
	"^channel.transfer \('attended'" "^channel.transfer \('attended', .*, 200\)"
check "... every channel is gone" until_ok 5 no_channels

# --- INVITE with Replaces ----------------------------------------------------------------
callee rep_y "$Y_PORT" xfer_uas_transferee.xml -key sdp yves -timeout 60
caller rep2 xfer_uac_hold.xml 1101 -timeout 60 >/dev/null 2>&1 &
REP2_PID=$!
PIDS+=("$REP2_PID")
check "a call from the trunk office to 1101 is up" until_ok 5 grep -q "^SIP/2.0 200 OK" "$TMP/rep2.msgs"
replaces="rep2-1;to-tag=$(to_tag rep2);from-tag=rep2"
check "an INVITE with Replaces naming no call" \
	caller rep_none xfer_uac_replaces.xml 1101 -key replaces "nosuch;to-tag=a;from-tag=b"
check "... gets 481" test "$(statuses rep_none)" = "481 "
check "a stranger's INVITE with Replaces naming the office's call" \
	from 127.0.0.2 caller rep_stranger xfer_uac_replaces.xml 1101 -key replaces "$replaces"
check "... gets 481 too" test "$(statuses rep_stranger)" = "481 "
check "an INVITE with Replaces from the office naming its call takes that call's place" \
	caller rep_new xfer_uac_replaces.xml 1101 -key replaces "$replaces"
check "... answered with the other party's SDP" said rep_new '^o=yves 1 1'
wait_exit "$REP2_PID" 10
check "... the replaced call got crossbar's BYE (SIPp exit ${EXIT_STATUS:-none})" test "${EXIT_STATUS:-1}" -eq 0
check "... the other party was re-INVITEd with the new caller's SDP, then got its BYE" callee_ok rep_y
check "... its re-INVITE's SDP is the new caller's" said rep_y '^o=zoe 1 1'
check "... a channel.transfer event: replaces, 200" until_ok 3 saw \
	"^channel.transfer \('replaces'" "^channel.transfer \('replaces', .*, 200\)"
check "... every channel is gone" until_ok 5 no_channels

check "the daemon is still alive" cli status
stop_crossbar xfer
done_testing
