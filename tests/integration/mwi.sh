#!/bin/bash
# mwi.sh: message waiting (RFC 3842 message-summary over RFC 6665 SUBSCRIBE/NOTIFY) against
# SIPp: a subscription made with the owner's digest, its NOTIFY bodies as the box changes
# (a message left by a caller, read by phone, deleted with crossbar-cli), a refresh, the
# subscription kept across a restart and notified after it (one that ran out meanwhile
# dropped), the end by Expires: 0, a fetch, expiry by the timer
# (terminated;reason=timeout), another user's box (403), bad requests (489, 423 with
# Min-Expires, 400, 406, 481; 513 for a header line past the SIP layer's limit), a flood
# without credentials (all 401, nothing kept), the caps per box and in all (503), a fetch
# over TCP, and an unsolicited NOTIFY to a registered phone of a box listed in
# voicemail.mwi_unsolicited (none to one that subscribed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mwi_lib.sh"

require_tools sipp sqlite3

crossbar_names mwi
PORT=$mwi_PORT
DATA=$mwi_DATA
SIPP_DIR=$SRC/tests/integration/sipp
# A phone that registers and then waits for an unsolicited NOTIFY on the same port.
PHONE_PORT=64510
# Callers from outside leave messages through the public context.
cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="listen">
      <condition field="destination_number" expression="^check(\d+)\$">
        <action application="voicemail" data="check default \$1"/>
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="leave">
      <condition field="destination_number" expression="^vm(\d+)\$">
        <action application="voicemail" data="default \$1"/>
        <action application="hangup"/>
      </condition>
    </extension>
  </context>
</include>
XML
ARGS=(--set dialplan.file="$TMP/plan.xml" --set sip.public_for_strangers=yes
	--set voicemail.min_seconds=1
	--set sip.domain=pbx.test --set registrar.realm=pbx.test --set registrar.demo_users=no
	--set voicemail.mwi_min_expires=2 --set voicemail.mwi_max_per_box=3
	--set voicemail.mwi_max_subscriptions=4
	--set voicemail.mwi_unsolicited=1003 --set core.log_level=info)
cli() { "$CLI" --socket "$SOCK" "$@"; }

# seed BOX FOLDER ID: a message in the store (and its file), as a deposit leaves it.
seed() {
	local dir=$DATA/voicemail/$1 id
	id=$(printf '%-32s' "$3" | tr ' ' 0)
	mkdir -p "$dir"
	: >"$dir/$id.wav"
	sqlite3 -cmd '.timeout 5000' "$DATA/crossbar.db" \
		"INSERT INTO vm_message(id, box, folder, created, duration_ms, file) VALUES ('$id', '$1', '$2', strftime('%s'), 3000, '$dir/$id.wav')"
}
# notified N: N NOTIFYs of this run and the last ones have been answered with 200.
notified() { [ "$(cat "$TMP"/mwi.log* | grep -c "NOTIFY to .* answered 200")" -ge "$1" ]; }
raw_sub() { # raw_sub BOX EXTRA-HEADER-LINES: prints the answer to a SUBSCRIBE
	raw_sip "$PORT" "SUBSCRIBE sip:$1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKraw$RANDOM$RANDOM;rport\r\nFrom: <sip:$1@pbx.test>;tag=raw$RANDOM\r\nTo: <sip:$1@pbx.test>${RAW_TO_TAG:-}\r\nCall-ID: raw$RANDOM$RANDOM\r\nCSeq: 1 SUBSCRIBE\r\nContact: <sip:$1@127.0.0.1:9>\r\nMax-Forwards: 70\r\n$2Content-Length: 0\r\n\r\n"
}
answers() { # answers PATTERN BOX EXTRA: the answer to raw_sub matches PATTERN
	local got
	got=$(raw_sub "$2" "$3")
	grep -Eq -- "$1" <<<"$got" || {
		echo "wanted /$1/, got:"
		echo "$got"
		return 1
	}
}
sipp_ok() { # sipp_ok NAME: the SIPp run in the background ended well
	if ! wait_exit "$MWI_PID" 90; then
		echo "SIPp still running"
		tail -5 "$TMP/$1.err" 2>/dev/null
		return 1
	fi
	[ "$EXIT_STATUS" -eq 0 ] && return 0
	echo "SIPp exit $EXIT_STATUS"
	cat "$TMP/$1.err" 2>/dev/null | tail -5
	return 1
}

