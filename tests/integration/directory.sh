#!/bin/bash
# directory.sh: the directory of users: demo users with passwords shown
# once on a first start; crossbar-cli user add|set|del|list with every bad input refused;
# only digest HA1 values stored (MD5 and SHA-256), never the password; users seeded from
# <directory> and removed again when the file drops them.
. "$(dirname "$0")/lib.sh"

require_tools sqlite3

cli() { "$CLI" --socket "$SOCK" "$@"; }

check "the daemon starts with the registrar" start_crossbar dir sip,registrar --set registrar.realm=pbx.test
DATA=$dir_DATA
check "five demo users are created on a first start" bash -c "[ \$(grep -c 'demo user 10.*: password' '$TMP/dir.log') -eq 5 ]"
check "user list shows them" bash -c "'$CLI' --socket '$SOCK' user list | grep -cE '^100[0-4] ' | grep -qx 5"
demo_pw=$(sed -n 's/.*demo user 1000: password \([^ ,]*\),.*/\1/p' "$TMP/dir.log")
stop_crossbar dir
check "the daemon starts again on the same data" start_crossbar dir sip,registrar --set registrar.realm=pbx.test
check "demo passwords are shown only once" bash -c "! grep -q 'demo user' '$TMP/dir.log'"

check "user add" bash -c "'$CLI' --socket '$SOCK' user add 2000 --password s3cret-pw --name 'Alice Smith' --pin 1234 --email alice@example.test | grep -q 'user 2000 added'"
check "user list shows the new user with her name and PIN flag" bash -c "COLUMNS=120 '$CLI' --socket '$SOCK' user list | grep -E '^2000 +Alice Smith +default +2000 +alice@example.test +3 +yes +no +cli'"
check "user list --json" bash -c "'$CLI' --socket '$SOCK' --json user list | grep -q '{\"ext\":\"2000\",\"name\":\"Alice Smith\"'"
expect_exit 1 "user 2000 already exists" "adding a taken extension is refused" cli user add 2000 --password another1
expect_exit 1 "user add needs --password" "adding without a password is refused" cli user add 2001
expect_exit 1 "'20 01' is not a valid extension|not a valid extension" "a bad extension is refused" cli user add "bad/ext" --password abcd1234
expect_exit 1 "the PIN must be digits only" "a bad PIN is refused" cli user add 2002 --password abcd1234 --pin 12ab
expect_exit 1 "unknown option '--pasword'" "a misspelt option is refused" cli user add 2003 --pasword abcd1234
expect_exit 1 "option --name needs a value" "an option without value is refused" cli user set 2000 --name
expect_exit 1 "no user 9999" "changing an unknown user is refused" cli user set 9999 --name Nobody
check "user set changes a field" bash -c "'$CLI' --socket '$SOCK' user set 2000 --name 'Alice Jones' && '$CLI' --socket '$SOCK' user list | grep -q '^2000 *Alice Jones'"

# Only digests are stored: HA1 = H(ext:realm:password), MD5 and SHA-256.
md5=$(printf '2000:pbx.test:s3cret-pw' | md5sum | cut -d' ' -f1)
sha=$(printf '2000:pbx.test:s3cret-pw' | sha256sum | cut -d' ' -f1)
check "the MD5 HA1 is stored" bash -c "[ \"\$(sqlite3 '$DATA/crossbar.db' \"SELECT ha1_md5 FROM users WHERE ext='2000'\")\" = $md5 ]"
check "the SHA-256 HA1 is stored" bash -c "[ \"\$(sqlite3 '$DATA/crossbar.db' \"SELECT ha1_sha256 FROM users WHERE ext='2000'\")\" = $sha ]"
check "the password itself is stored nowhere" bash -c "sqlite3 '$DATA/crossbar.db' .dump | (! grep -q 's3cret-pw') && (! grep -qa 's3cret-pw' '$DATA'/crossbar.db*)"
check "the demo user's password is not stored either" bash -c "[ -n '$demo_pw' ] && (! grep -qa '$demo_pw' '$DATA'/crossbar.db*)"
check "the PIN is stored salted and hashed" bash -c "[ \"\$(sqlite3 '$DATA/crossbar.db' \"SELECT length(pin_hash) FROM users WHERE ext='2000'\")\" = 64 ]"

check "user del" bash -c "'$CLI' --socket '$SOCK' user del 2000 | grep -q 'user 2000 deleted'"
expect_exit 1 "no user 2000" "deleting an unknown user is refused" cli user del 2000
stop_crossbar dir

# Users from <directory>: added at start, removed at reload when the file drops them.
CONF=$TMP/crossbar.xml
crossbar_names conf
write_conf() {
	cat >"$CONF" <<XML
<?xml version="1.0"?>
<crossbar>
  <core><param name="modules" value="sip,registrar"/><param name="data_dir" value="$conf_DATA"/></core>
  <sip><param name="listen" value="udp:127.0.0.1:$conf_PORT"/></sip>
  <registrar><param name="realm" value="pbx.test"/></registrar>
  <directory>
    $1
  </directory>
</crossbar>
XML
}
write_conf '<user id="3000" password="pw-3000" name="Carol" pin="4321" max_contacts="2"/><user id="3001" password="pw-3001"/>'
check "the daemon starts with a <directory>" start_crossbar conf - --config "$CONF"
check "no demo users when the file has a directory" bash -c "! grep -q 'demo user' '$TMP/conf.log'"
check "the file's users are in the directory" bash -c "'$CLI' --socket '$SOCK' user list | grep -E '^3000 +Carol +default +3000|^3000 +Carol' && '$CLI' --socket '$SOCK' user list | grep -q '^3001 '"
check "their source is config" bash -c "'$CLI' --socket '$SOCK' user list | grep -E '^3000 .* 2 +yes +no +config'"
write_conf '<user id="3000" password="pw-3000" name="Carol"/>'
check "reload" "$CLI" --socket "$SOCK" reload
sleep 0.3
check "a user the file dropped is removed at reload" lacks '^3001 ' "$CLI" --socket "$SOCK" user list
check "a user the file keeps stays" bash -c "'$CLI' --socket '$SOCK' user list | grep -q '^3000 '"
done_testing
