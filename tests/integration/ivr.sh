#!/bin/bash
# ivr.sh: menus of a plan's <menus> (mod_ivr) navigated by a phone. sip_peer.py calls and
# keys digits as RFC 4733 telephone-events (and once as SIP INFO), SIPp keys some from
# sip-tester's pcaps; what the caller hears is recorded and checked prompt by prompt
# against the prompt files by cross-correlation (ivr_heard.py, audio_check.py): the
# greetings, the invalid-sound and greet-short after an invalid key, the timeout-sound after
# the menu's timeout, a sub-menu, back, top, a played file, the exit-sound. Valid choices
# land on the right extension (a menu-transfer, an expression that dials by extension with
# its capture), an application runs and the menu comes round, max-failures and
# max-timeouts end the menu as configured (exit-sound and the plan going on, or
# exec-on-max-failures), menus are chosen by the plan's time conditions, a caller who hangs
# up in a menu leaves nothing behind, a caller inside a menu during a reload finishes in
# the menu it entered while the next caller gets the new one, and the daemon stops cleanly
# with callers in menus.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3
/usr/bin/python3 -c 'import numpy' 2>/dev/null || {
	skip "menus heard" "python3-numpy is not installed"
	done_testing
}

export COLUMNS=250
crossbar_names iv
PORT=$iv_PORT
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
PEER=$SRC/tests/integration/sip_peer.py
HEARD=(/usr/bin/python3 "$SRC/tests/integration/ivr_heard.py")
SOUNDS=$BUILD/sounds
cli() { "$CLI" --socket "$iv_SOCK" "$@"; }

# Two hour ranges of the plan's time zone (UTC): one that holds now, one that does not.
H=$(date -u +%-H)
NOW_HOURS="$(((H + 23) % 24))-$(((H + 1) % 24))"
OTHER_HOURS="$(((H + 6) % 24))-$(((H + 8) % 24))"

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="menu">
      <condition field="destination_number" expression="^menu\$">
        <action application="answer"/>
        <action application="ivr" data="top"/>
        <action application="log" data="NOTICE RESULT after-ivr ivr_result=\${ivr_result} ivr_menu=\${ivr_menu}"/>
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="strict">
      <condition field="destination_number" expression="^strict\$">
        <action application="ivr" data="strict"/>
        <action application="log" data="NOTICE RESULT not reached"/>
      </condition>
    </extension>
    <extension name="keys">
      <condition field="destination_number" expression="^keys\$">
        <action application="ivr" data="keys"/>
        <action application="log" data="NOTICE RESULT after-keys ivr_result=\${ivr_result}"/>
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="stay">
      <condition field="destination_number" expression="^stay\$">
        <action application="ivr" data="stay"/>
      </condition>
    </extension>
    <extension name="reload">
      <condition field="destination_number" expression="^reload\$">
        <action application="ivr" data="r"/>
      </condition>
    </extension>
    <!-- a business-hours menu and a night menu, chosen by the time -->
    <extension name="hours-now">
      <condition field="destination_number" expression="^hours-now\$"/>
      <condition hour="$NOW_HOURS">
        <action application="ivr" data="day"/>
        <anti-action application="ivr" data="night"/>
      </condition>
    </extension>
    <extension name="hours-other">
      <condition field="destination_number" expression="^hours-other\$"/>
      <condition hour="$OTHER_HOURS">
        <action application="ivr" data="day"/>
        <anti-action application="ivr" data="night"/>
      </condition>
    </extension>
    <extension name="extensions">
      <condition field="destination_number" expression="^(20[0-9][0-9])\$">
        <action application="log" data="NOTICE RESULT landed \$1 ivr_result=\${ivr_result}"/>
        <action application="playback" data="goodbye"/>
        <action application="hangup"/>
      </condition>
    </extension>
  </context>

  <menus>
    <menu name="top" greet-long="welcome" greet-short="not-available"
          invalid-sound="ivr-invalid" timeout-sound="ivr-no-entry" exit-sound="goodbye"
          timeout="1500" inter-digit-timeout="1000" max-failures="2" max-timeouts="2">
      <entry action="menu-sub" digits="1" param="info"/>
      <entry action="menu-transfer" digits="2" param="2002 XML public"/>
      <entry action="menu-play-sound" digits="3" param="hold"/>
      <entry action="menu-exec-app" digits="4" param="log NOTICE RESULT exec-app \${ivr_digits}"/>
      <entry action="menu-transfer" digits="/^7([0-9][0-9])\$/" param="20\$1 XML public"/>
      <entry action="menu-exit" digits="9"/>
    </menu>
    <menu name="info" greet-long="echo-test" greet-short="not-available"
          invalid-sound="ivr-invalid" timeout="5000">
      <entry action="menu-back" digits="*"/>
      <entry action="menu-top" digits="0"/>
    </menu>
    <menu name="strict" greet-long="welcome" invalid-sound="ivr-invalid" max-failures="1"
          exec-on-max-failures="transfer 2099 XML public">
      <entry action="menu-exit" digits="9"/>
    </menu>
    <menu name="keys" greet-long="welcome" exit-sound="goodbye" timeout="5000">
      <entry action="menu-sub" digits="1" param="keysub"/>
      <entry action="menu-exit" digits="#"/>
    </menu>
    <menu name="keysub" greet-long="echo-test" greet-short="ivr-invalid" timeout="5000">
      <entry action="menu-play-sound" digits="5" param="goodbye"/>
      <entry action="menu-back" digits="*"/>
    </menu>
    <menu name="stay" greet-long="welcome" timeout="30000">
      <entry action="menu-exec-app" digits="1" param="sleep 30000"/>
      <entry action="menu-exit" digits="9"/>
    </menu>
    <menu name="r" greet-long="welcome" timeout="10000">
      <entry action="menu-transfer" digits="1" param="2001 XML public"/>
    </menu>
    <menu name="day" greet-long="welcome"><entry action="menu-exit" digits="9"/></menu>
    <menu name="night" greet-long="hold"><entry action="menu-exit" digits="9"/></menu>
  </menus>
