#!/bin/bash
# dialplan_cli.sh: the live dialplan of the real daemon. `crossbar-cli dialplan test` dry-runs
# the shipped plan (local extensions, the operator in and out of office hours, a gateway
# call, feature codes, the public context that never reaches a gateway) in text that fits
# 80 columns and in JSON; a reload or SIGHUP with a broken plan is refused with its file and
# line while the old plan keeps answering, and a fixed one is taken; a broken plan stops
# --check-config and the start with exit 2 and its file and line.
. "$(dirname "$0")/lib.sh"

unset COLUMNS # the client's width: 80 when not on a terminal
PLAN=$TMP/plan.xml
cp "$SRC/dialplans/default.xml" "$PLAN"
cli() { "$CLI" --socket "$SOCK" "$@"; }

# has PATTERN WORDS...: the command succeeds and a line of its output matches PATTERN.
has() {
	local pattern=$1 out
	shift
	out=$(cli "$@" 2>&1) || {
		echo "failed: $out"
		return 1
	}
	grep -Eq -- "$pattern" <<<"$out" || {
		echo "$out"
		return 1
	}
}

# fits WORDS...: the command succeeds and none of its lines is over 80 characters.
fits() {
	local out=$TMP/fits.out
	cli "$@" >"$out" 2>&1 || { cat "$out"; return 1; }
	LC_ALL=C.UTF-8 awk 'length($0) > 80 { print "line " NR ": " $0; bad = 1 } END { exit bad }' "$out"
}

# line_of TEXT: the line of the plan that holds TEXT.
line_of() { grep -nF -- "$1" "$PLAN" | head -1 | cut -d: -f1; }

check "the daemon starts with the shipped plan" start_crossbar main "" \
	--set dialplan.file="$PLAN" --set dialplan.timezone=Europe/Berlin
check "the start logs the plan's size" grep -q "dialplan $PLAN: 2 contexts" "$TMP/main.log"
check "... and names the applications no loaded part registers" \
	grep -q "nothing loaded registers voicemail (line [0-9]*, mod_voicemail)" "$TMP/main.log"

check "1005 rings user/1005" has '^[0-9]+ +action +local-extensions +bridge user/1005$' \
	dialplan test 1005
check "... after setting its variables, with the capture expanded" \
	has 'set dialed_extension=1005' dialplan test 1005
check "... and the extensions that matched are listed" \
	has '^matched +defaults, local-extensions$' dialplan test 1005
check "0 on a Monday morning rings the operators" \
	has 'action +operator +bridge user/1000,user/1001' dialplan test 0 --at "2026-05-04 10:00"
check "... the time condition is shown true with the time it saw" \
	has 'true +operator +wday=mon-fri \(2\), time-of-day=08:00-18:00' dialplan test 0 --at "2026-05-04 10:00"
check "0 on a Sunday takes the anti-actions: the operator's voicemail" \
	has 'anti +operator +voicemail default 1000' dialplan test 0 --at "2026-05-03 10:00"
check "9 and a number goes out through the default gateway" \
	has 'bridge gateway/carrier/5551234' dialplan test 95551234
check "... or the gateway the call carries (--var)" \
	has 'bridge gateway/trunk-b/5551234' dialplan test 95551234 --var default_gateway=trunk-b
check "*78 turns do-not-disturb on for the caller (--caller-id)" \
	has 'dnd 1003 on' dialplan test '*78' --caller-id 1003
check "*72 with a number sets forwarding" \
	has 'call_forward 1003 5551234' dialplan test '*725551234' --caller-id 1003
check "9196 is the echo test" has 'action +echo-test +echo' dialplan test 9196
check "5000 is the IVR" has 'ivr main' dialplan test 5000
check "a DID of the public context reaches its extension" \
	has 'bridge user/1010' dialplan test +49301234561010 --context public
check "the public context never reaches a gateway" \
	lacks 'gateway' cli dialplan test 95551234 --context public
check "... an unknown number there is hung up" \
	has 'hangup UNALLOCATED_NUMBER' dialplan test 95551234 --context public
check "--json gives each step as a row" \
	bash -c "'$CLI' --socket '$SOCK' --json dialplan test 1005 | grep -q '\"step\":\"action\",\"extension\":\"local-extensions\",\"what\":\"bridge user/1005\"'"
expect_exit 1 "has no context 'nowhere' \(it has: default, public\)" "an unknown context is refused" \
	cli dialplan test 1005 --context nowhere
expect_exit 1 "--at 2026-13: expected" "a bad --at is refused" cli dialplan test 1005 --at 2026-13
check "dialplan test fits 80 columns" fits dialplan test 95551234 --at "2026-05-04 10:00"
check "dialplan show lists extensions with file and line" \
	has "^default +local-extensions +plan.xml:$(line_of 'name="local-extensions"') " dialplan show
check "dialplan show fits 80 columns" fits dialplan show
check "help dialplan test fits 80 columns" fits help dialplan test

