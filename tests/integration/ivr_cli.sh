#!/bin/bash
# ivr_cli.sh: the menus as operators see them, on the shipped plan (dialplans/default.xml)
# and the README's example:
# `ivr list` (text and --json), `ivr test MENU KEYS...` (where keys lead without a call:
# dial by extension, the operator, voicemail, invalid keys and timeouts up to max-failures,
# a transfer followed into the plan) and its refusals; and menu files refused with their
# file and line: by --check-config (exit 2), at start (exit 2) and at reload (refused, the
# running menus stay): an unknown action, an unknown sub-menu, a missing prompt file, menus
# that trap their callers, an `ivr` action naming no menu.
. "$(dirname "$0")/lib.sh"

export COLUMNS=250
crossbar_names ic
DEFAULT=$SRC/dialplans/default.xml
PLAN=$TMP/plan.xml
cp "$DEFAULT" "$PLAN"
cli() { "$CLI" --socket "$ic_SOCK" "$@"; }
# has PATTERN COMMAND...: the command succeeds and a line of its output matches PATTERN.
has() {
	local pattern=$1 out
	shift
	out=$("$@") || {
		echo "failed: $*"
		echo "$out"
		return 1
	}
	grep -Eq -- "$pattern" <<<"$out" && return 0
	echo "$out"
	return 1
}
# lineof FILE TEXT: the first line of FILE holding TEXT.
lineof() { grep -nF -- "$2" "$1" | head -1 | cut -d: -f1; }
# (libxml2 gives an element the line where its start tag ends)
MENU_LINE=$(lineof "$PLAN" 'digit-len="4">')
MENUS_LINE=$(grep -n '^  <menus>$' "$PLAN" | cut -d: -f1)
CHECK=(--set core.data_dir="$TMP/chk")

check "--check-config compiles the shipped menus with mod_ivr" \
	has "default.xml:$MENUS_LINE: <menus> checked by module ivr" \
	"$CROSSBAR" "${CHECK[@]}" --set core.modules=ivr --check-config
check "... and says they are mod_ivr's when it is not in core.modules" \
	has "default.xml:$MENUS_LINE: <menus> comes with mod_ivr \(not checked\)" \
	"$CROSSBAR" "${CHECK[@]}" --set core.modules= --check-config
check "mod_ivr is one of the default modules" has "'ivr' comes with module ivr" \
	"$CROSSBAR" "${CHECK[@]}" --check-config

# The README's example plan, with its own prompts made up: it compiles.
mkdir -p "$TMP/sounds"
sed -n '/^### IVR menus/,/^### /p' "$SRC/README.md" | sed -n '/^```xml$/,/^```$/p' | sed '1d;$d' \
	>"$TMP/readme.xml"
for name in $(grep -oE '"acme-[a-z-]+"' "$TMP/readme.xml" | tr -d '"' | sort -u) ivr-invalid \
	ivr-no-entry goodbye; do
	cp "$BUILD/sounds/welcome.wav" "$TMP/sounds/$name.wav"
done
check "the README's example plan compiles, menus and all" \
	has "readme.xml:[0-9]+: <menus> checked by module ivr" \
	"$CROSSBAR" "${CHECK[@]}" --set core.modules=ivr --set media.sounds_dir="$TMP/sounds" \
	--set dialplan.file="$TMP/readme.xml" --check-config

check "the daemon starts on the shipped plan" start_crossbar ic sip,ivr \
	--set dialplan.file="$PLAN" --set directory.demo_users=no
check "help lists the ivr commands" has "^ivr test +MENU \[KEYS\]" cli help ivr
check "ivr list: the main menu, where it is, its entries and greeting" \
	has "^main +plan.xml:$MENU_LINE +4 +ivr-main +8000 +3$" cli ivr list
check "... under its header" has "^MENU +WHERE +ENTRIES +GREETING +TIMEOUT_MS +MAX_FAILURES$" cli ivr list
check "... --json has every setting" has '"inter_digit_ms": ?3000.*"max_timeouts": ?3.*"digit_len": ?4' \
	bash -c "'$CLI' --socket '$ic_SOCK' --json ivr list | tr -d '\n'"

# ivr test: dial by extension, the operators, voicemail.
check "ivr test main 1005: dial by extension, into the plan's local-extensions" \
	has "^result +transfer to 1005 in context default: extension local-extensions \(bridge user/1005\)$" \
	cli ivr test main 1005
check "... step by step: the greeting, then the entry and its line" \
	has "^2 +main +1005 +menu-transfer \\\$1 XML default \(line $(lineof "$PLAN" 'digits="/^(10[01][0-9])$/"')\): transfer to 1005" \
	cli ivr test main 1005
check "... the greeting the caller hears first" has "^1 +main +enters menu 'main' +ivr-main$" \
	cli ivr test main 1005
check "ivr test main 0: the operators' extension 0" \
	has "^result +transfer to 0 in context default: extension operator" cli ivr test main 0
