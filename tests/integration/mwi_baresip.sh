#!/bin/bash
# mwi_baresip.sh: message waiting with a real phone: baresip's mwi module subscribes to its
# user's message summary once registered (SUBSCRIBE with digest) and prints each NOTIFY's
# body; a message left for the user (sip_peer.py, through the public context) and deleted
# again (crossbar-cli) each show on the phone; the phone's subscription is listed while it
# runs, and ends when the phone quits (Expires: 0).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/baresip_lib.sh"

require_tools baresip python3

crossbar_names pbx
PORT=$pbx_PORT
cli() { "$CLI" --socket "$pbx_SOCK" "$@"; }
cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="leave">
      <condition field="destination_number" expression="^vm(\d+)\$">
        <action application="voicemail" data="default \$1"/>
        <action application="hangup"/>
      </condition>
    </extension>
  </context>
</include>
XML

check "the daemon starts with voicemail" start_crossbar pbx sip,registrar,voicemail \
	--set dialplan.file="$TMP/plan.xml" --set sip.public_for_strangers=yes \
	--set sip.domain=pbx.test --set directory.realm=pbx.test --set directory.demo_users=no \
	--set registrar.digest_algorithms=MD5 --set sip.digest_algorithms=MD5 \
	--set voicemail.min_seconds=1 --set core.log_level=info
cli user add 1001 --password pw-1001 >/dev/null
PHONE_APPS[1001]=mwi.so
phone_ports 1001
phone_start 1001 udp
# summary N REGEX: the phone has printed at least N message summaries, the last matching.
summary() {
	local got
	got=$(tr '\r' '\n' <"${LOG[1001]}" | grep . | grep -A3 -- '----- MWI for' | grep -c 'Voice-Message:')
	[ "$got" -ge "$1" ] || {
		echo "$got summaries (wanted $1)"
		return 1
	}
	tr '\r' '\n' <"${LOG[1001]}" | grep . | grep -A3 -- '----- MWI for' | tail -3 | tr '\n' ' ' |
		tee /dev/stderr | grep -Eq -- "$2"
}
check "baresip registers and subscribes with its digest" until_ok 15 grep -q "subscribed to box 1001" "$TMP/pbx.log"
check "... it shows no message waiting" until_ok 15 summary 1 "Messages-Waiting: no .*Message-Account: sip:1001@pbx.test .*Voice-Message: 0/0"
check "... its subscription is listed" bash -c "'$CLI' --socket '$pbx_SOCK' voicemail subscriptions 1001 | grep -q '^1001 '"
new_in_1001() {
	[ "$(cli --json voicemail list 1001 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rows"]))')" = "$1" ]
}
deposit() { # a caller leaves a message (tried again when the loaded machine cut it short)
	for _ in 1 2 3; do
		timeout 60 python3 "$SRC/tests/integration/sip_peer.py" call "$PORT" "$(free_port)" \
			$((64800 + (RANDOM % 100) * 2)) vm1001 rfc4733:# tone:1000:4 bye
		until_ok 5 new_in_1001 1 && return 0
	done
	return 1
}
check "a caller leaves a message for 1001" deposit
check "... the phone shows it: Messages-Waiting: yes, 1 new" until_ok 15 summary 2 "Messages-Waiting: yes .*Voice-Message: 1/0"
id=$(cli --json voicemail list 1001 | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"][0]["id"])')
check "the message is deleted" cli voicemail delete 1001 "$id"
check "... the phone shows none again" until_ok 15 summary 3 "Messages-Waiting: no .*Voice-Message: 0/0"
phone_stop 1001
check "the phone quits and unsubscribes (Expires: 0): its subscription is gone" \
	until_ok 10 grep -q "unsubscribed from box 1001" "$TMP/pbx.log"
check "... and not listed" lacks '^1001 ' cli voicemail subscriptions
check "the daemon still answers" cli status
done_testing
