#!/bin/bash
# cli_width.sh: crossbar-cli's text fits an 80-column terminal. A daemon with sip, registrar
# and turn holds long values in every table (a user with a long name and e-mail address, a
# binding with a long contact and User-Agent, a TURN allocation, a gateway that fails with a
# long error); every line of `help`, of `help COMMAND` for each command, and of every
# command that lists or reports is at most 80 characters, and no cell is cut.
. "$(dirname "$0")/lib.sh"

require_tools sipp turnutils_uclient turnutils_peer # Debian packages sip-tester, coturn

PORT=$(free_port)
TURN_PORT=$(free_port)
PEER=$(free_port)
DATA=$TMP/data
SOCK=$DATA/crossbar.sock
unset COLUMNS # the client's width: 80 when not on a terminal
cli() { "$CLI" --socket "$SOCK" "$@"; }

cat >"$TMP/crossbar.xml" <<XML
<?xml version="1.0"?>
<crossbar>
  <gateways>
    <gateway name="carrier-with-a-rather-long-name">
      <param name="proxy" value="127.0.0.1:$(free_port)"/>
      <param name="transport" value="udp"/>
      <param name="username" value="trunk-account-0123456789"/>
      <param name="password" value="trunk-pw"/>
      <param name="register" value="yes"/>
      <param name="expiry" value="60"/>
      <param name="retry_interval" value="1"/>
    </gateway>
  </gateways>
</crossbar>
XML

turnutils_peer -L 127.0.0.1 -p "$PEER" >"$TMP/peer.log" 2>&1 &
PIDS+=("$!")
main_DATA=$DATA main_PORT=$PORT main_TURN=$TURN_PORT
check "the daemon starts with sip, registrar and turn" start_crossbar main sip,registrar,turn \
	--config "$TMP/crossbar.xml" --set core.log_level=info \
	--set sip.listen=udp:127.0.0.1:$PORT --set registrar.realm=pbx.test \
	--set "turn.listen=udp:127.0.0.1:$TURN_PORT" --set turn.allow_loopback_peers=true \
	--set turn.users=alice-with-a-long-turn-name:wonderland

LONG_NAME="Bartholomew Alexander Fitzgerald-Montgomery the Third of Somewhere Rather Far"
check "user add with long values" cli user add 2000 --password pw-2000-secret \
	--name "$LONG_NAME" --email bartholomew.alexander.fitzgerald-montgomery@example.test \
	--caller-id "+44 20 7946 0000 extension two thousand"

# One REGISTER with a long contact and User-Agent, written into the scenario: SIPp 3.6 does
# not expand [fieldN] inside [authentication], and the contact's ';' would split a field.
CONTACT="<sip:2000@127.0.0.1:6001;transport=udp;line=0123456789abcdef0123456789abcdef>"
printf 'SEQUENTIAL\n2000;pw-2000-secret;-;600;2000;\n' >"$TMP/reg.csv"
sed -e 's|\[authentication username=\[field0\] password=\[field1\]\]|[authentication username=2000 password=pw-2000-secret]|' \
	-e "s|Contact: \\[field2\\]|User-Agent: A Very Long User Agent String/12.34.56 (x86_64; Linux; build 7)\\n      Contact: $CONTACT|" \
	"$SRC/tests/integration/sipp/reg_ok.xml" >"$TMP/reg.xml"
check "a long contact registers" timeout 20 sipp -sf "$TMP/reg.xml" -inf "$TMP/reg.csv" -m 1 -l 1 \
	-i 127.0.0.1 -p "$(free_port)" -timeout 10 -timeout_error 127.0.0.1:$PORT
check "... and is listed" bash -c "'$CLI' --socket '$SOCK' --json registrations 2000 | grep -q 'line=0123456789abcdef'"

# A TURN allocation that outlives its client (no refresh to zero): a row in `turn`.
timeout 20 turnutils_uclient -p "$TURN_PORT" -r "$PEER" -e 127.0.0.1 -u alice-with-a-long-turn-name \
	-w wonderland -c -m 1 -n 5 -l 160 127.0.0.1 >"$TMP/uclient.log" 2>&1
check "a TURN allocation is listed" bash -c "'$CLI' --socket '$SOCK' --json turn | grep -q alice-with-a-long-turn-name"

# fits WORDS...: the command succeeds and none of its lines is over 80 characters.
fits() {
	local out=$TMP/fits.out
	cli "$@" >"$out" 2>&1 || { cat "$out"; return 1; }
	[ -s "$out" ] || { echo "no output"; return 1; }
	LC_ALL=C.UTF-8 awk 'length($0) > 80 { print "line " NR " has " length($0) " characters: " $0; bad = 1 } END { exit bad }' "$out"
}
check "help fits 80 columns" fits help
check "help user add fits and shows the whole usage" bash -c "'$CLI' --socket '$SOCK' help user add | grep -q -- '--turn-password T'"
check "help user lists the user commands" bash -c "'$CLI' --socket '$SOCK' help user | grep -q '^user list'"
expect_exit 1 "no command 'frobnicate'" "help of an unknown command is refused" cli help frobnicate
for c in $(cli --json help | grep -o '"command":"[^"]*"' | cut -d'"' -f4 | tr ' ' '+'); do
	check "help ${c//+/ } fits 80 columns" fits help ${c//+/ }
done
for c in status modules apps gateways registrations "user list" "user features" calls "sip status" "sip calls" turn \
	"turn stats"; do
	# shellcheck disable=SC2086
	check "$c fits 80 columns" fits $c
done
check "the long name is printed whole (wrapped at a space)" \
	bash -c "'$CLI' --socket '$SOCK' user list | tr -s ' \\n' ' ' | grep -qF '$LONG_NAME'"
check "the long e-mail address is printed whole" \
	bash -c "'$CLI' --socket '$SOCK' user list | grep -qF 'bartholomew.alexander.fitzgerald-montgomery@example.test'"
check "the long contact is printed whole (a line of its own)" \
	bash -c "'$CLI' --socket '$SOCK' registrations | grep -qF '${CONTACT:1:-1}'"
check "a wider terminal (COLUMNS=250) keeps one line per row" \
	bash -c "COLUMNS=250 '$CLI' --socket '$SOCK' user list | grep -E '^2000 +$LONG_NAME +default'"
done_testing
