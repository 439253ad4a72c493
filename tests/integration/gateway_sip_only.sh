#!/bin/bash
# gateway_sip_only.sh: carrier trunks belong to mod_sip, so a daemon that loads only mod_sip
# reads <gateways>, registers to the trunk (here a second crossbar as the carrier, with its
# registrar; digest per RFC 3261 §22), shows it in `crossbar-cli gateways`, refuses a bad
# <gateways> as mod_sip's, and unregisters at shutdown (§10.2.2, Expires: 0).
. "$(dirname "$0")/lib.sh"
# Wide enough that crossbar-cli keeps each row of a table on one line.
export COLUMNS=250

PORT=$(free_port)
CPORT=$(free_port)
while [ "$CPORT" = "$PORT" ]; do CPORT=$(free_port); done
CDATA=$TMP/carrier
DATA=$TMP/data

SOCK=$CDATA/crossbar.sock
carrier_DATA=$CDATA carrier_PORT=$CPORT
check "the carrier (crossbar with its registrar) starts" start_crossbar carrier sip,registrar \
	--set sip.listen=udp:127.0.0.1:$CPORT --set directory.realm=carrier.test \
	--set directory.demo_users=no
"$CLI" --socket "$CDATA/crossbar.sock" user add 4000 --password trunk-pw-4000 >/dev/null

cat >"$TMP/crossbar.xml" <<XML
<?xml version="1.0"?>
<crossbar>
  <gateways>
    <gateway name="carrier">
      <param name="proxy" value="127.0.0.1:$CPORT"/>
      <param name="username" value="4000"/>
      <param name="password" value="trunk-pw-4000"/>
      <param name="from_domain" value="carrier.test"/>
      <param name="register" value="yes"/>
      <param name="expiry" value="600"/>
    </gateway>
  </gateways>
</crossbar>
XML
SOCK=$DATA/crossbar.sock
pbx_DATA=$DATA pbx_PORT=$PORT
check "a daemon with mod_sip alone starts with a gateway" start_crossbar pbx sip \
	--config "$TMP/crossbar.xml" --set sip.listen=udp:127.0.0.1:$PORT
check "mod_registrar is not loaded" lacks registrar "$CLI" --socket "$SOCK" modules
check "the gateway registers" until_ok 5 bash -c \
	"'$CLI' --socket '$SOCK' gateways carrier | grep -E '^carrier .* registered'"
check "... and the carrier holds its contact" until_ok 3 bash -c \
	"'$CLI' --socket '$CDATA/crossbar.sock' registrations 4000 | grep -q 'sip:4000@127.0.0.1:$PORT'"

stop_crossbar pbx
check "the unregistration reached the carrier" until_ok 3 \
	lacks 'sip:4000@' "$CLI" --socket "$CDATA/crossbar.sock" registrations 4000

printf '<?xml version="1.0"?>\n<crossbar>\n<gateways>\n<gateway name="x">\n<param name="proxy" value="bad host!"/>\n</gateway>\n</gateways>\n</crossbar>\n' >"$TMP/bad.xml"
expect_exit 2 "module 'sip': .*bad.xml:4: gateway 'x': proxy 'bad host!' is not a host name" \
	"a bad <gateways> is refused by mod_sip (--check-config)" \
	"$CROSSBAR" --config "$TMP/bad.xml" --set core.modules=sip --check-config
done_testing
