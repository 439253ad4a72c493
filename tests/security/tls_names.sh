#!/bin/bash
# tls_names.sh: outgoing TLS to a trunk checks the server's name, not only its chain (RFC 5922
# §7, RFC 6125). Both servers' certificates come from a CA the daemon trusts
# (sip.tls_ca_file); one names localhost and 127.0.0.1, the other only other.test. A trunk
# given as localhost registers to the first and sends SNI "localhost", and is refused by the
# second; a trunk given as 127.0.0.1 is checked against the certificate's IP address.
. "$(dirname "$0")/../integration/lib.sh"

require_tools openssl python3

crossbar_names xb
PORT=$xb_PORT
TLSPORT=$(free_port)
GOOD=$(free_port)
GOOD_IP=$(free_port)
WRONG=$(free_port)
cli() { "$CLI" --socket "$xb_SOCK" "$@"; }

# A CA and two server certificates it signs.
mkcert() { # NAME SAN
	openssl req -newkey rsa:2048 -nodes -keyout "$TMP/$1.key" -out "$TMP/$1.csr" \
		-subj "/CN=$1" >/dev/null 2>&1 &&
		openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
			-CAcreateserial -days 2 -out "$TMP/$1.pem" -extfile <(echo "subjectAltName=$2") \
			>/dev/null 2>&1
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 2 \
	-subj "/CN=crossbar test CA" >/dev/null 2>&1
check "test certificates are made" bash -c "$(declare -f mkcert); TMP='$TMP'; mkcert good 'DNS:localhost,IP:127.0.0.1' && mkcert wrong 'DNS:other.test' && mkcert self 'DNS:localhost'"

python3 "$SRC/tests/security/tls_server.py" "$TMP/server.log" \
	"$GOOD:$TMP/good.pem:$TMP/good.key" "$GOOD_IP:$TMP/good.pem:$TMP/good.key" "$WRONG:$TMP/wrong.pem:$TMP/wrong.key" \
	>"$TMP/tls_server.out" 2>&1 &
PIDS+=("$!")
listening() { for p in "$@"; do ss -Htln "( sport = :$p )" | grep -q . || return 1; done; }
for _ in $(seq 1 50); do listening "$GOOD" "$GOOD_IP" "$WRONG" && break; sleep 0.1; done

gw() { # NAME PROXY
	cat <<XML
    <gateway name="$1">
      <param name="proxy" value="$2"/>
      <param name="transport" value="tls"/>
      <param name="username" value="trunk"/>
      <param name="password" value="trunk-pw"/>
      <param name="register" value="yes"/>
      <param name="expiry" value="60"/>
      <param name="retry_interval" value="1"/>
    </gateway>
XML
}
{
	echo '<?xml version="1.0"?>'
	echo '<crossbar>'
	echo '  <gateways>'
	gw by_name "localhost:$GOOD"
	gw wrong_name "localhost:$WRONG"
	gw by_ip "127.0.0.1:$GOOD_IP"
	gw wrong_ip "127.0.0.1:$WRONG"
	echo '  </gateways>'
	echo '</crossbar>'
} >"$TMP/crossbar.xml"

check "the daemon starts with four TLS trunks" start_crossbar xb sip,registrar --config "$TMP/crossbar.xml" \
	--set registrar.demo_users=no \
	--set sip.listen=udp:127.0.0.1:$PORT,tls:127.0.0.1:$TLSPORT \
	--set sip.tls_certificate="$TMP/self.pem" --set sip.tls_key="$TMP/self.key" \
	--set sip.tls_ca_file="$TMP/ca.pem"

gw_is() { cli gateways "$1" | grep -Eq "^$1 .* $2"; }
wait_for() { for _ in $(seq 1 100); do "$@" && return 0; sleep 0.1; done; return 1; }
check "a trunk named localhost registers to the server whose certificate names it" \
	wait_for gw_is by_name registered
check "... and sent SNI localhost" grep -q "^$GOOD localhost REGISTER " "$TMP/server.log"
check "a trunk given as 127.0.0.1 registers to a certificate for IP 127.0.0.1" \
	wait_for gw_is by_ip registered
check "... and sent no SNI (RFC 6066 §3: no literal addresses)" grep -q "^$GOOD_IP - REGISTER " "$TMP/server.log"
sleep 2
check "a certificate for other.test does not pass for localhost" lacks registered cli gateways wrong_name
check "a certificate for other.test does not pass for 127.0.0.1" lacks registered cli gateways wrong_ip
check "no request reached the server with the wrong certificate" bash -c "! grep -q '^$WRONG .* REGISTER ' '$TMP/server.log'"
check "the log says why: the name did not match" grep -Eq "TLS to localhost \(127.0.0.1:$WRONG\) failed: .*(mismatch|host)" "$TMP/xb.log"
done_testing