</include>
XML

check "the daemon starts with mod_ivr and a plan with menus" start_crossbar iv sip,ivr \
	--set dialplan.file="$TMP/plan.xml" --set dialplan.timezone=UTC \
	--set sip.public_for_strangers=yes --set core.log_level=info
check "ivr is an application of module ivr" bash -c "'$CLI' --socket '$iv_SOCK' apps | grep -E '^ivr +ivr +MENU'"

# call NAME NUMBER ACTION...: sip_peer.py calls NUMBER and acts; what it heard goes to
# $TMP/NAME.json.
call() {
	local name=$1 number=$2
	shift 2
	SIP_PEER_RECORD=$TMP/$name.json timeout 90 python3 "$PEER" call "$PORT" "$(free_port)" \
		$((61000 + (RANDOM % 500) * 2)) "$number" "$@" >"$TMP/$name.out" 2>&1
}
# heard NAME UTTERANCE...: what the call NAME heard, prompt by prompt.
heard() {
	local name=$1
	shift
	"${HEARD[@]}" "$TMP/$name.json" "$SOUNDS" "$@"
}
# logged TEXT: the daemon's log has a line with TEXT (a fixed string), within 10 s.
logged() { until_ok 10 grep -qF -- "$1" "$TMP/iv.log"; }
# count TEXT: lines of the log with TEXT.
count() { grep -cF -- "$1" "$TMP/iv.log"; }

# A caller through every kind of entry: an invalid key, a timeout, a file played, a
# sub-menu, back, exit.
check "a caller keys 5 (invalid), nothing, 3 (a file), 1 (a sub-menu), * (back), 9 (exit)" \
	call walk menu hear rfc4733:5 hear hear rfc4733:3 hear rfc4733:1 hear 'rfc4733:*' hear \
	rfc4733:9 wait
check "... it heard each prompt: the greeting; the invalid-sound and greet-short; 1.5 s later the timeout-sound and greet-short; the file and greet-short; the sub-menu's greeting; the greeting; the exit-sound" \
	heard walk welcome ivr-invalid+not-available @1.5 ivr-no-entry+not-available \
	hold+not-available echo-test welcome goodbye
