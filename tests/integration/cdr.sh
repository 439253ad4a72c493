#!/bin/bash
# cdr.sh: call detail records in the real daemon (sip, registrar, cdr). First calls without
# SIP: `app exec` runs an application on a throw-away channel, a call that is never answered
# and ends NORMAL_CLEARING; `cdr`, `cdr --last N`, `--json` and `cdr show` show its record in
# 80 columns, and bad input is refused. A record open when the daemon is killed (SIGKILL) is
# closed by the next start with what is known: closed_by_restart, cause CRASH, the end at the
# later of the last heartbeat and the record's last write. Then SIP calls through crossbar
# (SIPp calls it, it bridges to a SIPp callee): answered and hung up by the caller, refused
# busy (486 on both legs), out through a gateway (named in the record); and a call answered
# and up when the daemon is killed, whose record the next start closes after its answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp sqlite3 python3 # Debian packages sip-tester, sqlite3
unset COLUMNS # the client's width: 80 when not on a terminal

NODE=cdr-it-node
cli() { "$CLI" --socket "$SOCK" "$@"; }
# fits WORDS...: the command succeeds and none of its lines is over 80 characters.
fits() {
	local out=$TMP/fits.out
	cli "$@" >"$out" 2>&1 || { cat "$out"; return 1; }
	[ -s "$out" ] || { echo "no output"; return 1; }
	LC_ALL=C.UTF-8 awk 'length($0) > 80 { print "line " NR " has " length($0) " characters: " $0; bad = 1 } END { exit bad }' "$out"
}
# json_field KEY [N]: the value of KEY in row N (1: the newest) of `--json cdr`.
json_field() {
	cli --json cdr | python3 -c 'import json, sys; print(json.load(sys.stdin)["rows"][int(sys.argv[2]) - 1][sys.argv[1]])' "$1" "${2:-1}"
}

crossbar_names main
PORT=$main_PORT
UAS_PORT=$(free_port)
while [ "$UAS_PORT" = "$PORT" ]; do UAS_PORT=$(free_port); done
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="trunk">
      <condition field="destination_number" expression="^9(\d+)\$">
        <action application="bridge" data="gateway/carrier/\$1"/>
      </condition>
    </extension>
    <extension name="to-sipp">
      <condition field="destination_number" expression="^(\d+)\$">
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
    <gateway name="carrier">
      <param name="proxy" value="127.0.0.1:$UAS_PORT"/>
      <param name="username" value="user"/>
      <param name="password" value="secret"/>
    </gateway>
  </gateways>
</crossbar>
XML
ARGS=(--config "$TMP/crossbar.xml" --set cdr.node=$NODE --set directory.demo_users=no
	--set dialplan.file="$TMP/plan.xml" --set media.ringback=no)

check "the daemon starts with sip, registrar and cdr" start_crossbar main sip,registrar,cdr "${ARGS[@]}"
check "cdr is loaded" bash -c "'$CLI' --socket '$SOCK' modules | grep -E '^cdr +'"
check "no calls yet: an empty table with its header" \
	bash -c "'$CLI' --socket '$SOCK' cdr | grep -E '^START +FROM +TO +SECS +BILLSEC +CAUSE$'"

check "a throw-away channel runs 'set x=y'" cli app exec set x=y
check "a second one from an E.164 number" cli app exec set caller_id_number=+4930123456789
check "a third one to a national number" cli app exec set destination_number=0309876543
check "a fourth one from an extension" cli app exec set caller_id_number=1001
check "cdr lists the four calls on a line each, newest first, NORMAL_CLEARING, unanswered" bash -c "
	'$CLI' --socket '$SOCK' cdr >'$TMP/cdr.out' &&
	[ \$(grep -cE '^[0-9-]{10} [0-9:]{8} .* 0 +0 +NORMAL_CLEARING$' '$TMP/cdr.out') -eq 4 ] &&
	sed -n 2p '$TMP/cdr.out' | grep -qE '^[0-9-]{10} [0-9:]{8}  1001 +0 +0 +NORMAL_CLEARING$' &&
	sed -n 3p '$TMP/cdr.out' | grep -q ' 0309876543 ' &&
	sed -n 4p '$TMP/cdr.out' | grep -q ' +4930123456789 '"
check "cdr fits 80 columns" fits cdr
check "cdr --last 1 shows the newest only" bash -c "
	'$CLI' --socket '$SOCK' cdr --last 1 >'$TMP/last.out' && [ \$(grep -cE '^[0-9]{4}-' '$TMP/last.out') -eq 1 ] &&
	grep -q 1001 '$TMP/last.out'"
check "cdr --last 3 shows three" bash -c "
	'$CLI' --socket '$SOCK' cdr --last 3 >'$TMP/last.out' && [ \$(grep -cE '^[0-9]{4}-' '$TMP/last.out') -eq 3 ]"
