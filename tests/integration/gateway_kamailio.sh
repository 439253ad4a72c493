#!/bin/bash
# gateway_kamailio.sh: crossbar registering to carrier trunks, with mod_sip's UAC digest.
# A real Kamailio (registrar, usrloc, auth
# with auth_db on SQLite, qop=auth MD5 challenges) plays the carrier on loopback: register
# over UDP and TCP, refresh before expiry, a wrong password, the carrier going away and
# coming back, OPTIONS pings, a reload adding and removing gateways, unregistration on
# shutdown; and a second crossbar as a SHA-256-only registrar for RFC 8760's algorithm.
# A proxy given as a host name: "localhost:PORT" (resolved through /etc/hosts, no network)
# registers with the name in its URIs; "nowhere.invalid" (RFC 6761: never resolves) fails
# with a DNS error and retries while the daemon stays responsive: that daemon runs in a
# network namespace of its own (unshare -n), so that no DNS query leaves the machine.
. "$(dirname "$0")/lib.sh"

require_tools kamailio kamcmd sqlite3
# Kamailio's modules are in the architecture's multiarch folder (Debian's layout).
KMODS=
for d in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
	[ -e "$d/db_sqlite.so" ] && KMODS=$d && break
done
if [ -z "$KMODS" ]; then
	echo "1..0 # SKIP kamailio-sqlite-modules is not installed (no db_sqlite.so)"
	exit 0
fi

crossbar_names xb
crossbar_names sha
PORT=$xb_PORT
SPORT=$sha_PORT
KPORT=$(free_port)
while [ "$KPORT" = "$PORT" ] || [ "$KPORT" = "$SPORT" ]; do KPORT=$(free_port); done
KDIR=$TMP/kamailio
mkdir -p "$KDIR"
CTL="unix:$KDIR/kamailio_ctl"

# The carrier's subscribers, in the SQLite schema Kamailio ships (version + subscriber).
sqlite3 "$KDIR/kam.db" </usr/share/kamailio/db_sqlite/standard-create.sql
sqlite3 "$KDIR/kam.db" </usr/share/kamailio/db_sqlite/auth_db-create.sql
sqlite3 "$KDIR/kam.db" "INSERT INTO subscriber (username, domain, password) VALUES
	('trunk1', 'carrier.test', 'trunk1-pw'), ('trunk2', 'carrier.test', 'trunk2-pw'),
	('trunk3', 'carrier.test', 'trunk3-pw'), ('trunk4', 'carrier.test', 'trunk4-pw');"

cat >"$KDIR/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:$KPORT
listen=tcp:127.0.0.1:$KPORT
mpath="$KMODS/"
loadmodule "db_sqlite.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "$CTL")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 1)
modparam("auth_db", "db_url", "sqlite://$KDIR/kam.db")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "use_domain", 0)
modparam("auth_db", "load_credentials", "")

request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (!sanity_check()) { exit; }
	if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
	if (is_method("REGISTER")) {
		if (!auth_check("carrier.test", "subscriber", "1")) {
			xlog("L_NOTICE", "KAM-CHALLENGE \$fU rc=\$rc\n");
			auth_challenge("carrier.test", "1");
			exit;
		}
		consume_credentials();
		if (!save("location")) { sl_reply_error(); exit; }
		xlog("L_NOTICE", "KAM-REGISTERED \$fU contact=\$ct expires=\$hdr(Expires) ruri=\$ru to=\$tu callid=\$ci\n");
		exit;
	}
	sl_send_reply("404", "Not Here");
}
CFG
KAM_PID=
start_kamailio() {
	kamailio -f "$KDIR/kamailio.cfg" -DD -E -Y "$KDIR" -P "$KDIR/kamailio.pid" \
		>>"$TMP/kamailio.log" 2>&1 &
	KAM_PID=$!
	PIDS+=("$KAM_PID")
	for _ in $(seq 1 50); do
		kamcmd -s "$CTL" core.version >/dev/null 2>&1 && return 0
		kill -0 "$KAM_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_kamailio() {
	kill "$KAM_PID" 2>/dev/null
	wait_exit "$KAM_PID" 10
}
ul_dump() { kamcmd -s "$CTL" ul.dump 2>/dev/null; }
# kam_has REGEX: the carrier's location table holds a contact matching REGEX.
kam_has() { ul_dump | grep -E "Address: $1" >/dev/null; }

