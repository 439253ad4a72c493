#!/bin/bash
# default_plan.sh: the shipped plan (dialplans/default.xml) with the parts of crossbar that
# are not loaded. A user's call to the echo test (9196) is answered with crossbar's own
# session description and stays up until the caller hangs up; one to voicemail (*97, *98)
# or to the main menu (5000) is answered and then ended by crossbar with
# SERVICE_NOT_IMPLEMENTED (a BYE with its Reason, RFC 3326), the log names the application
# and what brings it, and the call record keeps the cause: nothing runs on after an
# application the plan promised.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3

export COLUMNS=250
crossbar_names dp
PORT=$dp_PORT
SIPP_DIR=$SRC/tests/integration/sipp
HOST=127.0.0.1
LOCAL_IP=127.0.0.2
cli() { "$CLI" --socket "$dp_SOCK" "$@"; }

check "the daemon starts on the shipped plan" start_crossbar dp sip,registrar,cdr \
	--set dialplan.file="$SRC/dialplans/default.xml" --set directory.demo_users=no
check "a user is added" cli user add 1005 --password right-1005

check "a call to the echo test (9196) is answered and hung up by the caller" \
	uac echo b2b_uac_auth.xml 9196 -au 1005 -ap right-1005
check "... the answer names crossbar's media address and a port of media.rtp_ports" \
	bash -c "grep -q '^o=crossbar ' '$TMP/echo.msgs' && grep -q '^m=audio 5[0-7][0-9][0-9][02468] RTP/AVP 0' '$TMP/echo.msgs'"
for n in '*97' '*98' 5000; do
	check "a call to $n is answered and then ended by crossbar" \
		uac "call$n" b2b_uac_auth_hungup.xml "$n" -au 1005 -ap right-1005
done
check "crossbar's BYE says why (Reason: Q.850 cause 79)" \
	grep -q '^Reason: Q.850;cause=79;text="SERVICE_NOT_IMPLEMENTED"' "$TMP/call*97.msgs"
check "the log names what is missing: voicemail comes with mod_voicemail" \
	grep -q "application 'voicemail' is not available (it comes with mod_voicemail" "$TMP/dp.log"
check "... the menu with mod_ivr" \
	grep -q "application 'ivr' is not available (it comes with mod_ivr" "$TMP/dp.log"
check "... whose <menus> the start left unchecked, and said so" \
	grep -q "default.xml:[0-9]*: <menus> is for mod_ivr, which is not loaded" "$TMP/dp.log"
check "the call records keep the cause" bash -c \
	"[ \$('$CLI' --socket '$dp_SOCK' cdr --last 10 | grep -c SERVICE_NOT_IMPLEMENTED) -eq 3 ]"
check "no call is left behind" bash -c "'$CLI' --socket '$dp_SOCK' calls | grep -q '(none)'"
done_testing
