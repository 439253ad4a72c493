#!/bin/bash
# tcp_reset.sh: connections reset (SO_LINGER {1,0}) right after a CRLF keep-alive ping,
# half-way through a request and after a whole request, a thousand times each over TCP and
# TLS: a connection is never freed under the code reading it, so the daemon keeps answering.
. "$(dirname "$0")/../integration/lib.sh"

require_tools openssl python3

crossbar_names reset
PORT=$reset_PORT
TLSPORT=$(free_port)
COUNT=${RESET_COUNT:-1000}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj /CN=localhost >/dev/null 2>&1
check "the daemon starts with TCP and TLS listeners" start_crossbar reset sip,registrar \
	--set sip.listen=udp:127.0.0.1:$PORT,tcp:127.0.0.1:$PORT,tls:127.0.0.1:$TLSPORT \
	--set sip.tls_certificate="$TMP/cert.pem" --set sip.tls_key="$TMP/key.pem"
PYTHONPATH=$SRC/tests/security timeout 300 python3 "$SRC/tests/security/tcp_reset.py" \
	"$PORT" "$TLSPORT" "$COUNT" >"$TMP/reset.out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/reset.out"
if [ $rc -eq 0 ]; then ok "$COUNT resets of each kind over TCP and TLS, and the daemon answers after each kind"
else not_ok "resets over TCP and TLS (exit $rc)"; fi
check "the daemon is still running" kill -0 "$reset_PID"
check "crossbar-cli still answers" "$CLI" --socket "$SOCK" status
done_testing
