#!/bin/bash
# ice_baresip.sh: baresip 1.0 phones with ICE (medianat=ice: a full agent, regular
# nomination) call through crossbar, which answers as an ICE-lite agent. A phone calls the
# echo application: its checks to crossbar's host candidates succeed, it reports ICE
# complete with crossbar's port as the remote address, crossbar logs the nomination, and
# audio flows both ways. Then the phone calls another phone, without ICE, through crossbar:
# the caller's ICE completes against crossbar, the callee gets plain RTP, and audio flows
# both ways. Last, the phone gathers relayed candidates from crossbar's own TURN server
# (stunserver=turn:..., its directory credentials) and calls the echo again: ICE completes
# and audio flows, but on one machine the host pair wins, so media through the relayed
# candidates is not shown here.
. "$(dirname "$0")/lib.sh"

require_tools baresip

crossbar_names ib
PORT=$ib_PORT
cli() { "$CLI" --socket "$ib_SOCK" "$@"; }
# The phones' SIP ports (baresip takes the one above for TLS too).
APORT=$(free_port 2)
BPORT=$(free_port 2)
while [ $((BPORT - APORT)) -ge -2 ] && [ $((BPORT - APORT)) -le 2 ]; do BPORT=$(free_port 2); done
cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="phone">
      <condition field="destination_number" expression="^callee\$">
        <action application="bridge" data="sip:callee@127.0.0.1:$BPORT"/>
      </condition>
    </extension>
    <extension name="echo-test">
      <condition field="destination_number" expression="^echo\$">
        <action application="echo"/>
      </condition>
    </extension>
  </context>
</include>
XML
check "the daemon starts with mod_turn" start_crossbar ib sip,registrar,turn \
	--set registrar.realm=pbx.test --set registrar.demo_users=no --set turn.realm=pbx.test \
	--set turn.allow_loopback_peers=true --set turn.relay_ports=46000-46999 --set dialplan.file="$TMP/plan.xml" \
	--set sip.public_for_strangers=yes --set media.rtp_ports=59000-59499 --set core.log_level=info

# phone DIR SIP-PORT [ACCOUNT-PARAMS]: a phone whose account has ;ACCOUNT-PARAMS.
phone() {
	mkdir -p "$TMP/$1"
	cat >"$TMP/$1/config" <<CONF
poll_method		poll
net_interface		127.0.0.1
sip_listen		127.0.0.1:$2
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
module			ice.so
module			menu.so
module_app		account.so
audio_source		ausine,440
audio_player		aubridge,play-$1
audio_alert		aubridge,alert-$1
ausrc_srate		48000
auplay_srate		48000
ausrc_channels		2
auplay_channels		1
ice_debug		yes
CONF
	echo "<sip:$1@127.0.0.1:$2>;regint=0;answermode=auto;audio_codecs=PCMA${3:+;$3}" >"$TMP/$1/accounts"
}
# The callee has no ICE: baresip 1.0 with medianat=ice, offered no ICE, logs "ICE not
# supported by peer" and never starts sending.
phone caller "$APORT" medianat=ice
phone callee "$BPORT"
log() { tr '\r' '\n' <"$TMP/$1.log"; }
# audio_both PHONE: baresip's status line showed audio both ways (bit/s in and out > 0).
audio_both() { log "$1" | grep -o 'audio=[0-9]*/[0-9]*' | tr '=/' '  ' | awk '$2 > 40000 && $3 > 40000 {f = 1} END {exit !f}'; }

timeout 20 baresip -f "$TMP/caller" -t 6 -e "/dial sip:echo@127.0.0.1:$PORT" >"$TMP/caller.log" 2>&1 </dev/null
check "a phone with ICE calls the echo application" grep -q "Call established: sip:echo@" "$TMP/caller.log"
check "... its ICE checks to crossbar complete" grep -q "ice: audio: connectivity check is complete" "$TMP/caller.log"
check "... with crossbar's port as the remote address" grep -Eq "mnat 'ice' connected: raddr [0-9.]+:59[0-4][0-9]{2} [0-9.]+:59[0-4][0-9]{2}" "$TMP/caller.log"
check "... crossbar's answer was an ICE-lite agent's" lacks "ice.*(error|fail)" log caller
check "... crossbar logged the nomination" grep -q "ICE nominated .* for RTP" "$TMP/ib.log"
check "... audio came back (the echo)" audio_both caller

timeout 20 baresip -f "$TMP/callee" -t 12 >"$TMP/callee.log" 2>&1 </dev/null &
PIDS+=("$!")
sleep 1
mv "$TMP/caller.log" "$TMP/caller-echo.log"
timeout 20 baresip -f "$TMP/caller" -t 7 -e "/dial sip:callee@127.0.0.1:$PORT" >"$TMP/caller.log" 2>&1 </dev/null
check "a phone with ICE calls one without through crossbar" grep -q "Call established: sip:callee@" "$TMP/caller.log"
check "... the caller's ICE checks to crossbar complete" grep -q "ice: audio: connectivity check is complete" "$TMP/caller.log"
check "... the callee answered" until_ok 5 grep -q "Call established" "$TMP/callee.log"
check "... audio flowed both ways at the caller" audio_both caller
check "... and at the callee" audio_both callee
cli user add 2000 --password pw-2000 >/dev/null
mv "$TMP/caller.log" "$TMP/caller-phone.log"
phone caller "$APORT" "medianat=ice;stunserver=\"turn:127.0.0.1:$ib_TURN\";stunuser=2000;stunpass=pw-2000"
timeout 20 baresip -f "$TMP/caller" -t 6 -e "/dial sip:echo@127.0.0.1:$PORT" >"$TMP/caller.log" 2>&1 </dev/null
turn_stat() { cli turn stats | awk -v k="$1" '$1 == k {print $2}'; }
check "a phone with relayed candidates from crossbar's TURN server calls the echo" \
	grep -q "Call established: sip:echo@" "$TMP/caller.log"
check "... it allocated relayed addresses with its directory credentials" \
	test "$(turn_stat allocations_total)" -ge 1 -a "$(turn_stat auth_failures)" -eq 0
check "... its ICE checks complete" grep -q "ice: audio: connectivity check is complete" "$TMP/caller.log"
check "... audio came back" audio_both caller
check "the daemon is still alive" cli status
done_testing
