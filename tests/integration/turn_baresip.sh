#!/bin/bash
# turn_baresip.sh: a call between two baresip phones whose media go through crossbar's TURN
# server: each phone uses medianat=turn with its directory credentials,
# the call connects directly between the phones, and RTP flows both ways through relayed
# addresses from turn.relay_ports, as crossbar's counters show.
. "$(dirname "$0")/lib.sh"

require_tools baresip

check "the daemon starts with the registrar and mod_turn" start_crossbar main sip,registrar,turn \
	--set registrar.realm=pbx.test --set registrar.demo_users=no --set turn.realm=pbx.test \
	--set turn.allow_loopback_peers=true \
	--set turn.relay_ports=46000-46999
TPORT=$main_TURN
"$CLI" --socket "$SOCK" user add 2000 --password pw-2000 >/dev/null
"$CLI" --socket "$SOCK" user add 2001 --password pw-2001 >/dev/null

# Two phones; baresip also takes the SIP port + 1 for TLS, hence the gap between them.
phone() { # phone DIR USER PASSWORD SIP-PORT
	mkdir -p "$TMP/$1"
	cat >"$TMP/$1/config" <<CONF
poll_method		poll
sip_listen		127.0.0.1:$4
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
module			turn.so
module			menu.so
module_app		account.so
audio_source		ausine,440
audio_player		aubridge,play-$1
audio_alert		aubridge,alert-$1
ausrc_srate		48000
auplay_srate		48000
ausrc_channels		2
auplay_channels		1
CONF
	echo "<sip:$2@127.0.0.1:$4>;regint=0;answermode=auto;medianat=turn;stunserver=\"turn:127.0.0.1:$TPORT\";stunuser=$2;stunpass=$3" >"$TMP/$1/accounts"
}
APORT=$(free_port)
BPORT=$(free_port)
while [ $((BPORT - APORT)) -ge -2 ] && [ $((BPORT - APORT)) -le 2 ]; do BPORT=$(free_port); done
phone callee 2001 pw-2001 "$BPORT"
phone caller 2000 pw-2000 "$APORT"
timeout 20 baresip -f "$TMP/callee" -t 12 >"$TMP/callee.log" 2>&1 </dev/null &
PIDS+=("$!")
sleep 1
timeout 20 baresip -f "$TMP/caller" -t 8 -e "/dial sip:2001@127.0.0.1:$BPORT" >"$TMP/caller.log" 2>&1 </dev/null

stat() { "$CLI" --socket "$SOCK" turn stats | awk -v k="$1" '$1 == k {print $2}'; }
check "both phones gathered relayed candidates from crossbar" grep -q "media-nat 'turn' established" "$TMP/caller.log"
check "the call was established" grep -q "Call established: sip:2001@127.0.0.1:$BPORT" "$TMP/caller.log"
check "the caller receives RTP from a relayed address (46000-46999)" grep -Eq "receiving from 127.0.0.1:46[0-9]{3}" "$TMP/caller.log"
check "the callee receives RTP from a relayed address (46000-46999)" bash -c "sleep 1; grep -Eq 'receiving from 127.0.0.1:46[0-9]{3}' '$TMP/callee.log'"
# audio_64k: baresip's status line showed G.711's 64 kbit/s both ways at some point, within
# the few per cent that its one-second sampling of a loaded machine varies.
audio_64k() {
	grep -o 'audio=[0-9]*/[0-9]*' "$TMP/caller.log" | tr '=/' '  ' |
		awk '$2 >= 62000 && $2 <= 66000 && $3 >= 62000 && $3 <= 66000 {found = 1} END {exit !found}'
}
check "audio flowed both ways (64 kbit/s)" audio_64k
check "crossbar relayed media to the peers" test "$(stat bytes_to_peer)" -gt 20000
check "... and back to the clients" test "$(stat bytes_to_client)" -gt 20000
check "the phones authenticated with their directory credentials" test "$(stat auth_failures)" -eq 0
done_testing
