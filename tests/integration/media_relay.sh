#!/bin/bash
# media_relay.sh: media anchored through crossbar. SIPp calls SIPp through crossbar and plays
# 7 s of G.711 (236 RTP packets) once answered; the callee echoes them back (-rtp_echo).
# Each leg's session description names crossbar (its address and a port of media.rtp_ports,
# RTP even), the RTP crosses the engine both ways (crossbar-cli media counts it in and out,
# nothing dropped), and the port pairs are given back when the call ends. With
# bypass_media=true the descriptions pass unchanged and media goes end to end. The echo
# application answers with crossbar's own description and sends every packet back. A call
# with no RTP (and no ringback: the caller checks the callee's own answer) is hung up after
# media.rtp_timeout (MEDIA_TIMEOUT). Digits sent as telephone-events (RFC 4733) reach the
# call, each once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3

export COLUMNS=250
crossbar_names mr
PORT=$mr_PORT
UAS_PORT=$(free_port)
while [ "$UAS_PORT" = "$PORT" ]; do UAS_PORT=$(free_port); done
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
cli() { "$CLI" --socket "$mr_SOCK" "$@"; }

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="bypass">
      <condition field="destination_number" expression="^bypass\$">
        <action application="set" data="bypass_media=true"/>
        <action application="bridge" data="sip:bypass@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
    <extension name="echo-test">
      <condition field="destination_number" expression="^echo\$">
        <action application="echo"/>
      </condition>
    </extension>
    <extension name="silent">
      <condition field="destination_number" expression="^1001\$">
        <action application="set" data="ringback=none"/>
        <action application="bridge" data="sip:1001@127.0.0.1:$UAS_PORT"/>
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

check "the daemon starts" start_crossbar mr sip --set dialplan.file="$TMP/plan.xml" \
	--set sip.public_for_strangers=yes --set media.rtp_ports=58400-58999 \
	--set media.rtp_timeout=3 --set core.log_level=info
field() { cli media | awk -v k="$1" '$1 == k {print $2}'; }
check "the engine runs with its workers" test "$(field workers)" -ge 1

# in_range PORT: an even port of media.rtp_ports.
in_range() { [ "$1" -ge 58400 ] && [ "$1" -le 58999 ] && [ $(($1 % 2)) -eq 0 ]; }
# sdp_port FILE N: the port of the Nth m=audio line in a SIPp message log.
sdp_port() { grep -o 'm=audio [0-9]*' "$1" | sed -n "${2}p" | awk '{print $2}'; }

uas_start callee media_uas.xml -rtp_echo
check "a call with 7 s of audio, echoed by the callee" uac caller media_uac.xml 1000
check "... the callee hung up after crossbar's BYE" uas_done
check "... the callee was offered crossbar's address" grep -q '^c=IN IP4 127.0.0.1' "$TMP/callee.msgs"
p=$(sdp_port "$TMP/callee.msgs" 1)
check "... and an even port of media.rtp_ports ($p)" in_range "$p"
p=$(sdp_port "$TMP/caller.msgs" 2)
check "... the caller's answer names one too ($p)" in_range "$p"
check "... no ICE or RTCP attributes reached the callee" lacks '^a=(candidate|rtcp)' cat "$TMP/callee.msgs"
in=$(field packets_in) out=$(field packets_out) dropped=$(field packets_dropped)
check "RTP crossed the engine both ways ($in in, $out out of 472)" \
	test "$in" -ge 440 -a "$out" -ge 440
check "... nothing dropped ($dropped)" test "$dropped" -le 2
check "the port pairs are given back when the call ends" \
	until_ok 5 bash -c "[ \"\$('$CLI' --socket '$mr_SOCK' media | awk '\$1 == \"port_pairs_in_use\" {print \$2}')\" = 0 ]"

in0=$(field packets_in) out0=$(field packets_out)
check "the echo application: 7 s of audio to it" uac echoed media_uac.xml echo
check "... its answer is crossbar's own (o=crossbar, A-law, telephone-event)" bash -c \
	"grep -q '^o=crossbar ' '$TMP/echoed.msgs' && grep -q '^m=audio 58[4-9][0-9][02468] RTP/AVP 8 101' '$TMP/echoed.msgs'"
in=$(($(field packets_in) - in0)) out=$(($(field packets_out) - out0))
check "... every packet came back ($in in, $out out of 236)" test "$in" -ge 230 -a "$out" -ge 230

check "a caller dials 5 and # (RFC 4733) into the echo test" uac dialled media_uac_dtmf.xml echo
check "... crossbar heard each digit once" bash -c \
	"[ \$(grep -c 'DTMF 5 (RFC 4733)' '$TMP/mr.log') = 1 ] && [ \$(grep -c 'DTMF # (RFC 4733)' '$TMP/mr.log') = 1 ]"

uas_start silent b2b_uas_answer.xml
t0=$(date +%s%N)
check "a call whose phones send no RTP" uac silent_a b2b_uac_callee_bye.xml 1001
secs=$((($(date +%s%N) - t0) / 1000000000))
check "... is hung up by crossbar after media.rtp_timeout (3 s; took $secs s)" \
	test "$secs" -ge 3 -a "$secs" -le 6
check "... the callee got crossbar's BYE too" uas_done
check "... the log says why" grep -q 'no RTP for 3 s: hung up (MEDIA_TIMEOUT)' "$TMP/mr.log"

uas_start plain b2b_uas_answer.xml
check "with bypass_media=true" uac plain_a b2b_uac_bye.xml bypass
check "... the callee answered" uas_done
p=$(sdp_port "$TMP/plain.msgs" 1)
check "... the callee saw the caller's own port (4000), not crossbar's ($p)" test "$p" = 4000
done_testing
