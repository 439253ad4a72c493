#!/bin/bash
# ice_lite.sh: crossbar as an ICE-lite agent (RFC 8445 §2.5, RFC 8839) toward a caller that
# offers ICE. SIPp places the calls (sipp/ice_uac.xml: ice-ufrag, ice-pwd, host candidates);
# ice_check.py plays the caller's full ICE agent from crossbar's answer: its STUN checks to
# the answer's RTP port get 401 under a wrong password, 487 with ICE-CONTROLLED, and success
# with XOR-MAPPED-ADDRESS, integrity and fingerprint under the answer's ice-pwd; its
# nominating check (USE-CANDIDATE) comes from another port than the offer's, and RTP then
# flows to and from that port; a stranger's flood of 3,000 STUN messages that are not valid
# checks is answered with no success and moves nothing. Answered by crossbar itself (echo)
# and bridged to a SIPp callee, whose offer carries no ICE. A caller without ICE gets an answer without ICE.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3

export COLUMNS=250
crossbar_names il
PORT=$il_PORT
UAS_PORT=$(free_port)
while [ "$UAS_PORT" = "$PORT" ]; do UAS_PORT=$(free_port); done
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
cli() { "$CLI" --socket "$il_SOCK" "$@"; }

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="echo-test">
      <condition field="destination_number" expression="^echo\$">
        <action application="echo"/>
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

check "the daemon starts" start_crossbar il sip --set dialplan.file="$TMP/plan.xml" \
	--set sip.public_for_strangers=yes --set media.rtp_ports=59500-59999
field() { cli media | awk -v k="$1" '$1 == k {print $2}'; }

# ice_call NAME USER MODE: SIPp calls USER offering ICE while ice_check.py checks and sends
# RTP; both must succeed.
ice_call() {
	local rtp
	rtp=$(free_port 2)
	uac "$1" ice_uac.xml "$2" -set rtp "$rtp" -set rtcp $((rtp + 1)) &
	local sipp=$!
	python3 "$SRC/tests/integration/ice_check.py" "$TMP/$1.msgs" sippUfrag "$3" \
		>"$TMP/$1.check" 2>&1
	local rc=$?
	wait "$sipp" || rc=1
	if [ $rc -eq 0 ]; then sed -n '/^answer:/,$p' "$TMP/$1.check"; else cat "$TMP/$1.check"; fi
	return $rc
}

check "crossbar's own answer (echo) to an ICE offer: checks answered, RTP to the nominated port" \
	ice_call echo echo echo
check "... a stranger's flood of 3,000 bad checks moved nothing" \
	grep -q "a valid check after the flood: success" "$TMP/echo.check"
check "... the answer is crossbar's (o=crossbar) with a=ice-lite" bash -c \
	"grep -q '^o=crossbar ' '$TMP/echo.msgs' && grep -q '^a=ice-lite' '$TMP/echo.msgs'"

uas_start callee media_uas.xml -rtp_echo
check "a bridged call from an ICE caller: checks answered, RTP through to the callee and back" \
	ice_call bridged 1000 bridge
check "... the callee hung up after crossbar's BYE" uas_done
check "... the callee's offer carries no ICE (crossbar offers none)" \
	lacks '^a=(ice-|candidate)' cat "$TMP/callee.msgs"
check "... the caller's answer names crossbar's host candidates, not the callee's" bash -c \
	"grep -q '^a=candidate:1 1 UDP 2130706431 127.0.0.1 59[5-9][0-9][0-9] typ host' '$TMP/bridged.msgs'"

uas_start plain media_uas.xml -rtp_echo
check "a caller without ICE" uac noice media_uac.xml 1000
check "... the callee hung up after crossbar's BYE" uas_done
check "... its answer carries no ICE" lacks '^a=(ice-|candidate)' cat "$TMP/noice.msgs"
check "the port pairs are given back when the calls end" \
	until_ok 5 bash -c "[ \"\$('$CLI' --socket '$il_SOCK' media | awk '\$1 == \"port_pairs_in_use\" {print \$2}')\" = 0 ]"
check "the daemon is still alive" cli status
done_testing