cli() { "$CLI" --socket "$xb_SOCK" "$@"; }
# gw_is NAME STATE [LAST-ERROR-REGEX]: `gateways NAME` shows that state (and error).
gw_is() { COLUMNS=250 cli gateways "$1" | grep -E "^$1 .* $2 .*${3:-}" >/dev/null; }

gateway() { # NAME USER PASSWORD TRANSPORT [extra params]
	gateway_at "127.0.0.1:$KPORT" "$@"
}
gateway_at() { # PROXY NAME USER PASSWORD TRANSPORT [extra params]
	local proxy=$1 name=$2 user=$3 pw=$4 tp=$5
	shift 5
	echo "    <gateway name=\"$name\">"
	echo "      <param name=\"proxy\" value=\"$proxy\"/>"
	echo "      <param name=\"transport\" value=\"$tp\"/>"
	echo "      <param name=\"username\" value=\"$user\"/>"
	echo "      <param name=\"password\" value=\"$pw\"/>"
	echo "      <param name=\"register\" value=\"yes\"/>"
	echo "      <param name=\"expiry\" value=\"3\"/>"
	echo "      <param name=\"retry_interval\" value=\"1\"/>"
	for p in "$@"; do echo "      <param name=\"${p%%=*}\" value=\"${p#*=}\"/>"; done
	echo "    </gateway>"
}
write_config() { # gateways' XML on stdin
	{
		echo '<?xml version="1.0"?>'
		echo '<crossbar>'
		echo '  <gateways>'
		cat
		echo '  </gateways>'
		echo '</crossbar>'
	} >"$TMP/crossbar.xml"
}

# The SHA-256-only registrar (a second crossbar) for the RFC 8760 gateway.
SDATA=$sha_DATA
start_crossbar sha sip,registrar --set sip.listen=udp:127.0.0.1:$SPORT \
	--set registrar.realm=sha.test --set registrar.demo_users=no \
	--set registrar.digest_algorithms=SHA-256
"$CLI" --socket "$SDATA/crossbar.sock" user add 3000 --password sha-pw-3000 >/dev/null

check "Kamailio starts as the carrier" start_kamailio
{
	gateway carrier trunk1 trunk1-pw udp realm=carrier.test ping=1
	gateway carrier_tcp trunk2 trunk2-pw tcp
	gateway wrong trunk3 not-the-password udp
	gateway_at "localhost:$KPORT" byname trunk4 trunk4-pw udp ping=1
	echo "    <gateway name=\"sha\">"
	echo "      <param name=\"proxy\" value=\"127.0.0.1:$SPORT\"/>"
	echo "      <param name=\"username\" value=\"3000\"/>"
	echo "      <param name=\"password\" value=\"sha-pw-3000\"/>"
	echo "      <param name=\"from_domain\" value=\"sha.test\"/>"
	echo "      <param name=\"register\" value=\"yes\"/>"
	echo "      <param name=\"expiry\" value=\"600\"/>"
	echo "    </gateway>"
} | write_config
ARGS=(--config "$TMP/crossbar.xml" --set registrar.demo_users=no
	--set sip.t1=50 --set sip.t2=500 --set core.log_level=info)
check "crossbar starts with five gateways" start_crossbar xb sip,registrar "${ARGS[@]}"
SOCK=$xb_SOCK
START=$(date +%s.%N)