check "--json gives every column" bash -c "
	'$CLI' --socket '$SOCK' --json cdr --last 1 | python3 -c '
import json, sys
row = json.load(sys.stdin)[\"rows\"][0]
want = \"uuid b_uuid node direction driver b_driver caller_id_number caller_id_name destination_number context start_time answer_time end_time duration billsec hangup_cause sip_status b_hangup_cause b_sip_status gateway closed_by_restart updated_at\".split()
missing = [k for k in want if k not in row]
assert not missing, missing
assert row[\"node\"] == \"$NODE\" and row[\"driver\"] == \"null\" and row[\"direction\"] == \"in\", row
assert row[\"answer_time\"] == 0 and row[\"billsec\"] == 0 and row[\"end_time\"] >= row[\"start_time\"] > 0, row
assert row[\"hangup_cause\"] == \"NORMAL_CLEARING\" and row[\"closed_by_restart\"] is False, row
'"
UUID=$(json_field uuid 3) # the E.164 caller's
check "cdr show takes a uuid prefix and shows the whole record" bash -c "
	'$CLI' --socket '$SOCK' cdr show ${UUID:0:8} >'$TMP/show.out' &&
	grep -qE '^uuid +$UUID$' '$TMP/show.out' &&
	grep -qE '^caller_id_number +\\+4930123456789$' '$TMP/show.out' &&
	grep -qE '^hangup_cause +NORMAL_CLEARING$' '$TMP/show.out' &&
	grep -qE '^answer_time +0$' '$TMP/show.out'"
check "cdr show fits 80 columns" fits cdr show "${UUID:0:8}"
check "help cdr fits 80 columns" fits help cdr
expect_exit 1 "no call 'ffffffff'" "an unknown uuid is refused" cli cdr show ffffffff
expect_exit 1 "from 1 to 10000" "--last 0 is refused" cli cdr --last 0
expect_exit 1 "from 1 to 10000" "--last that is not a number is refused" cli cdr --last many
expect_exit 1 "usage: cdr" "an unknown argument is refused" cli cdr --first 3

# A call up when the daemon dies: its record open (as the daemon writes it when a call
# starts), last written a minute ago. The daemon's heartbeat is younger.
DB=$main_DATA/crossbar.db
NOW=$(date +%s)
OPEN=0a0a0a0a-1111-4222-8333-444444444444
check "a record is open while the daemon runs" sqlite3 "$DB" "PRAGMA busy_timeout=2000;
	INSERT INTO cdr(uuid, node, direction, driver, caller_id_number, destination_number,
	                start_time, answer_time, updated_at)
	VALUES ('$OPEN', '$NODE', 'in', 'sip', '1001', '1002', $((NOW - 90)), $((NOW - 80)), $((NOW - 60)))"
check "... and shown as up" bash -c "'$CLI' --socket '$SOCK' cdr | grep -E ' 1001 +1002 +[0-9]+ +0 +\\(up\\)$'"
check "the heartbeat is younger than the record's last write" \
	bash -c "[ \$(sqlite3 '$DB' \"SELECT at FROM cdr_heartbeat WHERE node = '$NODE'\") -ge $((NOW - 11)) ]"
stop_crossbar main KILL
check "the daemon starts again on the same data" start_crossbar main sip,registrar,cdr "${ARGS[@]}"
check "the start says it closed a record left open" grep -q "1 call record .*closed_by_restart" "$TMP/main.log"
check "the record is closed by the restart, at the last heartbeat, cause CRASH" bash -c "
	'$CLI' --socket '$SOCK' --json cdr show 0a0a | python3 -c '
import json, sys
r = dict(json.load(sys.stdin)[\"record\"])
assert r[\"closed_by_restart\"] is True and r[\"hangup_cause\"] == \"CRASH\", r
assert $NOW - 11 <= r[\"end_time\"] <= $NOW + 5, r
assert r[\"duration\"] == r[\"end_time\"] - r[\"start_time\"], r
assert r[\"billsec\"] == r[\"end_time\"] - r[\"answer_time\"], r
'"
check "... and listed with its cause" bash -c "'$CLI' --socket '$SOCK' cdr | grep -E ' 1001 +1002 +[0-9]+ +[0-9]+ +CRASH$'"
check "the calls before the crash are still there" bash -c "[ \$('$CLI' --socket '$SOCK' cdr | grep -c NORMAL_CLEARING) -eq 4 ]"
check "a call to a very long number" cli app exec set destination_number=0049309876543210987654321
check "... still fits 80 columns" fits cdr
check "... with the number printed whole" bash -c "'$CLI' --socket '$SOCK' cdr | grep -q 0049309876543210987654321"

# --- SIP calls ---------------------------------------------------------------------------
# record FIELD=VALUE...: the newest record has these values (--json, Python literals).
record() {
	cli --json cdr --last 1 | python3 -c '
import json, sys
r = json.load(sys.stdin)["rows"][0]
bad = [f"{k}={r.get(k)!r}, not {v}" for k, v in (a.split("=", 1) for a in sys.argv[1:]) if r.get(k) != eval(v)]
print("\n".join(bad) or r)
sys.exit(bool(bad))' "$@"
}
uas_start answer b2b_uas_answer.xml
check "a SIP call is answered through crossbar and hung up by the caller" uac answer_a b2b_uac_bye.xml 1000
check "... the callee had crossbar's BYE" uas_done
check "... its record: both legs, answered, NORMAL_CLEARING" until_ok 5 record \
	caller_id_number="'alice'" destination_number="'1000'" context="'public'" driver="'sip'" \
	b_driver="'sip'" direction="'in'" hangup_cause="'NORMAL_CLEARING'" \
	b_hangup_cause="'NORMAL_CLEARING'" closed_by_restart=False
check "... answered, its times consistent" bash -c "
	'$CLI' --socket '$SOCK' --json cdr --last 1 | python3 -c '
import json, sys
r = json.load(sys.stdin)[\"rows\"][0]
assert r[\"b_uuid\"] and r[\"b_uuid\"] != r[\"uuid\"], r
assert r[\"end_time\"] >= r[\"answer_time\"] >= r[\"start_time\"] > 0, r
assert r[\"duration\"] == r[\"end_time\"] - r[\"start_time\"], r
assert r[\"billsec\"] == r[\"end_time\"] - r[\"answer_time\"], r
'"
uas_start busy b2b_uas_busy.xml
check "a busy callee refuses a call" uac busy_a b2b_uac_refused.xml 1002
check "... its record: never answered, USER_BUSY and 486 on both legs" until_ok 5 record \
	destination_number="'1002'" answer_time=0 billsec=0 hangup_cause="'USER_BUSY'" \
	sip_status=486 b_hangup_cause="'USER_BUSY'" b_sip_status=486
uas_start trunk call_uas_auth407.xml
check "a call out through gateway carrier" uac trunk_a b2b_uac_bye.xml 94930123
check "... the carrier took it" uas_done
check "... its record names the gateway" until_ok 5 record destination_number="'94930123'" \
	gateway="'carrier'" hangup_cause="'NORMAL_CLEARING'"
check "cdr fits 80 columns with the SIP calls" fits cdr

# A call answered and up when the daemon is killed: its record, written when the call
# started and at its answer, is closed by the next start at the last heartbeat, which falls
# somewhere in the 12 s the call is up (heartbeats are 10 s apart): not before the answer,
# not after the kill.
sed 's/<pause milliseconds="300"\/>/<pause milliseconds="60000"\/>/' "$SIPP_DIR/b2b_uac_bye.xml" >"$TMP/uac_long.xml"
check "a callee waits" uas_start callee b2b_uas_answer.xml -timeout 60
(SIPP_DIR=$TMP uac caller uac_long.xml 1000 -timeout 60) &
UAC_PID=$!
PIDS+=("$UAC_PID")
# answered_up: the newest record is of an answered call with a B-leg, still up.
answered_up() {
	cli --json cdr --last 1 | python3 -c '
import json, sys
r = json.load(sys.stdin)["rows"][0]
sys.exit(not (r["answer_time"] > 0 and r["b_uuid"] and r["end_time"] == 0))'
}
check "the call is answered and bridged, its record open" until_ok 10 answered_up
CALL=$(json_field uuid 1)
check "... and shown as up" bash -c "'$CLI' --socket '$SOCK' cdr --last 1 | grep -E ' alice +1000 +[0-9]+ +[0-9]+ +\\(up\\)$'"
sleep $((10 + 2)) # a heartbeat falls during the call
stop_crossbar main KILL
kill "$UAC_PID" "$UAS_PID" 2>/dev/null
check "the daemon starts again after the crash" start_crossbar main sip,registrar,cdr "${ARGS[@]}"
check "the call's record is there, closed by the restart after its answer" bash -c "
	'$CLI' --socket '$SOCK' --json cdr show ${CALL:0:8} | python3 -c '
import json, sys
r = json.load(sys.stdin)[\"record\"]
print(r)
assert r[\"closed_by_restart\"] is True and r[\"hangup_cause\"] == \"CRASH\", r
assert r[\"caller_id_number\"] == \"alice\" and r[\"destination_number\"] == \"1000\", r
assert r[\"b_uuid\"] and r[\"answer_time\"] >= r[\"start_time\"] > 0, r
assert r[\"answer_time\"] <= r[\"end_time\"] <= r[\"answer_time\"] + 13, r
assert r[\"billsec\"] == r[\"end_time\"] - r[\"answer_time\"] >= 0, r
'"
check "... and listed with its cause" bash -c "'$CLI' --socket '$SOCK' cdr --last 1 | grep -E ' alice +1000 +[0-9]+ +[0-9]+ +CRASH$'"
stop_crossbar main
done_testing