# line KEYS PARAM: the line of the entry with those digits and param in the plan.
line() { grep -nF "digits=\"$1\" param=\"$2\"" "$TMP/plan.xml" | cut -d: -f1; }
cat >"$TMP/walk.want" <<EOF
enters menu 'top'
menu 'top': '5' is not a valid choice (failure 1 of 2)
menu 'top': no key (timeout 1 of 2)
menu 'top': '3' -> menu-play-sound hold (line $(line 3 hold))
menu 'top': '1' -> menu-sub info (line $(line 1 info))
enters menu 'info'
menu 'info': '*' -> menu-back (line $(grep -nF 'action="menu-back" digits="*"' "$TMP/plan.xml" | head -1 | cut -d: -f1))
enters menu 'top'
menu 'top': '9' -> menu-exit (line $(grep -nF 'action="menu-exit" digits="9"' "$TMP/plan.xml" | head -1 | cut -d: -f1))
leaves menu 'top' (exit)
EOF
check "... the log followed it, entry by entry with their lines" bash -c "grep -E \"ivr: (enters|menu '|leaves)\" '$TMP/iv.log' | sed -E 's/.*ivr: //' | diff -u '$TMP/walk.want' -"
check "... and the plan went on after ivr" logged "RESULT after-ivr ivr_result=exit ivr_menu=top"

check "max-failures: 5, then 6" call fail menu hear rfc4733:5 hear rfc4733:6 wait
check "... the invalid-sound and greet-short, then the invalid-sound and the exit-sound" \
	heard fail welcome ivr-invalid+not-available ivr-invalid+goodbye
check "... the menu ended and the plan went on" \
	logged "RESULT after-ivr ivr_result=max-failures ivr_menu=top"

check "max-timeouts: no key at all" call quiet menu wait
check "... the timeout-sound (and greet-short), then the timeout-sound and exit-sound, 1.5 s after each prompt" \
	heard quiet welcome @1.5 ivr-no-entry+not-available @1.5 ivr-no-entry+goodbye
check "... the menu ended and the plan went on" \
	logged "RESULT after-ivr ivr_result=max-timeouts ivr_menu=top"

check "2: a transfer to extension 2002" call two menu hear rfc4733:2 wait
check "... lands on 2002, which says goodbye" logged "RESULT landed 2002 ivr_result=transfer"
check "... heard the greeting, then the extension's prompt" heard two welcome goodbye

check "712 (an expression of the menu's) dials extension 2012" call dial menu rfc4733:712 wait
check "... lands on 2012" logged "RESULT landed 2012 ivr_result=transfer"
check "... the entry was judged at its third key, the expression's captures in its param" \
	logged "runs transfer(2012 XML public)"

check "4 runs an application and the menu comes round; 7 by SIP INFO, then a pause: the inter-digit timeout judges it (invalid); 9 exits" \
	call app menu hear rfc4733:4 hear info:7 hear rfc4733:9 wait
check "... the application ran, with the menu's variables" logged "RESULT exec-app 4"
check "... '7' alone was not valid" bash -c "[ $(count "'7' is not a valid choice") -ge 1 ]"
check "... it heard greet-short after the application, and after the invalid entry" \
	heard app welcome not-available ivr-invalid+not-available goodbye

check "a key during the greeting stops it: 1 a second into it" \
	call barge menu quiet:1 rfc4733:1 hear rfc4733:0 hear rfc4733:9 wait
check "... it heard the greeting cut off, the sub-menu's, then top's greeting (menu-top)" \
	heard barge welcome~+echo-test welcome goodbye

check "exec-on-max-failures: one invalid key in menu strict" call strict strict hear rfc4733:5 wait
check "... the invalid-sound, then the transfer it names (not the exit-sound)" \
	logged "RESULT landed 2099 ivr_result=transfer"
check "... the plan did not go on after ivr" lacks "RESULT not reached" cat "$TMP/iv.log"

check "SIPp keys 1, 5, * and # from sip-tester's RFC 4733 pcaps" \
	uac keys ivr_uac_keys.xml keys -timeout 40
