#!/bin/bash
# directory_core.sh: the directory of users is the core's, so a daemon without mod_registrar
# (TURN only) has it: users seeded from <directory> and managed with `crossbar-cli user`,
# the directory's settings given as <param>s of <directory> and as directory.* (the older
# registrar.* names too), TURN long-term credentials from it, the shared limiter tuned by
# directory.ban_*, and a reload that reseeds the users.
. "$(dirname "$0")/lib.sh"
# Wide enough that crossbar-cli keeps each row of a table on one line.
export COLUMNS=250

PORT=$(free_port)
SOCK=$TMP/data/crossbar.sock
export PYTHONPATH="$SRC/tests/security"

conf() { # conf USER...: a file whose <directory> holds the settings and these users
	{
		echo '<?xml version="1.0"?>'
		echo '<crossbar>'
		echo '  <directory>'
		echo '    <param name="realm" value="turn.test"/>'
		echo '    <param name="ban_failures" value="3"/>'
		echo '    <param name="ban_time" value="120"/>'
		for u in "$@"; do echo "    <user id=\"$u\" password=\"pw-$u\" pin=\"1234\"/>"; done
		echo '  </directory>'
		echo '</crossbar>'
	} >"$TMP/crossbar.xml"
}
conf 3000

check "--check-config accepts the directory's settings without mod_registrar" \
	"$CROSSBAR" --config "$TMP/crossbar.xml" --set core.modules=turn --set core.data_dir="$TMP/chk" \
	--set directory.default_max_contacts=5 --set registrar.demo_users=no --check-config
expect_exit 2 "directory.ban_failures: 'many' is not a whole number" \
	"a bad directory setting is refused without mod_registrar" \
	"$CROSSBAR" --set core.modules=turn --set core.data_dir="$TMP/chk" \
	--set directory.ban_failures=many --check-config
expect_exit 2 "registrar.ban_time: 0 is out of range" "a bad value under the registrar.* name names it so" \
	"$CROSSBAR" --set core.modules=turn --set core.data_dir="$TMP/chk" \
	--set registrar.ban_time=0 --check-config

main_DATA=$TMP/data main_TURN=$PORT
check "a TURN-only daemon starts with the directory" start_crossbar main turn \
	--config "$TMP/crossbar.xml" --set turn.listen=udp:127.0.0.1:$PORT --set turn.relay_ports=47000-47999
check "mod_registrar is not loaded" lacks registrar "$CLI" --socket "$SOCK" modules
check "the user of <directory> is listed" bash -c \
	"'$CLI' --socket '$SOCK' user list | awk '\$1 == \"3000\" && /config/ {f=1} END {exit !f}'"
check "no demo users next to a <directory>" bash -c "! grep -q 'demo user' '$TMP/main.log'"
check "user add works without mod_registrar" "$CLI" --socket "$SOCK" user add 3001 --password pw-3001

py() { timeout 60 python3 -c "from attack import *
$1"; }
check "TURN takes the realm of the directory and a user's SIP password" py "
t = TurnClient($PORT, '127.0.0.1')
assert t.allocate('3000', 'pw-3000') == 0
assert t.realm == 'turn.test', t.realm"
check "... a user added with crossbar-cli too" py "
assert TurnClient($PORT, '127.0.0.1').allocate('3001', 'pw-3001') == 0"
check "directory.ban_failures (3) bans a guessing source without mod_registrar" py "
t = TurnClient($PORT, '127.0.0.6')
codes = [t.allocate('3000', 'guess%d' % i) for i in range(6)]
assert codes == [401, 401, 403, 403, 403, 403], codes"
check "... for directory.ban_time (120 s)" grep -q 'turn: 127.0.0.6 banned for 120 s' "$TMP/main.log"

conf 3002
check "reload" "$CLI" --socket "$SOCK" reload
check "a user the file dropped is gone after the reload" lacks '^3000 ' \
	env COLUMNS=1000 "$CLI" --socket "$SOCK" user list
check "... the new one is there, and the one from crossbar-cli stays" bash -c \
	"'$CLI' --socket '$SOCK' user list | awk '\$1 == \"3002\" || \$1 == \"3001\" {n++} END {exit n != 2}'"
check "... and relays" py "
assert TurnClient($PORT, '127.0.0.1').allocate('3002', 'pw-3002') == 0"
done_testing
