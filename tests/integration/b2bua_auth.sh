#!/bin/bash
# b2bua_auth.sh: who may call what. An INVITE from one of the directory's users is
# challenged (407, Proxy-Authenticate, RFC 3261 §22.3) and, answered, routed in that user's
# context with the user's caller ID whatever its From says; one without credentials from a
# stranger is challenged and never routed; wrong passwords count in the shared limiter and
# the source is banned (403) after directory.ban_failures of them, also for REGISTER; a
# trunk known by its gateway's address is routed in "public" without credentials, and the
# public context never reaches a gateway; sip.public_for_strangers opens "public" to
# anyone. A refused INVITE leaves no channel behind. Sources are loopback addresses of their
# own (127.0.0.2 the user's phone, .3 a stranger, .4 a guesser, .5 the trunk).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3

export COLUMNS=250
crossbar_names auth
PORT=$auth_PORT
UAS_PORT=$(free_port)
SIPP_DIR=$SRC/tests/integration/sipp
HOST=127.0.0.1
cli() { "$CLI" --socket "$auth_SOCK" "$@"; }

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="default">
    <extension name="office">
      <condition field="destination_number" expression="^(\d+)\$">
        <action application="set" data="effective_caller_id_number=\${caller_id_number}"/>
        <action application="bridge" data="sip:\$1@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
  </context>
  <context name="public">
    <extension name="did">
      <condition field="destination_number" expression="^(20\d\d)\$">
        <action application="bridge" data="sip:\$1@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
  </context>
</include>
XML
cat >"$TMP/crossbar.xml" <<XML
<?xml version="1.0"?>
<crossbar>
  <gateways>
    <gateway name="trunk">
      <param name="proxy" value="127.0.0.5:5060"/>
    </gateway>
  </gateways>
</crossbar>
XML

check "the daemon starts" start_crossbar auth sip,registrar --config "$TMP/crossbar.xml" \
	--set dialplan.file="$TMP/plan.xml" --set directory.demo_users=no \
	--set directory.ban_failures=3 --set directory.ban_time=60 --set media.ringback=no
check "a user is added" cli user add 2001 --password right-2001 --name "Alice Office"
no_channels() { cli calls | awk 'NR > 1 && NF && $0 != "(none)" {n++; print} END {exit n > 0}'; }
# got NAME STATUS: SIPp received STATUS in that run.
got() { statuses "$1" | grep -qw "$2"; }

# A directory user calls: challenged, answers, routed in its context ("default") with its
# caller ID (2001 and its name, not the From's 9999).
LOCAL_IP=127.0.0.2
LOCAL_IP=127.0.0.1 uas_start user_b b2b_uas_any.xml
check "a user's INVITE is challenged with 407 and, answered, gets through" \
	uac user_a b2b_uac_auth.xml 3005 -au 2001 -ap right-2001
check "... the 407 carried Proxy-Authenticate" grep -qi "^Proxy-Authenticate: Digest" "$TMP/user_a.msgs"
check "... the callee was reached" uas_done
check "... with the user's caller ID in From, not the one the phone wrote" \
	grep -qE '^From: "Alice Office" <sip:2001@' "$TMP/user_b.msgs"

# A stranger without credentials: 407 and nothing else, no channel, no call.
LOCAL_IP=127.0.0.3
check "a stranger's INVITE without credentials is challenged (407)" \
	uac stranger b2b_uac_challenged.xml 2001
check "... and nothing was routed: no channel" no_channels
check "... its only final answer was the 407" bash -c "grep -o '^SIP/2.0 [2-6][0-9][0-9]' '$TMP/stranger.msgs' | sort -u | grep -qx 'SIP/2.0 407' && [ \$(grep -o '^SIP/2.0 [2-6][0-9][0-9]' '$TMP/stranger.msgs' | sort -u | wc -l) -eq 1 ]"

# A guesser: wrong passwords, counted; the third bans the source (403), for REGISTER too.
LOCAL_IP=127.0.0.4
for i in 1 2; do
	uac guess_$i b2b_uac_wrongauth.xml 3005 -au 2001 -ap wrong
	check "wrong password $i: challenged again (407), not banned" bash -c "! grep -q 'SIP/2.0 403' '$TMP/guess_$i.msgs' && [ \$(grep -c 'SIP/2.0 407' '$TMP/guess_$i.msgs') -ge 2 ]"
done
uac guess_3 b2b_uac_wrongauth.xml 3005 -au 2001 -ap wrong
check "the third wrong password bans the source: 403" grep -q "SIP/2.0 403" "$TMP/guess_3.msgs"
check "... and the ban is logged once, naming sip" bash -c "grep -c 'banned' '$TMP/auth.log' | grep -qx 1 && grep -q 'sip' <<<\"\$(grep banned '$TMP/auth.log')\""
uac guess_4 b2b_uac_challenged.xml 2001
check "a banned source gets 403 before any challenge" bash -c "grep -q 'SIP/2.0 403' '$TMP/guess_4.msgs' && ! grep -q 'SIP/2.0 407' '$TMP/guess_4.msgs'"
uac guess_5 b2b_uac_challenged.xml 3005
check "... and so is its next INVITE, whatever it carries" grep -q "SIP/2.0 403" "$TMP/guess_5.msgs"
LOCAL_IP=127.0.0.2
LOCAL_IP=127.0.0.1 uas_start user2_b b2b_uas_any.xml
check "the user's own phone (another source) still gets through" \
	uac user2_a b2b_uac_auth.xml 3006 -au 2001 -ap right-2001
check "... to the callee" uas_done

# The trunk: known by its address, routed in public without credentials; public reaches a
# DID, and nothing else (never a gateway).
LOCAL_IP=127.0.0.5
LOCAL_IP=127.0.0.1 uas_start did_b b2b_uas_any.xml
check "a call from the trunk's address needs no credentials and reaches a DID" \
	uac did_a b2b_uac_bye.xml 2001
check "... at the callee" uas_done
uac nodid b2b_uac_refused.xml 3005
check "a number the public context does not route is refused 404 (not dialled out)" got nodid 404
stop_crossbar auth

# public_for_strangers opens public to anyone without credentials.
check "the daemon starts with sip.public_for_strangers" start_crossbar auth sip,registrar \
	--config "$TMP/crossbar.xml" --set dialplan.file="$TMP/plan.xml" \
	--set directory.demo_users=no --set sip.public_for_strangers=yes --set media.ringback=no
LOCAL_IP=127.0.0.3
LOCAL_IP=127.0.0.1 uas_start open_b b2b_uas_any.xml
check "a stranger then reaches a DID without credentials" uac open_a b2b_uac_bye.xml 2001
check "... at the callee" uas_done
stop_crossbar auth
done_testing
