#!/bin/bash
# tcp_limits.sh: one source cannot take every connection slot or buffer. Connections per
# source are capped (sip.tcp_max_per_source), an accepted connection must finish its TLS
# handshake and bring a whole message in time (sip.tls_handshake_timeout,
# sip.tcp_first_message_timeout), octets that make no message do not keep a connection open
# (sip.tcp_idle_timeout), and the partial messages of all connections together are bounded
# (sip.tcp_max_buffered); others still get in.
. "$(dirname "$0")/../integration/lib.sh"

require_tools openssl python3

crossbar_names lim
PORT=$lim_PORT
TLSPORT=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj /CN=localhost >/dev/null 2>&1
check "the daemon starts with tight connection limits" start_crossbar lim sip,registrar \
	--set sip.listen=udp:127.0.0.1:$PORT,tcp:127.0.0.1:$PORT,tls:127.0.0.1:$TLSPORT \
	--set sip.tls_certificate="$TMP/cert.pem" --set sip.tls_key="$TMP/key.pem" \
	--set sip.tcp_max_per_source=20 --set sip.tcp_first_message_timeout=2 \
	--set sip.tls_handshake_timeout=2 --set sip.tcp_idle_timeout=5 \
	--set sip.tcp_max_buffered=1024

for c in per-source handshake trickle budget; do
	PYTHONPATH=$SRC/tests/security timeout 120 python3 "$SRC/tests/security/tcp_limits.py" \
		"$PORT" "$TLSPORT" $c >"$TMP/$c.out" 2>&1
	while read -r line; do
		case "$line" in
		"ok "*) ok "$c: ${line#ok }" ;;
		"not ok "*) not_ok "$c: ${line#not ok }" ;;
		*) echo "# $line" ;;
		esac
	done <"$TMP/$c.out"
done
check "the per-source limit was logged once" test "$(grep -c 'sip.tcp_max_per_source' "$TMP/lim.log")" -eq 1
check "the buffer budget was logged" grep -q 'sip.tcp_max_buffered' "$TMP/lim.log"
check "the daemon still answers crossbar-cli" "$CLI" --socket "$SOCK" status
done_testing
