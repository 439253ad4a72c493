#!/bin/bash
# ivr_default.sh: the shipped plan's auto-attendant (dialplans/default.xml, 5000 and the
# public main number) with baresip phones of directory users and mod_ivr loaded. A phone
# calls 5000 and hears the main menu's greeting, whole (the prompt the build spoke, found
# in its recording by cross-correlation), then dials an extension and reaches that phone.
# 0 goes to the operators' extension 0 and 9 to voicemail's *98 (mod_voicemail is not
# loaded: the call ends there, as the shipped plan says of a missing application). The
# public main number runs the same menu, whose transfers reach the office's extensions.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/baresip_lib.sh"

require_tools baresip python3 # Debian packages baresip, python3-numpy
/usr/bin/python3 -c 'import numpy' 2>/dev/null || {
	skip "the main menu heard" "python3-numpy is not installed"
	done_testing
}
AUDIO=(/usr/bin/python3 "$SRC/tests/integration/audio_check.py")

export COLUMNS=250
crossbar_names pbx
PORT=$pbx_PORT
cli() { "$CLI" --socket "$pbx_SOCK" "$@"; }

check "the daemon starts on the shipped plan with mod_ivr" start_crossbar pbx sip,registrar,ivr \
	--set dialplan.file="$SRC/dialplans/default.xml" --set sip.domain=pbx.test \
	--set directory.realm=pbx.test --set directory.demo_users=no \
	--set registrar.digest_algorithms=MD5 --set sip.digest_algorithms=MD5 \
	--set core.log_level=info
for ext in 1001 1002; do cli user add "$ext" --password "pw-$ext" >/dev/null; done
PHONE_RECORD[1002]=$TMP/heard-1002
mkdir -p "${PHONE_RECORD[1002]}"
phone_ports 1001 1002
for ext in 1001 1002; do phone_start "$ext" udp; done
registered() { cli registrations "$1" | grep -qE "^$1 .* udp:127.0.0.1:[0-9]+ .*baresip"; }
both_registered() { registered 1001 && registered 1002; }
check "two phones register" until_ok 10 both_registered

EST='Call established'
# logged TEXT: the daemon's log has TEXT (fixed) at least N times (default 1), within 20 s.
logged() { until_ok 20 bash -c "[ \$(grep -cF -- \"\$1\" '$TMP/pbx.log') -ge ${2:-1} ]" _ "$1"; }
# keys EXT DIGITS: the phone sends the digits (RFC 4733), 0.4 s apart.
keys() {
	local d
	for d in $(grep -o . <<<"$2"); do
		phone "$1" sndcode "$d" >/dev/null || return 1
		sleep 0.4
	done
}
heard() { ls -t "${PHONE_RECORD[$1]}"/dump-*-dec.wav 2>/dev/null | head -1; }
GREETING=$BUILD/sounds/ivr-main.wav

n=$(count 1002 "$EST")
check "1002 calls 5000" phone 1002 dial 5000
check "... crossbar answers" until_ok 10 seen 1002 $((n + 1)) "$EST"
check "... the main menu starts" logged "ivr: enters menu 'main'"
# the greeting is about 15 s long; 1002 listens to the end of it
sleep "$(/usr/bin/python3 -c "import wave; w = wave.open('$GREETING'); print(w.getnframes() / w.getframerate() + 1.5)")"
m=$(count 1001 "$EST")
check "... 1002 dials 1001 after the greeting" keys 1002 1001
check "... the menu transfers it to extension 1001" logged "ivr: leaves menu 'main' for 1001"
check "... 1001 rings and answers" until_ok 10 seen 1001 $((m + 1)) "$EST"
sleep 1
check "... 1002 hangs up" phone 1002 hangup
check "... 1001's call ends" until_ok 10 seen 1001 1 "$CALL_ENDED"
sleep 0.5
check "1002 heard the main menu's greeting, whole (cross-correlation with the prompt)" \
	"${AUDIO[@]}" check "$GREETING" "$(heard 1002)" 0.7 8

n=$(count 1002 "$EST")
check "1002 calls 5000 again and keys 0 during the greeting" phone 1002 dial 5000
check "... answered" until_ok 10 seen 1002 $((n + 1)) "$EST"
check "... the menu starts" logged "ivr: enters menu 'main'" 2
sleep 1
check "... keys 0" keys 1002 0
check "... the menu transfers the call to the operators, 0 in context default" \
	logged "ivr: leaves menu 'main' for 0"
check "... where the plan routes it" logged "from 1002 to 0 in context default"
sleep 1
phone 1002 hangup >/dev/null 2>&1
until_ok 10 bash -c "! '$CLI' --socket '$pbx_SOCK' calls | grep -q sip/" >/dev/null

e=$(count 1002 "$CALL_ENDED")
n=$(count 1002 "$EST")
check "1002 calls 5000 and keys 9 (voicemail)" phone 1002 dial 5000
check "... answered" until_ok 10 seen 1002 $((n + 1)) "$EST"
check "... the menu starts" logged "ivr: enters menu 'main'" 3
sleep 1
check "... keys 9" keys 1002 9
check "... the menu transfers the call to *98" logged "ivr: leaves menu 'main' for *98"
check "... mod_voicemail is not loaded: the log says so" \
	logged "application 'voicemail' is not available (it comes with mod_voicemail"
check "... and crossbar ends the call" until_ok 15 seen 1002 $((e + 1)) "$CALL_ENDED"

# A carrier's call to the main number (the public context): the menu's transfers name the
# context default, so the caller reaches the office's phones (a dry run: the phones here
# call as directory users, which a stranger's call to this daemon cannot be).
check "the public main number runs the main menu" \
	bash -c "'$CLI' --socket '$pbx_SOCK' dialplan test +4930123456 --context public | grep -E '^[0-9]+ +action +did-main-number +ivr main$'"
check "... whose 1001 reaches extension 1001 in context default from there" \
	bash -c "'$CLI' --socket '$pbx_SOCK' ivr test main 1001 --context public | grep -E '^result +transfer to 1001 in context default: extension local-extensions \\(bridge user/1001\\)$'"

for ext in 1001 1002; do phone_stop "$ext"; done
check "no call is left" until_ok 10 bash -c "'$CLI' --socket '$pbx_SOCK' calls | grep -q '(none)'"
stop_crossbar pbx
done_testing