check "the daemon starts with voicemail" start_crossbar mwi sip,registrar,voicemail "${ARGS[@]}"
for u in 1001 1002 1003; do cli user add $u --password "pw-$u-secret" --pin 24$u >/dev/null; done
seed 1001 new a1
seed 1001 new b1
seed 1001 saved c1
seed 1003 new a3
seed 1003 new b3

# Requests refused before anyone's password is looked at.
EV="Event: message-summary\r\n"
check "an unknown event package gets 489 with Allow-Events (RFC 6665 §4.2.1.1)" \
	answers '^SIP/2.0 489 .*' 1001 "Event: presence\r\n"
check "... naming message-summary" answers '^Allow-Events: message-summary$' 1001 "Event: presence\r\n"
check "a SUBSCRIBE without Event gets 489" answers '^SIP/2.0 489' 1001 ""
check "a malformed Event gets 400" answers '^SIP/2.0 400' 1001 "Event: ;id=1\r\n"
check "a malformed Expires gets 400" answers '^SIP/2.0 400 Bad Expires' 1001 "${EV}Expires: soon\r\n"
check "an Expires past 32 bits gets 400" answers '^SIP/2.0 400 Bad Expires' 1001 "${EV}Expires: 99999999999\r\n"
check "too brief an Expires gets 423" answers '^SIP/2.0 423' 1001 "${EV}Expires: 1\r\n"
check "... with Min-Expires: 2" answers '^Min-Expires: 2$' 1001 "${EV}Expires: 1\r\n"
check "an Accept without the summary's type gets 406" answers '^SIP/2.0 406' 1001 "${EV}Accept: application/pidf+xml\r\n"
HUGE=$(printf 'x%.0s' $(seq 1 24000))
check "a 24 KB header line is refused by the SIP layer (513, past its 8 KB line limit)" \
	answers '^SIP/2.0 513' 1001 "${EV}X-Huge: $HUGE\r\n"
check "an Event id of 6000 octets gets 400 (what a subscription keeps is bounded)" \
	answers '^SIP/2.0 400 Event id Too Long' 1001 "Event: message-summary;id=${HUGE:0:6000}\r\n"
check "a SUBSCRIBE without credentials is challenged like a REGISTER (401)" \
	answers '^SIP/2.0 401' 1001 "${EV}Expires: 600\r\n"
check "... for the directory's realm" answers '^WWW-Authenticate: Digest realm="pbx.test"' 1001 "${EV}Expires: 600\r\n"
check "a SUBSCRIBE within a dialog that does not exist gets 481" \
	env RAW_TO_TAG=";tag=made-up" bash -c "$(declare -f raw_sub raw_sip answers); PORT=$PORT answers '^SIP/2.0 481' 1001 'Event: message-summary\r\nExpires: 600\r\n'"
check "a flood of 1000 SUBSCRIBEs without credentials (50 at a time): each is answered, 401 (or 503 when shed)" \
	python3 - "$PORT" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.settimeout(5)
