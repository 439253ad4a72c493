#!/bin/bash
# cdr.sh: call detail records in the real daemon (sip, registrar, cdr). Calls without SIP:
# `app exec` runs an application on a throw-away channel, a call that is never answered
# and ends NORMAL_CLEARING. `cdr`, `cdr --last N`, `--json` and `cdr show` show its record,
# in 80 columns; bad input is refused. Then the daemon is killed (SIGKILL) while a record is
# open, and the next start closes it with what is known (closed_by_restart, cause CRASH).
. "$(dirname "$0")/lib.sh"
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

check "the daemon starts with sip, registrar and cdr" start_crossbar main sip,registrar,cdr \
	--set cdr.node=$NODE --set registrar.demo_users=no
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
check "the daemon starts again on the same data" start_crossbar main sip,registrar,cdr \
	--set cdr.node=$NODE --set registrar.demo_users=no
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
stop_crossbar main
done_testing
