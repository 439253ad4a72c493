#!/bin/bash
# local_secrets.sh: crossbar.db holds password-equivalent digests, so it is created 0600 even
# in a data folder that already existed and was open to all, an older database that others
# could read is closed to them, and a data folder that others can read is warned about.
. "$(dirname "$0")/../integration/lib.sh"

SOCK=$TMP/data/crossbar.sock
mkdir -m 0755 "$TMP/data"
check "the daemon starts in a data folder that existed, mode 0755" start_daemon main \
	--set core.modules=sip,registrar --set core.data_dir="$TMP/data" \
	--set sip.listen=udp:127.0.0.1:$(free_port) --set registrar.demo_users=no
"$CLI" --socket "$SOCK" user add 2000 --password secret-2000 >/dev/null
check "crossbar.db is 0600" test "$(stat -c %a "$TMP/data/crossbar.db")" = 600
check "its -wal file is 0600 too" bash -c "[ ! -e '$TMP/data/crossbar.db-wal' ] || [ \$(stat -c %a '$TMP/data/crossbar.db-wal') = 600 ]"
check "the control socket is 0600" test "$(stat -c %a "$SOCK")" = 600
check "the open data folder is warned about" grep -q "data folder $TMP/data (core.data_dir) is open to other users" "$TMP/main.log"
"$CLI" --socket "$SOCK" shutdown >/dev/null 2>&1
wait_exit "$main_PID" 10

chmod 0644 "$TMP/data/crossbar.db"
chmod 0700 "$TMP/data"
check "it starts again on a database that others could read" start_daemon again \
	--set core.modules=sip,registrar --set core.data_dir="$TMP/data" \
	--set sip.listen=udp:127.0.0.1:$(free_port) --set registrar.demo_users=no
check "... which is now 0600" test "$(stat -c %a "$TMP/data/crossbar.db")" = 600
check "... and a closed data folder is not warned about" bash -c "! grep -q 'open to other users' '$TMP/again.log'"
check "the user is still there" bash -c "'$CLI' --socket '$SOCK' user list | grep -q 2000"
done_testing