cat >"$TMP/keys.want" <<'EOF'
menu 'keys': '1' -> menu-sub keysub
menu 'keysub': '5' -> menu-play-sound goodbye
menu 'keysub': '*' -> menu-back
menu 'keys': '#' -> menu-exit
leaves menu 'keys' (exit)
EOF
check "... into the sub-menu, a file played there, back, and out with #" bash -c "grep -E \"ivr: (menu 'keys|leaves menu 'keys)\" '$TMP/iv.log' | sed -E 's/.*ivr: //; s/ [(]line .*//' | diff -u '$TMP/keys.want' -"
check "... and the plan went on" logged "RESULT after-keys ivr_result=exit"

# Business hours: the plan's time conditions choose the menu.
check "a call in the hours that hold now reaches the day menu" call day hours-now hear bye
check "... enters menu 'day'" logged "ivr: enters menu 'day'"
check "a call in other hours reaches the night menu" call night hours-other hear bye
check "... enters menu 'night'" logged "ivr: enters menu 'night'"
check "... the day menu's greeting was heard" heard day welcome
check "... and the night menu's" heard night hold
check "... a caller who hangs up in a menu leaves it" logged "the caller hung up in menu 'night'"

# A reload while a caller is in a menu: the new plan renames the menu and sends its 1
# elsewhere; the caller inside finishes in the old menu, the next one gets the new.
SIP_PEER_RECORD=$TMP/inside.json timeout 90 python3 "$PEER" call "$PORT" "$(free_port)" \
	$((61000 + (RANDOM % 500) * 2)) reload hear quiet:4 rfc4733:1 wait >"$TMP/inside.out" 2>&1 &
INSIDE=$!
PIDS+=("$INSIDE")
check "a caller is in menu 'r'" logged "ivr: enters menu 'r'"
sed -e 's|name="r" |name="r2" |' -e 's|data="r"|data="r2"|' -e 's|2001 XML public|2005 XML public|' \
	"$TMP/plan.xml" >"$TMP/plan.new" && mv "$TMP/plan.new" "$TMP/plan.xml"
check "the plan is reloaded: menu 'r' is now 'r2', whose 1 leads to 2005" cli reload
check "... ivr list shows the new menus" bash -c "'$CLI' --socket '$iv_SOCK' ivr list | grep -qE '^r2 ' &&
	! '$CLI' --socket '$iv_SOCK' ivr list | grep -qE '^r '"
check "the caller inside keys 1 after the reload" wait "$INSIDE"
check "... and lands where the menu it entered said: 2001" logged "RESULT landed 2001"
check "the next caller keys 1" call after reload hear rfc4733:1 wait
check "... in the new menu 'r2'" logged "ivr: enters menu 'r2'"
check "... and lands on 2005" logged "RESULT landed 2005"

check "no call is left, and no caller in a menu" bash -c "'$CLI' --socket '$iv_SOCK' calls | grep -q '(none)'"
check "mod_ivr logged no warning" lacks "warning +\[ivr\]" cat "$TMP/iv.log"

# The daemon stops while one caller waits in a menu and another's entry runs an
# application for the menu: both calls end, the module unloads, nothing is left (the
# sanitizers' build counts leaks in the exit status).
for who in waits runs; do
	keys=quiet:30
	[ $who = runs ] && keys="hear rfc4733:1 quiet:30"
	timeout 60 python3 "$PEER" call "$PORT" "$(free_port)" $((61000 + (RANDOM % 500) * 2)) \
		stay $keys >"$TMP/$who.out" 2>&1 &
	PIDS+=("$!")
done
check "two callers are in menu 'stay', one running an application" \
	until_ok 15 bash -c "[ \$(grep -c \"enters menu 'stay'\" '$TMP/iv.log') -eq 2 ] &&
	grep -q \"menu 'stay' runs sleep(30000)\" '$TMP/iv.log'"
stop_crossbar iv
check "... the module unloaded after their calls ended" grep -q "module ivr unloaded" "$TMP/iv.log"
done_testing