check "the UDP gateway registers (401 answered with MD5 qop=auth)" until_ok 5 gw_is carrier registered
check "... and Kamailio's location holds its contact" until_ok 3 kam_has "sip:trunk1@127.0.0.1:$PORT\$"
check "the TCP gateway registers" until_ok 5 gw_is carrier_tcp registered
check "... with a transport=tcp contact at Kamailio" until_ok 3 kam_has "sip:trunk2@127.0.0.1:$PORT;transport=tcp"
check "a wrong password: failed with the 401's reason" until_ok 5 gw_is wrong failed "401 Unauthorized: wrong credentials"
# Kamailio's auth_check gives -2 for a wrong password: one per attempt (one retry each).
wrong_rounds() {
	local fails bad
	fails=$(grep -c 'gateway wrong: registration failed (401' "$TMP/xb.log")
	bad=$(grep -c 'KAM-CHALLENGE trunk3 rc=-2' "$TMP/kamailio.log")
	echo "failed attempts $fails, wrong answers seen by Kamailio $bad"
	[ "$fails" -ge 1 ] && [ "$bad" -le $((fails + 1)) ] && [ "$bad" -ge "$fails" ]
}
check "... after one answered challenge per attempt, no more (no retry loop)" wrong_rounds
# Host names: looked up off the main loop (GResolver), the name kept in the URIs.
check "a gateway whose proxy is a host name (localhost) registers" until_ok 5 gw_is byname registered
check "... at the address it resolves to (Kamailio holds its contact)" until_ok 3 kam_has "sip:trunk4@127.0.0.1:$PORT\$"
check "... with the host name in the Request-URI and To" \
	grep -q "KAM-REGISTERED trunk4 contact=<sip:trunk4@127.0.0.1:$PORT> expires=3 ruri=sip:localhost:$KPORT to=sip:trunk4@localhost:$KPORT" "$TMP/kamailio.log"
check "... and its OPTIONS pings (each after a look-up) mark it up" until_ok 5 bash -c "'$CLI' --socket '$SOCK' gateways byname | grep -q ' up '"
# A name that cannot resolve, in a daemon alone in a new network namespace (only its own
# loopback; the control socket is a file, reachable from here): the look-up fails at once,
# without any query leaving the machine.
if unshare -n true 2>/dev/null; then
	crossbar_names nowhere_xb
	NDATA=$nowhere_xb_DATA
	gateway_at nowhere.invalid nowhere trunk4 trunk4-pw udp >"$TMP/nowhere.gw"
	sed "/<gateways>/r $TMP/nowhere.gw" >"$TMP/nowhere.xml" <<'XML'
<?xml version="1.0"?>
<crossbar>
  <gateways>
  </gateways>
</crossbar>
XML
	printf '#!/bin/sh\nexec unshare -n -- sh -c '"'"'ip link set lo up && exec "$0" "$@"'"'"' %s "$@"\n' \
		"$CROSSBAR" >"$TMP/crossbar-netns"
	chmod +x "$TMP/crossbar-netns"
	CROSSBAR=$TMP/crossbar-netns start_crossbar nowhere_xb sip,registrar \
		--config "$TMP/nowhere.xml" --set sip.listen=udp:127.0.0.1:$PORT \
		--set registrar.demo_users=no --set core.log_level=info
	SOCK=$xb_SOCK
	ncli() { "$CLI" --socket "$NDATA/crossbar.sock" "$@"; }
	check "a name that cannot resolve (.invalid): failed with a DNS error" \
		until_ok 3 bash -c "COLUMNS=250 '$CLI' --socket '$NDATA/crossbar.sock' gateways nowhere | grep -E '^nowhere .* failed .*DNS: nowhere.invalid: '"
	# The first failure within 4 s of the daemon's first log line, both stamped by the
	# daemon itself (so that a slow start or a loaded machine does not count): no wait for
	# the resolver's timeout (5 s a server). until_ok waits for the line to be written.
	log_time() { date -u -d "$(cut -c1-23 <<<"$1" | sed 's/T/ /')" +%s.%N; }
	dns_failed_quickly() {
		local log=$TMP/nowhere_xb.log first start
		first=$(grep -m1 'gateway nowhere: registration failed (DNS: nowhere.invalid' "$log")
		start=$(head -1 "$log")
		[ -n "$first" ] && [ -n "$start" ] || return 1
		echo "started ${start:0:23}, failed ${first:0:23}"
		awk -v a="$(log_time "$first")" -v b="$(log_time "$start")" 'BEGIN { exit !(a - b < 4) }'
	}
	check "... within seconds of the start" until_ok 10 dns_failed_quickly
	check "... the daemon stays responsive meanwhile" ncli status
	check "... and retries with back-off" until_ok 5 bash -c "[ \$(grep -c 'gateway nowhere: registration failed (DNS: ' '$TMP/nowhere_xb.log') -ge 2 ]"
	stop_crossbar nowhere_xb
