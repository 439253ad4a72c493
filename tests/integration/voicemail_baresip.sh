#!/bin/bash
# voicemail_baresip.sh: voicemail with real phones (baresip, directory users) on the shipped
# plan (dialplans/default.xml). 1001 calls 1002, which is not registered: the failed bridge
# goes on to 1002's voicemail; 1001's microphone is a WAV of band-limited noise (aufile),
# and the message's WAV must carry it, checked by cross-correlation (audio_check.py).
# 1002's phone then dials *97, keys its PIN and 1 (RFC 4733), and what it hears (baresip's
# sndfile) must carry the message the same way; the message is then saved (heard). By
# phone the owner records a greeting (which the next caller hears), changes the PIN, deletes
# a message and calls the sender back (the dialplan rings 1001). *98 asks for the box; wrong
# PINs are counted by the core's failure limiter until the caller's address is banned.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/baresip_lib.sh"

require_tools baresip python3
/usr/bin/python3 -c 'import numpy' 2>/dev/null || {
	skip "voicemail audio checks" "python3-numpy is not installed"
	done_testing
}
AUDIO=(/usr/bin/python3 "$SRC/tests/integration/audio_check.py")

export COLUMNS=250
crossbar_names pbx
PORT=$pbx_PORT
cli() { "$CLI" --socket "$pbx_SOCK" "$@"; }

check "the daemon starts on the shipped plan with mod_voicemail" start_crossbar pbx \
	sip,registrar,voicemail --set dialplan.file="$SRC/dialplans/default.xml" \
	--set sip.domain=pbx.test --set directory.realm=pbx.test --set directory.demo_users=no \
	--set registrar.digest_algorithms=MD5 --set sip.digest_algorithms=MD5 \
	--set core.log_level=info --set voicemail.silence_seconds=0 \
	--set directory.ban_failures=4 --set directory.ban_window=3600
EXTS="1001 1002"
seed=1
for ext in $EXTS; do
	cli user add "$ext" --password "pw-$ext" --pin "24$ext" >/dev/null
	"${AUDIO[@]}" make "$TMP/says-$ext.wav" 8000 300 "$seed"
	seed=$((seed + 1))
	PHONE_SOURCE[$ext]=aufile,$TMP/says-$ext.wav
	PHONE_SRATE[$ext]=8000
	PHONE_RECORD[$ext]=$TMP/heard-$ext
	PHONE_ACCOUNT[$ext]=";audio_codecs=PCMU"
	mkdir -p "${PHONE_RECORD[$ext]}"
