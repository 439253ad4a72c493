#!/bin/bash
# daemon.sh: the daemon's life on loopback: start, answer crossbar-cli (text and JSON),
# reload by command and by SIGHUP (a bad file is refused and the old one stays), refuse a
# second daemon on the same data folder or SIP port, shut down by command and by SIGTERM.
. "$(dirname "$0")/lib.sh"

crossbar_names main
PORT=$main_PORT
DATA=$main_DATA
SOCK=$main_SOCK
CONF=$TMP/crossbar.xml
cat >"$CONF" <<XML
<?xml version="1.0"?>
<crossbar>
  <core>
    <param name="data_dir" value="$DATA"/>
    <param name="log_level" value="info"/>
  </core>
  <sip>
    <param name="listen" value="udp:127.0.0.1:$PORT,tcp:127.0.0.1:$PORT"/>
  </sip>
</crossbar>
XML

check "crossbar --check-config accepts the file" "$CROSSBAR" --config "$CONF" --check-config
check "the daemon starts and its control socket answers" start_crossbar main - --config "$CONF"
check "status answers" bash -c "'$CLI' --socket '$SOCK' status | grep -E '^version +0\\.1\\.0'"
check "status --json is JSON with ok:true" bash -c "'$CLI' --socket '$SOCK' --json status | grep -q '^{\"ok\":true,\"record\":{\"version\"'"
check "the control socket is mode 0600" test "$(stat -c %a "$SOCK")" = 600
check "modules lists sip as loaded" bash -c "'$CLI' --socket '$SOCK' modules | grep -E '^sip +[^ ]+ +loaded'"
check "sip listens on the configured UDP port" bash -c "ss -Hlun | grep -q '127.0.0.1:$PORT'"
check "sip listens on the configured TCP port" bash -c "ss -Hltn | grep -q '127.0.0.1:$PORT'"
check "help lists the commands" bash -c "'$CLI' --socket '$SOCK' help | grep -q '^shutdown'"
expect_exit 1 "unknown command 'frobnicate'" "an unknown command is refused" "$CLI" --socket "$SOCK" frobnicate
check "app exec runs an application" bash -c "'$CLI' --socket '$SOCK' app exec set greeting=hello | grep -E '^var.greeting +hello'"
check "reload succeeds" bash -c "'$CLI' --socket '$SOCK' reload | grep -q 'configuration reloaded'"

# A broken file is refused with its line; the daemon keeps running on the old one.
cp "$CONF" "$CONF.good"
sed -i 's|<param name="log_level" value="info"/>|<param name="log_level" value="loud"/>|' "$CONF"
expect_exit 1 "crossbar.xml:5: core.log_level: 'loud' is not one of" "reload of a bad file is refused with file and line" "$CLI" --socket "$SOCK" reload
check "the daemon still answers after a refused reload" "$CLI" --socket "$SOCK" status
echo "<crossbar><core>" >"$CONF"
kill -HUP "$main_PID"
sleep 0.5
check "SIGHUP with a malformed file is refused and logged" grep -q "reload refused" "$TMP/main.log"
check "the daemon still answers after SIGHUP with a bad file" "$CLI" --socket "$SOCK" status
cp "$CONF.good" "$CONF"
kill -HUP "$main_PID"
sleep 0.5
check "SIGHUP reloads a good file" bash -c "grep -c 'configuration reloaded' '$TMP/main.log' | grep -qx 2"

# A second daemon on the same data folder, or on the same SIP port, is refused.
expect_exit 1 "control socket .* is in use" "a second daemon on the same data folder is refused" \
	"$CROSSBAR" --config "$CONF" --set sip.listen=udp:127.0.0.1:$(free_port)
expect_exit 1 "sip.listen: cannot listen on udp:127.0.0.1:$PORT" "a SIP port in use is refused" \
	"$CROSSBAR" --set core.data_dir="$TMP/data2" --set sip.listen=udp:127.0.0.1:$PORT

check "shutdown answers" bash -c "'$CLI' --socket '$SOCK' shutdown | grep -q 'shutting down'"
stop_crossbar main
check "the control socket is removed on exit" test ! -e "$SOCK"
check "modules were unloaded on the way out" grep -q "module sip unloaded" "$TMP/main.log"
expect_exit 3 "is the daemon running" "crossbar-cli says so when no daemon runs" "$CLI" --socket "$SOCK" status

# SIGTERM stops it cleanly too; with no data_dir it uses ./var under the working folder.
mkdir -p "$TMP/cwd"
cd "$TMP/cwd" || exit 1
term_DATA=$TMP/cwd/var
CROSSBAR_DEFAULT_DATA=1 check "the daemon starts on built-in defaults with ./var" start_crossbar term sip
check "./var holds the database" test -f "$TMP/cwd/var/crossbar.db"
check "crossbar-cli finds ./var/crossbar.sock by default" "$CLI" status
stop_crossbar term TERM
check "SIGTERM is logged" grep -q "received SIGTERM, shutting down" "$TMP/term.log"
done_testing