else
	skip "a name that cannot resolve (.invalid) fails with a DNS error" \
		"no network namespace here (unshare -n)"
fi
check "the SHA-256-only registrar is answered with SHA-256 (RFC 8760)" until_ok 5 gw_is sha registered
check "... and lists the binding" bash -c "'$CLI' --socket '$SDATA/crossbar.sock' registrations 3000 | grep -q 'sip:3000@127.0.0.1:$PORT'"
check "OPTIONS pings mark the carrier up" until_ok 5 bash -c "'$CLI' --socket '$SOCK' gateways carrier | grep -q ' up '"
check "gateways --json" bash -c "'$CLI' --socket '$SOCK' --json gateways | grep -q '\"name\":\"carrier\"' && '$CLI' --socket '$SOCK' --json gateways | grep -q '\"state\":\"registered\"'"
sleep 3
check "the registration is refreshed before it expires (Kamailio saw several)" \
	bash -c "[ \$(grep -c 'KAM-REGISTERED trunk1 contact=<sip:trunk1@127.0.0.1:$PORT> expires=3' '$TMP/kamailio.log') -ge 2 ]"
check "... logged as refreshed, the gateway shown registered meanwhile" \
	bash -c "grep -q 'gateway carrier: registration refreshed for' '$TMP/xb.log' && [ \$(grep -c 'gateway carrier: registered at' '$TMP/xb.log') -eq 1 ]"
# Kamailio's usrloc matches bindings by contact alone: one binding would be there whatever
# the Call-ID, so the Call-IDs of the REGISTERs themselves are compared.
same_call_id() {
	local ids
	ids=$(grep "KAM-REGISTERED trunk1 contact=<sip:trunk1@127.0.0.1:$PORT> expires=3 " "$TMP/kamailio.log" |
		sed -n 's/.* callid=\([^ ]*\)$/\1/p')
	echo "Call-IDs: $(echo "$ids" | sort | uniq -c | tr -s ' \n' ' ')"
	[ "$(echo "$ids" | grep -c .)" -ge 2 ] && [ "$(echo "$ids" | sort -u | wc -l)" -eq 1 ]
}
check "... with the same Call-ID (RFC 3261 §10.2.4)" same_call_id

# The carrier goes away ...
stop_kamailio
check "without the carrier the UDP gateway fails on a timeout" until_ok 12 gw_is carrier failed timeout
check "... and the TCP one on a transport error or timeout" until_ok 12 gw_is carrier_tcp failed "(transport error|timeout)"
check "... the pings mark it down" until_ok 8 bash -c "'$CLI' --socket '$SOCK' gateways carrier | grep -q ' down '"
check "... and it keeps retrying with back-off" until_ok 10 bash -c "[ \$(grep -c 'gateway carrier: registration failed (timeout)' '$TMP/xb.log') -ge 2 ]"
# ... and comes back.
check "Kamailio starts again" start_kamailio
check "the UDP gateway registers again" until_ok 15 gw_is carrier registered
check "the TCP gateway registers again" until_ok 15 gw_is carrier_tcp registered
check "Kamailio's fresh location table holds both contacts" until_ok 3 bash -c "kamcmd -s '$CTL' ul.dump | grep -q 'sip:trunk1@' && kamcmd -s '$CTL' ul.dump | grep -q 'sip:trunk2@'"
check "the pings mark it up again" until_ok 5 bash -c "'$CLI' --socket '$SOCK' gateways carrier | grep -q ' up '"

