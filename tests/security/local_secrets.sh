#!/bin/bash
# local_secrets.sh: crossbar.db holds password-equivalent digests, so it is created 0600 even
# in a data folder that already existed and was open to all, an older database that others
# could read is closed to them, and a data folder that others can read is warned about.
. "$(dirname "$0")/../integration/lib.sh"

main_DATA=$TMP/data
mkdir -m 0755 "$TMP/data"
check "the daemon starts in a data folder that existed, mode 0755" start_crossbar main sip,registrar \
	--set registrar.demo_users=no
"$CLI" --socket "$SOCK" user add 2000 --password secret-2000 >/dev/null
check "crossbar.db is 0600" test "$(stat -c %a "$TMP/data/crossbar.db")" = 600
check "its -wal file is 0600 too" bash -c "[ ! -e '$TMP/data/crossbar.db-wal' ] || [ \$(stat -c %a '$TMP/data/crossbar.db-wal') = 600 ]"
check "the control socket is 0600" test "$(stat -c %a "$SOCK")" = 600
check "the open data folder is warned about" grep -q "data folder $TMP/data (core.data_dir) is open to other users" "$TMP/main.log"
stop_crossbar main

chmod 0644 "$TMP/data/crossbar.db"
chmod 0700 "$TMP/data"
check "it starts again on a database that others could read" start_crossbar main sip,registrar \
	--set registrar.demo_users=no
check "... which is now 0600" test "$(stat -c %a "$TMP/data/crossbar.db")" = 600
check "... and a closed data folder is not warned about" bash -c "! grep -q 'open to other users' '$TMP/main.log'"
check "the user is still there" bash -c "'$CLI' --socket '$SOCK' user list | grep -q 2000"
done_testing
