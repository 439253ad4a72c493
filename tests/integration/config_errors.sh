#!/bin/bash
# config_errors.sh: every bad input to the daemon's start gets one clear line and the
# documented exit code: 2 for a bad command line or configuration, 1 for a start-up failure
# (missing module, unusable data folder or database). Never a crash.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
LISTEN="--set sip.listen=udp:127.0.0.1:$PORT"
DATA="--set core.data_dir=$TMP/data"

one_line() { # the command's output is a single line
	[ "$(wc -l <"$TMP/expect.out")" -eq 1 ]
}

expect_exit 2 "unknown setting 'core.nonsense'" "an unknown --set setting exits 2" "$CROSSBAR" $DATA --set core.nonsense=1 --check-config
check "... in one line" one_line
expect_exit 2 "--set: core.log_level: 'shouty' is not one of" "a wrong value exits 2" "$CROSSBAR" --set core.log_level=shouty --check-config
expect_exit 2 "--set: media.rtp_ports: '30000' is not a range" "a wrong type exits 2" "$CROSSBAR" --set media.rtp_ports=30000 --check-config
expect_exit 2 "--set sip.listen: expected|sip.listen: 'udp:127.0.0.1' is not|port missing" "a bad listen address exits 2" "$CROSSBAR" --set sip.listen=udp:127.0.0.1 --check-config
expect_exit 2 "expected SECTION.NAME=VALUE" "a --set without = exits 2" "$CROSSBAR" --set core.data_dir --check-config
expect_exit 2 "Unknown option --frobnicate" "an unknown option exits 2" "$CROSSBAR" --frobnicate
expect_exit 2 "unknown section 'nosuch'" "an unknown section exits 2" "$CROSSBAR" --set nosuch.x=1 --check-config
expect_exit 2 "sip.listen: module 'sip' is not loaded \(add it to core.modules\)" \
	"a setting of an existing but unconfigured module exits 2" "$CROSSBAR" --set core.modules= --set sip.listen=udp:127.0.0.1:5060 --check-config

printf '<?xml version="1.0"?>\n<crossbar>\n  <core>\n    <param name="data_dir" value="x">\n  </core>\n</crossbar>\n' >"$TMP/malformed.xml"
expect_exit 2 "malformed.xml:5: Opening and ending tag mismatch" "a malformed file exits 2 naming file and line" "$CROSSBAR" --config "$TMP/malformed.xml"
check "... in one line" one_line
printf '<?xml version="1.0"?>\n<crossbar>\n  <core>\n    <param name="data_dir" value="x"/>\n\n    <param name="moduls" value="sip"/>\n  </core>\n</crossbar>\n' >"$TMP/unknown.xml"
expect_exit 2 "unknown.xml:6: unknown setting 'core.moduls'" "an unknown setting in a file names its line" "$CROSSBAR" --config "$TMP/unknown.xml" --check-config
printf '<?xml version="1.0"?>\n<crossbar>\n  <core>\n    <setting name="data_dir" value="x"/>\n  </core>\n</crossbar>\n' >"$TMP/schema.xml"
expect_exit 2 "schema.xml:3: Expecting element param, got setting \\(does not match the configuration schema\\)" "a file that breaks the schema names its line" "$CROSSBAR" --config "$TMP/schema.xml" --check-config
expect_exit 2 "nothere.xml: cannot read: No such file" "a missing file exits 2" "$CROSSBAR" --config "$TMP/nothere.xml"
printf '<?xml version="1.0"?>\n<crossbar>\n  <core><param name="log_level" value="debug"/></core>\n</crossbar>\n' >"$TMP/good.xml"
expect_exit 0 "configuration OK" "--check-config accepts a good file" "$CROSSBAR" --config "$TMP/good.xml" --check-config
expect_exit 0 "crossbar 0\\.1\\.0" "--version prints the version" "$CROSSBAR" --version

expect_exit 1 "module 'nosuch': mod_nosuch.so not found in" "a missing module exits 1 naming it" "$CROSSBAR" $DATA $LISTEN --set core.modules=sip,nosuch
expect_exit 0 "configuration OK" "a missing optional module is skipped" "$CROSSBAR" $DATA $LISTEN --set core.modules=sip,nosuch --set core.optional_modules=nosuch --check-config
# What only a module can check (its validate hook) is a configuration error too (exit 2),
# found by --check-config.
expect_exit 2 "module 'turn': .*turn.users" "a bad turn.users entry exits 2 under --check-config" \
	"$CROSSBAR" --set core.modules=sip,turn --set turn.users=nopassword --check-config
expect_exit 1 "sip.listen: tls:127.0.0.1:$PORT needs sip.tls_certificate" "a TLS listener without a certificate is refused" "$CROSSBAR" $DATA --set sip.listen=tls:127.0.0.1:$PORT

# An unusable data folder or database stops the start with the reason.
printf 'not a database, just some words that are long enough to matter...........\n' >"$TMP/bad.db"
mkdir -p "$TMP/corrupt"
cp "$TMP/bad.db" "$TMP/corrupt/crossbar.db"
expect_exit 1 "crossbar.db: .*not a crossbar database or is damaged" "a corrupt database exits 1 with the file" "$CROSSBAR" --set core.data_dir="$TMP/corrupt" $LISTEN
touch "$TMP/afile"
expect_exit 1 "data folder $TMP/afile/sub \(core.data_dir\): cannot create" "a data folder that cannot be made exits 1" "$CROSSBAR" --set core.data_dir="$TMP/afile/sub" $LISTEN
mkdir -p "$TMP/ro"
chmod 0755 "$TMP/ro" "$TMP"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	# root writes anywhere; run as nobody to meet a folder it may not write.
	expect_exit 1 "database $TMP/ro/crossbar.db: cannot open.*not writable" "an unwritable data folder exits 1" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$CROSSBAR" --set core.data_dir="$TMP/ro" $LISTEN
else
	chmod 0555 "$TMP/ro"
	expect_exit 1 "database $TMP/ro/crossbar.db: cannot open.*not writable" "an unwritable data folder exits 1" \
		"$CROSSBAR" --set core.data_dir="$TMP/ro" $LISTEN
fi
done_testing