check "ivr test main 9: voicemail, *98" \
	has "^result +transfer to \*98 in context default: extension voicemail-any \(answer\)$" \
	cli ivr test main 9
check "ivr test main 1050: no such extension is a failure" \
	has "^2 +main +105 +not a valid choice \(failure 1 of 3\): again in menu 'main' +ivr-invalid ivr-main-short$" \
	cli ivr test main 1050
check "7, a timeout, 8, then 1 and a pause: three failures end the menu" \
	has "^result +left the menus \(max-failures\)$" cli ivr test main 7 - 8 1
check "... the timeout played the timeout-sound, the last failure the exit-sound" bash -c "
	'$CLI' --socket '$ic_SOCK' ivr test main 7 - 8 1 | grep -E '^3 +main +- +no key \(timeout 1 of 3\): again in menu .main. +ivr-no-entry ivr-main-short$' &&
	'$CLI' --socket '$ic_SOCK' ivr test main 7 - 8 1 | grep -E '^5 +main +1 +not a valid choice \(failure 3 of 3\): leaves the menus \(max-failures\).* +ivr-invalid goodbye$'"
check "* starts the menu again (menu-top)" has "^2 +main +\* +menu-top \(line [0-9]+\): enters menu 'main' +ivr-main$" \
	cli ivr test main '*'
check "keys after the caller left are shown as not heard" has "^unheard +123$" cli ivr test main 9 123
check "--context names the caller's context for a transfer without one" \
	has "^result +transfer to 1005 in context default" cli ivr test main 1005 --context public
expect_exit 1 "no menu 'nosuch' in the dialplan" "ivr test of a menu that is not there is refused" \
	cli ivr test nosuch 1
expect_exit 1 "'x' is not a key" "a key that is not one is refused" cli ivr test main 1x
expect_exit 1 "usage: ivr test MENU" "ivr test needs a menu" cli ivr test

# Broken menus: --check-config and the start refuse them with file and line; a reload
# refuses them and the running menus stay.
# broken NAME SED: the shipped plan with one change, as $TMP/NAME.xml.
broken() { sed "$2" "$DEFAULT" >"$TMP/$1.xml"; }
# refused NAME PATTERN DESCRIPTION: --check-config and a start on it exit 2 with PATTERN,
# and a reload to it is refused with it.
refused() {
	local name=$1 pattern=$2 desc=$3
	expect_exit 2 "$name.xml:$pattern" "--check-config refuses $desc" \
		"$CROSSBAR" "${CHECK[@]}" --set core.modules=ivr --set dialplan.file="$TMP/$name.xml" --check-config
	expect_exit 2 "$name.xml:$pattern" "... so does the start" \
		"$CROSSBAR" --set core.data_dir="$TMP/start" --set core.modules=ivr \
		--set dialplan.file="$TMP/$name.xml"
	cp "$TMP/$name.xml" "$PLAN"
	expect_exit 1 "plan.xml:$pattern" "... and a reload" cli reload
	cp "$DEFAULT" "$PLAN"
}
broken action 's|action="menu-top"|action="menu-topp"|'
refused action "$(lineof "$TMP/action.xml" menu-topp): unknown action 'menu-topp'" "an unknown action"
broken sub 's|<entry action="menu-top" digits="\*"/>|<entry action="menu-sub" digits="*" param="sales"/>|'
refused sub "$(lineof "$TMP/sub.xml" 'param="sales"'): menu-sub: unknown sub-menu 'sales'" "an unknown sub-menu"
broken file 's|greet-short="ivr-main-short"|greet-short="ivr-mian-short"|'
refused file "$MENU_LINE: greet-short=\"ivr-mian-short\": no such sound file \(.*sounds/ivr-mian-short.wav\)" \
	"a prompt file that does not exist"
broken trap 's|<entry action="menu-top" digits="\*"/>|<entry action="menu-sub" digits="*" param="trap"/></menu><menu name="trap" greet-long="ivr-main"><entry action="menu-sub" digits="1" param="trap2"/></menu><menu name="trap2" greet-long="ivr-main"><entry action="menu-sub" digits="1" param="trap"/>|'
refused trap "$(lineof "$TMP/trap.xml" 'param="trap"'): menu 'trap' has no way out" "menus that lead only to each other"
broken named 's|<action application="ivr" data="main"/>|<action application="ivr" data="mian"/>|'
refused named "$(lineof "$TMP/named.xml" 'data="mian"'): ivr: no menu 'mian' in <menus> \(line $MENUS_LINE\)" \
	"an ivr action that names no menu"
check "after the refused reloads the running menus stay" has "^main +plan.xml:$MENU_LINE " cli ivr list
check "... and so does what they do" has "^result +transfer to 1005" cli ivr test main 1005
check "a good reload goes through" has "configuration reloaded" cli reload
stop_crossbar ic
done_testing
