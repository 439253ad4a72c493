#!/bin/bash
# transfer_baresip.sh: blind transfer (RFC 3515) among three baresip phones, users 2001,
# 2002 and 2003 registered to crossbar over UDP (a plan that bridges ^(20\d\d)$ to
# user/$1). 2001 calls 2002 and transfers it to 2003 with baresip's /transfer (a REFER in
# 2001's call): 2003 rings and answers on its own, `calls` lists 2002 and 2003 bridged to
# each other, 2001's leg ends (baresip hangs up on crossbar's NOTIFY 200, quietly), and
# 2003's hang-up ends 2002's call. Then the other way round: 2003, the callee of 2002, sends
# 2002 on to 2001. baresip 1.0 cannot do an attended transfer (it has no Replaces); that is
# tested with SIPp in transfer.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/baresip_lib.sh"

require_tools baresip python3 # Debian package baresip

export COLUMNS=250
crossbar_names pbx
PORT=$pbx_PORT
cli() { "$CLI" --socket "$pbx_SOCK" "$@"; }

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="default">
    <extension name="phones">
      <condition field="destination_number" expression="^(20\d\d)\$">
        <action application="bridge" data="user/\$1"/>
      </condition>
    </extension>
  </context>
</include>
XML

check "the daemon starts" start_crossbar pbx sip,registrar \
	--set dialplan.file="$TMP/plan.xml" --set sip.domain=pbx.test \
	--set directory.realm=pbx.test --set directory.demo_users=no \
	--set registrar.digest_algorithms=MD5 --set sip.digest_algorithms=MD5 \
	--set core.log_level=info
for ext in 2001 2002 2003; do
	cli user add "$ext" --password "pw-$ext" >/dev/null
done
phone_ports 2001 2002 2003
for ext in 2001 2002 2003; do phone_start "$ext" udp; done
registered() { cli registrations "$1" | grep -qE "^$1 .* udp:127.0.0.1:[0-9]+ .*baresip"; }
all_registered() { registered 2001 && registered 2002 && registered 2003; }
check "three phones register" until_ok 10 all_registered

# pair: `calls` lists exactly two legs, bridged to each other.
pair() {
	cli --json calls | python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
print(rows)
assert len(rows) == 2, "%d legs" % len(rows)
a, b = rows
assert a["state"] == b["state"] == "bridged", (a["state"], b["state"])
assert a["bridged"] == b["uuid"] and b["bridged"] == a["uuid"]
'
}
no_calls() { cli calls | awk 'NR > 1 && NF && $0 != "(none)" {n++; print} END {exit n > 0}'; }
EST='Call established'
END=$CALL_ENDED

check "2001 dials 2002" phone 2001 dial 2002
check "... 2002 answers" until_ok 10 seen 2002 1 "$EST: sip:2001@pbx.test"
check "... 2001 sees it established" until_ok 5 seen 2001 1 "$EST"
check "2001 transfers 2002 to 2003 (/transfer 2003: REFER)" phone 2001 transfer 2003
check "... 2003 rings and answers a call from 2002" until_ok 10 seen 2003 1 "$EST: sip:2002@pbx.test"
check "... calls lists 2002 and 2003 bridged to each other, 2001's leg gone" until_ok 10 pair
check "... 2002 is still in its call" test "$(count 2002 "$END")" -eq 0
check "... crossbar logged the transfer's outcome" \
	grep -qE "transfer of sip/[^ ]+ to 2003: 200" "$TMP/pbx.log"
check "2003 hangs up" phone 2003 hangup
check "... 2002's call ends too" until_ok 10 seen 2002 1 "$END"
check "... no leg is left" until_ok 5 no_calls

check "2002 dials 2003" phone 2002 dial 2003
check "... 2003 answers" until_ok 10 seen 2003 2 "$EST: sip:2002@pbx.test"
check "2003, the callee, transfers 2002 to 2001" phone 2003 transfer 2001
ended_2001=$(count 2001 "$END")
check "... 2001 answers a call from 2002" until_ok 10 seen 2001 1 "$EST: sip:2002@pbx.test"
check "... calls lists 2002 and 2001 bridged to each other, 2003's leg gone" until_ok 10 pair
check "2002 hangs up" phone 2002 hangup
check "... 2001's call ends too" until_ok 10 seen 2001 "$((ended_2001 + 1))" "$END"
check "... no leg is left" until_ok 5 no_calls

for ext in 2001 2002 2003; do phone_stop "$ext"; done
check "the daemon is still alive" cli status
stop_crossbar pbx
done_testing