# A reload: the TCP and wrong gateways go, a new one comes.
{
	gateway carrier trunk1 trunk1-pw udp realm=carrier.test ping=1
	gateway late trunk2 trunk2-pw udp
	gateway_at "localhost:$KPORT" byname trunk4 trunk4-pw udp ping=1
	echo "    <gateway name=\"sha\">"
	echo "      <param name=\"proxy\" value=\"127.0.0.1:$SPORT\"/>"
	echo "      <param name=\"username\" value=\"3000\"/>"
	echo "      <param name=\"password\" value=\"sha-pw-3000\"/>"
	echo "      <param name=\"from_domain\" value=\"sha.test\"/>"
	echo "      <param name=\"register\" value=\"yes\"/>"
	echo "      <param name=\"expiry\" value=\"600\"/>"
	echo "    </gateway>"
} | write_config
check "reload" cli reload
check "a removed gateway is unregistered at the carrier" until_ok 5 lacks 'transport=tcp' kamcmd -s "$CTL" ul.dump
check "... and no longer listed" lacks '^(carrier_tcp|wrong) ' cli gateways
check "an added gateway registers" until_ok 5 gw_is late registered
check "an unchanged gateway stays registered" gw_is carrier registered
check "... the host-name one too" gw_is byname registered
printf '<?xml version="1.0"?>\n<crossbar><gateways><gateway name="x"><param name="proxy" value="bad host!"/></gateway></gateways></crossbar>\n' >"$TMP/crossbar.xml"
cli reload >/dev/null 2>&1
check "a reload with a bad gateway changes nothing (logged)" bash -c "grep -q \"gateways unchanged: .*proxy 'bad host!' is not a host name\" '$TMP/xb.log' && '$CLI' --socket '$SOCK' gateways carrier | grep -q registered"

# Shutdown unregisters.
stop_crossbar xb
check "the unregistration (Expires: 0, authenticated) reached Kamailio" grep -q "KAM-REGISTERED trunk1 contact=<sip:trunk1@127.0.0.1:$PORT> expires=0" "$TMP/kamailio.log"
check "... which no longer holds crossbar's contacts" lacks 'Address: sip:trunk' kamcmd -s "$CTL" ul.dump
check "... and the SHA-256 registrar dropped its binding" lacks 'sip:3000@' "$CLI" --socket "$SDATA/crossbar.sock" registrations 3000

# Configuration errors stop the start with file and line, as a bad configuration (exit 2),
# and --check-config finds them without starting anything.
printf '<?xml version="1.0"?>\n<crossbar>\n<gateways>\n<gateway name="x">\n<param name="proxy" value="bad host!"/>\n</gateway>\n</gateways>\n</crossbar>\n' >"$TMP/bad.xml"
expect_exit 2 "module 'sip': .*bad.xml:4: gateway 'x': proxy 'bad host!' is not a host name, an IPv4 address or an \\[IPv6\\] address" \
	"a proxy that is no host name is refused at start-up" \
	"$CROSSBAR" --config "$TMP/bad.xml" --set core.modules=sip,registrar \
	--set core.data_dir="$TMP/bad" --set sip.listen=udp:127.0.0.1:$(free_port)
check "... before anything started (no data folder made)" test ! -e "$TMP/bad"
expect_exit 2 "bad.xml:4: gateway 'x': proxy 'bad host!'" "... and --check-config says the same" \
	"$CROSSBAR" --config "$TMP/bad.xml" --set core.modules=sip,registrar --check-config
printf '<?xml version="1.0"?>\n<crossbar>\n<gateways>\n<gateway name="x">\n<param name="proxy" value="127.0.0.1"/>\n<param name="expiry" value="soon"/>\n</gateway>\n</gateways>\n</crossbar>\n' >"$TMP/bad.xml"
expect_exit 2 "gateway 'x': expiry 'soon' is not a number" "a bad expiry is refused (--check-config)" \
	"$CROSSBAR" --config "$TMP/bad.xml" --set core.modules=sip,registrar --check-config
stop_kamailio
done_testing