done
phone_ports $EXTS
registered() { cli registrations "$1" | grep -qE "^$1 .* udp:127.0.0.1:[0-9]+ .*baresip"; }
heard() { ls -t "${PHONE_RECORD[$1]}"/dump-*-dec.wav 2>/dev/null | head -1; }
EST='Call established'
END=$CALL_ENDED
# logged N REGEX: the daemon's log has at least N lines matching REGEX.
logged() {
	local n
	n=$(grep -cE -- "$2" "$TMP/pbx.log")
	[ "$n" -ge "$1" ] || {
		echo "$n of '$2' in the log (wanted $1)"
		return 1
	}
}
lcount() { grep -cE -- "$1" "$TMP/pbx.log"; }
# keys EXT DIGITS: the phone sends each digit (RFC 4733) once the daemon has heard the one
# before (a digit baresip has not sent is sent again).
keys() {
	local d i n try
	for ((i = 0; i < ${#2}; i++)); do
		d=${2:i:1}
		n=$(lcount "DTMF")
		for try in 1 2 3; do
			phone "$1" sndcode "$d" >/dev/null || return 1
			until_ok 3 logged $((n + 1)) "DTMF" >/dev/null && break
		done
	done
}
# after REGEX DIGITS: waits for one more log line matching REGEX than `mark` counted, then
# keys DIGITS on $KEYS_EXT (1002).
mark() { MARK=$(lcount "$1"); }
after() { until_ok 40 logged $((MARK + 1)) "$1" && keys "${KEYS_EXT:-1002}" "$2"; }
msgs() { cli --json voicemail list 1002 | python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"]; print(" ".join(m["folder"] for m in r))'; }
msgs_are() {
	local got
	got=$(msgs)
	echo "1002's messages: '$got' (wanted '$1')"
	[ "$got" = "$1" ]
}

phone_start 1001 udp
check "1001 registers" until_ok 10 registered 1001

# 1: a message on no answer (1002 is not registered).
check "1001 calls 1002, which is not registered" phone 1001 dial 1002
check "... voicemail answers" until_ok 15 seen 1001 1 "$EST"
check "... the greeting is 1002's generated one" until_ok 10 logged 1 "playing vm-person-at"
keys 1001 '#'
check "... '#' skips it: the beep, then the recording" until_ok 10 logged 1 "recording a message for 1002"
sleep 4
check "... 1001 hangs up after about 4 s" phone 1001 hangup
check "... the message is kept" until_ok 10 logged 1 "message [0-9a-f]{32} left in box 1002 by '1001'"
FILE=$(cli --json voicemail list 1002 | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"][0]["file"])')
check "... the message's WAV is what 1001 said, whole (cross-correlation)" \
	"${AUDIO[@]}" check "$TMP/says-1001.wav" "$FILE" 0.7 2.5
check "... in 1002's new folder" msgs_are "new"

# 2: 1002 listens with *97.
phone_start 1002 udp
check "1002 registers" until_ok 10 registered 1002
n=$(count 1002 "$EST")
mark "playing vm-enter-pin"
check "1002 dials *97" phone 1002 dial '*97'
check "... answered" until_ok 10 seen 1002 $((n + 1)) "$EST"
M=$(lcount "playing vm-main-menu")
check "... asked for the PIN; 1002 keys it and '#'" after "playing vm-enter-pin" "241002#"
check "... the box opens" until_ok 10 logged 1 "box 1002 opened"
check "... it says: 1 new message, 0 saved" until_ok 10 bash -c \
	"grep -A8 'box 1002 opened' '$TMP/pbx.log' | grep -o 'playing [a-z0-9-]*' | tr '\n' ' ' | grep -q 'vm-you-have playing vm-num-1 playing vm-new-messages playing vm-and playing vm-num-0 playing vm-saved-messages'"
MARK=$M
check "... at the main menu 1002 presses 1" after "playing vm-main-menu" 1
check "... the envelope: from 1 0 0 1, then the message" until_ok 10 bash -c \
	"grep -A6 'playing message' '$TMP/pbx.log' | grep -o 'playing [a-z0-9-]*' | tr '\n' ' ' | grep -q 'vm-message-from playing vm-digit-1 playing vm-digit-0 playing vm-digit-0 playing vm-digit-1 playing vm-received'"
check "... the message plays to its end, then its menu" until_ok 30 logged 1 "playing vm-message-menu"
check "... heard: now saved (new -> saved)" until_ok 15 msgs_are "saved"
check "... 1002 hangs up" phone 1002 hangup
check "... the call ends" until_ok 10 seen 1002 1 "$END"
sleep 0.5
check "... what 1002 heard carries the message, whole (cross-correlation)" \
	"${AUDIO[@]}" check "$FILE" "$(heard 1002)" 0.7 2.0

# 3: greeting and PIN by phone.
n=$(count 1002 "$EST")
mark "playing vm-enter-pin"
check "1002 dials *97 again" phone 1002 dial '*97'
check "... answered" until_ok 10 seen 1002 $((n + 1)) "$EST"
M=$(lcount "playing vm-main-menu")
check "... keys the PIN" after "playing vm-enter-pin" "241002#"
MARK=$M
check "... 5: record the greeting" after "playing vm-main-menu" 5
check "... after the beep" until_ok 15 logged 1 "recording the greeting of box 1002"
sleep 2.5
M=$(lcount "playing vm-main-menu")
check "... 1002 talks 2.5 s and presses '#'" keys 1002 '#'
check "... the greeting is kept" until_ok 10 logged 1 "box 1002: new greeting"
check "... its WAV is what 1002 said" "${AUDIO[@]}" check "$TMP/says-1002.wav" \
	"$TMP/pbx/voicemail/1002/greeting.wav" 0.7 1.5
MARK=$M
check "... 6: change the PIN to 5678" after "playing vm-main-menu" "65678#"
check "... changed" until_ok 10 logged 1 "box 1002: PIN changed by phone"
check "... 1002 hangs up" phone 1002 hangup
until_ok 10 seen 1002 2 "$END" >/dev/null

# 4: the next caller hears the recorded greeting.
phone_stop 1002
until_ok 10 bash -c "! $CLI --socket $pbx_SOCK registrations 1002 | grep -q baresip" >/dev/null
n=$(count 1001 "$EST")
check "1002's phone goes away; 1001 calls 1002" phone 1001 dial 1002
check "... voicemail answers" until_ok 15 seen 1001 $((n + 1)) "$EST"
check "... the caller hears 1002's recorded greeting" until_ok 10 logged 1 "playing .*/1002/greeting.wav"
keys 1001 '#'
until_ok 10 logged 2 "recording a message for 1002" >/dev/null
sleep 3
check "... leaves a second message" phone 1001 hangup
check "... kept" until_ok 10 logged 2 "left in box 1002 by '1001'"
check "... 1002 has a new and a saved message" until_ok 5 msgs_are "new saved"

# 5: *98 from 1001: box, the new PIN; delete one message, call back from the other.
KEYS_EXT=1001
n=$(count 1001 "$EST")
mark "playing vm-enter-box"
check "1001 dials *98" phone 1001 dial '*98'
check "... answered" until_ok 10 seen 1001 $((n + 1)) "$EST"
check "... asked for the box: 1002#" after "playing vm-enter-box" "1002#"
mark "playing vm-enter-box"
check "... the old PIN is refused" keys 1001 "241002#"
check "... a wrong PIN is logged" until_ok 10 logged 1 "wrong PIN for box 1002"
M=$(lcount "playing vm-main-menu")
check "... asked for the box again; then the new PIN" after "playing vm-enter-box" "1002#5678#"
check "... the box opens" until_ok 10 logged 2 "box 1002 opened"
MARK=$M
mark2=$(lcount "playing message")
check "... 1: the first message (the new one)" after "playing vm-main-menu" 1
MARK=$mark2
check "... 7: deleted" after "playing message" 7
check "... deleted" until_ok 10 logged 1 "box 1002: message [0-9a-f]+ deleted"
check "... one message is left" until_ok 5 msgs_are "saved"
MARK=$((mark2 + 1))
check "... the next message plays; 5: call back 1001" after "playing message" 5
check "... the dialplan calls 1001 back" until_ok 10 logged 1 "box 1002: calling back 1001"
check "... routed to 1001" until_ok 10 logged 1 "routing from 1001 to 1001 in context default"
phone 1001 hangup >/dev/null 2>&1
until_ok 10 bash -c "$CLI --socket $pbx_SOCK calls | grep -q '(none)'" >/dev/null

# 6: wrong PINs until the address is banned (directory.ban_failures=4: one counted above).
n=$(count 1001 "$EST")
mark "playing vm-enter-box"
check "1001 dials *98 and keys three wrong PINs" phone 1001 dial '*98'
until_ok 10 seen 1001 $((n + 1)) "$EST" >/dev/null
for pin in 0000 0001 0002; do
	after "playing vm-enter-box" "1002#$pin#"
	MARK=$((MARK + 1))
done
check "... the core's limiter bans 127.0.0.1, naming voicemail" until_ok 10 \
	logged 1 "voicemail: 127.0.0.1 banned for"
check "... the call is ended" until_ok 20 seen 1001 $((n + 1)) "$END"
n=$(count 1001 "$END|403")
asked=$(lcount "playing vm-enter-box")
check "a call from the banned address" phone 1001 dial '*98'
check "... is refused" until_ok 15 seen 1001 $((n + 1)) "$END|403|Forbidden"
check "... before any box or PIN is asked for" test "$(lcount "playing vm-enter-box")" = "$asked"

check "the daemon is still alive" cli status
for ext in $EXTS; do phone_stop "$ext"; done
stop_crossbar pbx
done_testing