# A broken expression: the reload is refused with file and line; the old plan answers.
BAD_LINE=$(line_of 'expression="^(10[01][0-9])$"')
sed -i 's|expression="^(10\[01\]\[0-9\])\$"|expression="^(10[01][0-9]$"|' "$PLAN"
expect_exit 1 "reload refused.*$PLAN:$BAD_LINE: expression" \
	"a reload with a bad regular expression is refused naming file and line" cli reload
check "... and the old plan still answers" has 'bridge user/1005' dialplan test 1005
cp "$SRC/dialplans/default.xml" "$PLAN"
APP_LINE=$(line_of '"echo"')
sed -i 's|application="echo"|application="echoo"|' "$PLAN"
expect_exit 1 "$PLAN:$APP_LINE: unknown application 'echoo'" \
	"a reload naming an unknown application is refused naming file and line" cli reload
kill -HUP "$main_PID"
check "SIGHUP with the broken plan is refused and logged with file and line" \
	until_ok 10 grep -q "reload refused.*$PLAN:$APP_LINE: unknown application 'echoo'" "$TMP/main.log"
check "... and the old plan still answers" has 'action +echo-test +echo$' dialplan test 9196

# The fixed plan, changed, is taken whole.
cp "$SRC/dialplans/default.xml" "$PLAN"
sed -i 's|call_timeout=30|call_timeout=45|' "$PLAN"
check "a reload of the fixed plan succeeds" cli reload
check "... and the new plan answers" has 'set call_timeout=45' dialplan test 1005
stop_crossbar main

# A broken plan at --check-config and at start: exit 2, file and line.
cp "$SRC/dialplans/default.xml" "$TMP/broken.xml"
sed -i 's|wday="mon-fri"|wday="mon-fry"|' "$TMP/broken.xml"
TIME_LINE=$(grep -n 'mon-fry' "$TMP/broken.xml" | cut -d: -f1)
expect_exit 2 "broken.xml:$TIME_LINE: wday=\"mon-fry\"" "--check-config with a bad time exits 2 naming file and line" \
	"$CROSSBAR" --set core.modules= --set core.data_dir="$TMP/chk" --set dialplan.file="$TMP/broken.xml" --check-config
expect_exit 2 "broken.xml:$TIME_LINE: wday" "the start with a bad plan exits 2 naming file and line" \
	"$CROSSBAR" --set core.modules= --set core.data_dir="$TMP/chk" --set dialplan.file="$TMP/broken.xml"
printf '<?xml version="1.0"?>\n<include>\n  <context name="x">\n    <extension name="y">\n' >"$TMP/cut.xml"
expect_exit 2 "cut.xml:5: " "--check-config with a cut-off file exits 2 naming file and line" \
	"$CROSSBAR" --set core.modules= --set core.data_dir="$TMP/chk" --set dialplan.file="$TMP/cut.xml" --check-config
expect_exit 2 "dialplan.timezone: 'Nowhere/Land' is not a known time zone" "a bad dialplan.timezone exits 2" \
	"$CROSSBAR" --set core.modules= --set core.data_dir="$TMP/chk" --set dialplan.timezone=Nowhere/Land --check-config
expect_exit 0 "'voicemail' comes with mod_voicemail" "--check-config lists applications nothing registers yet" \
	"$CROSSBAR" --set core.modules= --set core.data_dir="$TMP/chk" --set dialplan.file="$SRC/dialplans/default.xml" --check-config
check "... and the applications it knows" \
	grep -q "applications known without modules: answer bridge call_forward dnd echo export" "$TMP/expect.out"
sed 's|application="echo"|application="echoo"|' "$SRC/dialplans/default.xml" >"$TMP/typo.xml"
expect_exit 2 "typo.xml:$APP_LINE: unknown application 'echoo': neither the core nor a module" \
	"--check-config refuses an application nothing declares, naming file and line" \
	"$CROSSBAR" --set core.modules= --set core.data_dir="$TMP/chk" --set dialplan.file="$TMP/typo.xml" --check-config
# A module's application is known from its descriptor, without loading the module.
sed 's|application="echo"|application="good"|' "$SRC/dialplans/default.xml" >"$TMP/modapp.xml"
expect_exit 0 "modapp.xml:$APP_LINE: 'good' comes with module good" \
	"--check-config knows a module's application from its descriptor" \
	"$CROSSBAR" --set core.modules=good --set core.modules_dir="$BUILD/tests/unit/modules" \
	--set core.data_dir="$TMP/chk" --set dialplan.file="$TMP/modapp.xml" --check-config
expect_exit 2 "modapp.xml:$APP_LINE: unknown application 'good'" \
	"... and refuses it when that module is not in core.modules" \
	"$CROSSBAR" --set core.modules= --set core.data_dir="$TMP/chk" --set dialplan.file="$TMP/modapp.xml" --check-config
expect_exit 2 "typo.xml:$APP_LINE: unknown application 'echoo'" "... which the start refuses when no module registered it" \
	"$CROSSBAR" --set core.modules= --set core.data_dir="$TMP/chk2" --set dialplan.file="$TMP/typo.xml"
done_testing