n, window, got, other = 1000, 50, 0, 0
for start in range(0, n, window):
    for i in range(start, start + window):
        s.sendto((f"SUBSCRIBE sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;"
                  f"branch=z9hG4bKflood{i};rport\r\nFrom: <sip:1001@pbx.test>;tag=f{i}\r\n"
                  f"To: <sip:1001@pbx.test>\r\nCall-ID: flood{i}\r\nCSeq: 1 SUBSCRIBE\r\n"
                  f"Contact: <sip:1001@127.0.0.1:9>\r\nEvent: message-summary\r\n"
                  f"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode(),
                 ("127.0.0.1", int(sys.argv[1])))
    try:
        for _ in range(window):
            status = s.recv(65536).split(b" ", 2)[1]
            if status in (b"401", b"503"):
                got += 1
            else:
                other += 1
    except socket.timeout:
        pass
print(f"{got} of {n} answered 401 or 503, {other} otherwise")
assert got == n and other == 0
PY
check "... and no subscription is listed" lacks '^1001 ' cli voicemail subscriptions

# Another user's box and a wrong password.
mwi_scenario "$TMP/other.xml" 1002 pw-1002-secret 1001 refused 403
check "a user subscribing to another user's box gets 403" bash -c "$(declare -f mwi_sipp free_port); PORT=$PORT TMP=$TMP PIDS=(); mwi_sipp other '$TMP/other.xml'; wait \$MWI_PID"
mwi_scenario "$TMP/nobox.xml" 1002 pw-1002-secret 9999 refused 403
check "... and to a box that does not exist, the same 403" bash -c "$(declare -f mwi_sipp free_port); PORT=$PORT TMP=$TMP PIDS=(); mwi_sipp nobox '$TMP/nobox.xml'; wait \$MWI_PID"
mwi_scenario "$TMP/wrong.xml" 1001 wrong-password 1001 refused 401
check "a wrong password gets 401 again" bash -c "$(declare -f mwi_sipp free_port); PORT=$PORT TMP=$TMP PIDS=(); mwi_sipp wrong '$TMP/wrong.xml'; wait \$MWI_PID"

# The main subscription: each change of box 1001 is told, the subscription outlives a
# restart, and Expires: 0 ends it with a last NOTIFY.
Y="Messages-Waiting: yes"
N="Messages-Waiting: no"
ACT="^ *active;expires=[0-9]+$"
mwi_scenario "$TMP/main.xml" 1001 pw-1001-secret 1001 \
	sub 600 notify "$Y.*Message-Account: sip:1001@pbx.test.*Voice-Message: 2/1 \\(0/0\\)" "$ACT" \
	notify "$Y.*Voice-Message: 3/1 " "$ACT" \
	notify "$Y.*Voice-Message: 2/1 " "$ACT" \
	notify "$Y.*Voice-Message: 1/1 " "$ACT" \
	refresh 300 notify "Voice-Message: 1/1 " "^ *active;expires=(300|299)$" \
	notify "$N.*Voice-Message: 0/2 " "$ACT" \
	notify "$N.*Voice-Message: 0/1 " "$ACT" \
	refresh 0 notify "$N.*Voice-Message: 0/1 " "^ *terminated;reason=timeout$"
mwi_sipp main "$TMP/main.xml"
MAIN_PID=$MWI_PID
check "SUBSCRIBE with the owner's digest: 200, then a NOTIFY with 2 new and 1 old" until_ok 20 notified 1
check "the subscription is listed" bash -c "'$CLI' --socket '$SOCK' voicemail subscriptions | grep -E '^1001 +udp:127.0.0.1:[0-9]+ +(600|599) +1$'"
check "... in a table that fits 80 columns" lacks '.{81}' env COLUMNS=80 "$CLI" --socket "$SOCK" voicemail subscriptions
check "... and --json gives the phone's Contact" bash -c "'$CLI' --socket '$SOCK' --json voicemail subscriptions | grep -q '\"contact\":\"sip:1001@127.0.0.1:[0-9]*\"'"
# deposit: a caller leaves a message in 1001 (sip_peer.py: '#', then 4 s of tone). A
# recording the loaded machine cut below voicemail.min_seconds is dropped without a change
# of the box, so the caller tries again (three times at most).
new_in_1001() {
	[ "$("$CLI" --socket "$SOCK" --json voicemail list 1001 | python3 -c '
import json, sys
print(sum(m["folder"] == "new" for m in json.load(sys.stdin)["rows"]))')" = "$1" ]
}
deposit() {
	for _ in 1 2 3; do
		timeout 60 python3 "$SRC/tests/integration/sip_peer.py" call "$PORT" "$(free_port)" \
			$((64600 + (RANDOM % 100) * 2)) vm1001 rfc4733:# tone:1000:4 bye
		until_ok 5 new_in_1001 3 && return 0
	done
	return 1
}
check "a caller leaves a message in 1001" deposit
check "... the deposit is told: 3 new, 1 old" until_ok 20 notified 2
deposited=$("$CLI" --socket "$SOCK" --json voicemail list 1001 | python3 -c '
import json, sys
print([m["id"] for m in json.load(sys.stdin)["rows"] if m["from"] == "peer"][0])')
check "a message deleted" cli voicemail delete 1001 "$(printf '%-32s' a1 | tr ' ' 0)"
check "... is told: 2 new, 1 old" until_ok 20 notified 3
check "a second one deleted" cli voicemail delete 1001 "$(printf '%-32s' b1 | tr ' ' 0)"
check "... is told: 1 new, 1 old" until_ok 20 notified 4
check "a refresh within the dialog: 200 with the new time and a NOTIFY (RFC 6665 §4.1.2.1)" until_ok 20 notified 5
check "... the time left follows the refresh" bash -c "'$CLI' --socket '$SOCK' voicemail subscriptions 1001 | tee /dev/stderr | awk '\$1 == 1001 && \$3 > 280 && \$3 <= 300 && \$4 == 5 { ok = 1 } END { exit !ok }'"
# A subscription that runs out while the daemon is down.
mwi_scenario "$TMP/down.xml" 1002 pw-1002-secret 1002 sub 3 notify "$N" "$ACT"
mwi_sipp down "$TMP/down.xml"
check "a subscription of 3 s is made just before the stop" sipp_ok down
stop_crossbar mwi
until_ok 10 bash -c "[ \$(date +%s) -gt $(($(date +%s) + 3)) ]"
check "the daemon starts again" start_crossbar mwi sip,registrar,voicemail "${ARGS[@]}"
check "the subscription that ran out while it was down is gone" lacks '^1002 ' cli voicemail subscriptions
check "the subscription was kept across the restart" bash -c "'$CLI' --socket '$SOCK' voicemail subscriptions 1001 | grep -E '^1001 +udp:127.0.0.1:[0-9]+ +[0-9]+ +'"
check "... and the log says so" grep -q "1 subscription(s) kept from the last run" "$TMP/mwi.log"
# listen: the owner calls the box, keys the PIN, 1 (listen) and '#' (next): the message
# is heard, new -> saved. Digits act as they come, whatever prompt plays; a call that did
# not get that far changes nothing, so it is tried again (three times at most).
listen() {
	for _ in 1 2 3; do
		timeout 60 python3 "$SRC/tests/integration/sip_peer.py" call "$PORT" "$(free_port)" \
			$((64600 + (RANDOM % 100) * 2)) check1001 quiet:1 rfc4733:241001#1# quiet:1 bye
		until_ok 5 new_in_1001 0 && return 0
	done
	return 1
}
check "after the restart the owner listens to the new message by phone" listen
check "... it is read (saved), told in the same dialog: 0 new, 2 old, Messages-Waiting: no" \
	until_ok 20 notified 6
check "the deposited message deleted" cli voicemail delete 1001 "$deposited"
check "... is told: 0 new, 1 old" until_ok 20 notified 7
MWI_PID=$MAIN_PID
check "Expires: 0 ends it: 200 and a NOTIFY terminated;reason=timeout; SIPp checked every body" sipp_ok main
check "... and it is gone" lacks '^1001 ' cli voicemail subscriptions

# A fetch (Expires: 0 outside a dialog): one NOTIFY, no subscription.
mwi_scenario "$TMP/fetch.xml" 1001 pw-1001-secret 1001 \
	sub 0 notify "$N.*Voice-Message: 0/1 " "^ *terminated;reason=timeout$"
mwi_sipp fetch "$TMP/fetch.xml"
check "a fetch gets 200 with Expires: 0 and one NOTIFY, terminated" sipp_ok fetch
check "... and leaves no subscription" lacks '^1001 ' cli voicemail subscriptions

# Expiry: the shortest subscription allowed runs out.
mwi_scenario "$TMP/expiry.xml" 1002 pw-1002-secret 1002 \
	sub 2 notify "$N.*Voice-Message: 0/0 " "^ *active;expires=[12]$" \
	notify "$N" "^ *terminated;reason=timeout$"
mwi_sipp expiry "$TMP/expiry.xml"
check "a subscription not refreshed ends with NOTIFY terminated;reason=timeout" sipp_ok expiry
check "... is logged" grep -q "subscription of 1002 from udp:127.0.0.1:[0-9]* expired" "$TMP/mwi.log"
check "... and is gone" lacks '^1002 ' cli voicemail subscriptions

# Over TCP the NOTIFY comes on the connection the SUBSCRIBE came on.
mwi_scenario "$TMP/tcp.xml" 1002 pw-1002-secret 1002 \
	sub 0 notify "$N.*Voice-Message: 0/0 " "^ *terminated;reason=timeout$"
mwi_sipp tcp "$TMP/tcp.xml" -t t1
check "a fetch over TCP gets its NOTIFY on the same connection" sipp_ok tcp

# Unsolicited NOTIFY: 1003 is in voicemail.mwi_unsolicited; its phone registers from
# PHONE_PORT and then listens there.
printf 'SEQUENTIAL\n1003;pw-1003-secret;<sip:1003@127.0.0.1:%s>;600;1003;\n' $PHONE_PORT >"$TMP/reg.csv"
sed "s|\[authentication username=\[field0\] password=\[field1\]\]|[authentication username=1003 password=pw-1003-secret]|" \
	"$SIPP_DIR/reg_ok.xml" >"$TMP/reg.xml"
check "the phone of 1003 registers" timeout 20 sipp -sf "$TMP/reg.xml" -inf "$TMP/reg.csv" -m 1 -l 1 \
	-i 127.0.0.1 -p $PHONE_PORT -timeout 10 -timeout_error 127.0.0.1:$PORT
timeout 60 sipp -sf "$SIPP_DIR/mwi_unsolicited.xml" -m 1 -i 127.0.0.1 -p $PHONE_PORT -timeout 30 \
	-timeout_error -trace_msg -message_file "$TMP/unsol.msgs" -trace_err -error_file "$TMP/unsol.err" \
	>"$TMP/unsol.out" 2>&1 &
MWI_PID=$!
PIDS+=("$MWI_PID")
until_ok 5 bash -c "ss -Hluan '( sport = :$PHONE_PORT )' | grep -q ."
check "a change of box 1003 (a message deleted)" cli voicemail delete 1003 "$(printf '%-32s' a3 | tr ' ' 0)"
check "... sends the registered phone a NOTIFY with 1 new (SIPp checks it)" sipp_ok unsol
check "... logged as unsolicited" grep -q "unsolicited NOTIFY to sip:1003@127.0.0.1:$PHONE_PORT" "$TMP/mwi.log"
check "a box not listed sends none" lacks "unsolicited NOTIFY to sip:100[12]" cat "$TMP/mwi.log"

# The same phone subscribes from the port it registered from: it hears of the next change
# in its dialog only, not twice.
mwi_scenario "$TMP/both.xml" 1003 pw-1003-secret 1003 \
	sub 600 notify "Voice-Message: 1/0 " "$ACT" notify "$N.*Voice-Message: 0/0 " "$ACT"
MWI_PORT=$PHONE_PORT mwi_sipp both "$TMP/both.xml"
check "the registered phone of 1003 subscribes" until_ok 20 grep -q "udp:127.0.0.1:$PHONE_PORT subscribed to box 1003" "$TMP/mwi.log"
check "... a change is told" bash -c "'$CLI' --socket '$SOCK' voicemail delete 1003 $(printf '%-32s' b3 | tr ' ' 0)"
check "... in its dialog" sipp_ok both
check "... and with no unsolicited NOTIFY beside it" test "$(grep -c "unsolicited NOTIFY to sip:1003" "$TMP/mwi.log")" -eq 1

# The cap per box (3 here): a fourth subscription of the box pushes out the one that
# expires first.
for i in 1 2 3 4; do
	mwi_scenario "$TMP/cap$i.xml" 1002 pw-1002-secret 1002 sub $((600 + i)) notify "$N" "$ACT"
	mwi_sipp cap$i "$TMP/cap$i.xml"
	wait_exit "$MWI_PID" 30
done
check "a box keeps at most voicemail.mwi_max_per_box subscriptions" \
	bash -c "[ \$('$CLI' --socket '$SOCK' voicemail subscriptions 1002 | grep -c '^1002 ') -eq 3 ]"
first=$(grep -o 'udp:[0-9.:]* subscribed to box 1002 for 601 s' "$TMP/mwi.log" | cut -d' ' -f1)
check "... the one expiring first went" lacks "^1002 +${first:-none} " cli voicemail subscriptions 1002

# The cap in all (4 here): 1002's 3 and 1003's.
mwi_scenario "$TMP/total5.xml" 1001 pw-1001-secret 1001 refused 503
mwi_sipp total5 "$TMP/total5.xml"
check "with 4 subscriptions held, a fifth gets 503 (voicemail.mwi_max_subscriptions)" sipp_ok total5

check "the daemon still answers" cli status
done_testing
