#!/bin/bash
# trunk_kamailio.sh: calls through a carrier trunk, a real Kamailio playing the carrier
# (registrar and auth_db on SQLite, as in gateway_kamailio.sh). crossbar's gateway registers
# to it. Out: a directory user dials 9NUMBER, the plan bridges gateway/carrier/NUMBER,
# Kamailio challenges the INVITE (407) and crossbar answers with the gateway's credentials,
# then Kamailio relays it (record-routed) to the far end, a SIPp callee, which answers and
# takes the BYE. In: a caller outside (SIPp) calls a DID at Kamailio, which relays it to
# crossbar; it comes from the gateway's address, so crossbar routes it in "public" without
# asking credentials, to a SIPp callee; a number public does not route gets 404 and nothing
# goes back out through the carrier. Addresses: crossbar 127.0.0.1, Kamailio 127.0.0.5, the
# user's phone 127.0.0.2, the far end 127.0.0.6, the outside caller 127.0.0.7.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools kamailio kamcmd sqlite3 sipp
KMODS=
for d in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
	[ -e "$d/db_sqlite.so" ] && KMODS=$d && break
done
if [ -z "$KMODS" ]; then
	echo "1..0 # SKIP kamailio-sqlite-modules is not installed (no db_sqlite.so)"
	exit 0
fi

export COLUMNS=250
crossbar_names xb
PORT=$xb_PORT
KPORT=$(free_port)
FAR_PORT=$(free_port)
DID_PORT=$(free_port)
SIPP_DIR=$SRC/tests/integration/sipp
KDIR=$TMP/kamailio
mkdir -p "$KDIR"
CTL="unix:$KDIR/kamailio_ctl"
cli() { "$CLI" --socket "$xb_SOCK" "$@"; }

sqlite3 "$KDIR/kam.db" </usr/share/kamailio/db_sqlite/standard-create.sql
sqlite3 "$KDIR/kam.db" </usr/share/kamailio/db_sqlite/auth_db-create.sql
sqlite3 "$KDIR/kam.db" "INSERT INTO subscriber (username, domain, password) VALUES
	('trunk1', 'carrier.test', 'trunk1-pw');"

# The carrier: REGISTER and INVITEs from crossbar (127.0.0.1) are authenticated; crossbar's
# INVITEs go to the far end, everyone else's to crossbar (the DID routing of a carrier);
# requests within a dialog follow their Route (or their Request-URI).
cat >"$KDIR/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.5:$KPORT
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
	if (has_totag()) {
		loose_route();
		t_relay();
		exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
	if (is_method("REGISTER")) {
		if (!auth_check("carrier.test", "subscriber", "1")) {
			auth_challenge("carrier.test", "1");
			exit;
		}
		consume_credentials();
		if (!save("location")) { sl_reply_error(); exit; }
		xlog("L_NOTICE", "KAM-REGISTERED \$fU contact=\$ct\n");
		exit;
	}
	if (!is_method("INVITE")) { sl_send_reply("405", "Not Here"); exit; }
	if (\$si == "127.0.0.1") {
		if (!auth_check("carrier.test", "subscriber", "1")) {
			xlog("L_NOTICE", "KAM-CHALLENGE INVITE \$rU from \$fU\n");
			auth_challenge("carrier.test", "1");
			exit;
		}
		consume_credentials();
		xlog("L_NOTICE", "KAM-OUT \$rU from \$fU authenticated\n");
		\$ru = "sip:" + \$rU + "@127.0.0.6:$FAR_PORT";
	} else {
		xlog("L_NOTICE", "KAM-IN \$rU from \$si\n");
		\$ru = "sip:" + \$rU + "@127.0.0.1:$PORT";
	}
	record_route();
	t_relay();
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

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="default">
    <extension name="out">
      <condition field="destination_number" expression="^9(\d+)\$">
        <action application="bridge" data="gateway/carrier/\$1"/>
      </condition>
    </extension>
  </context>
  <context name="public">
    <extension name="did">
      <condition field="destination_number" expression="^(4930123456)\$">
        <action application="bridge" data="sip:\$1@127.0.0.1:$DID_PORT"/>
      </condition>
    </extension>
  </context>
</include>
XML
cat >"$TMP/crossbar.xml" <<XML
<?xml version="1.0"?>
<crossbar>
  <gateways>
    <gateway name="carrier">
      <param name="proxy" value="127.0.0.5:$KPORT"/>
      <param name="username" value="trunk1"/>
      <param name="password" value="trunk1-pw"/>
      <param name="realm" value="carrier.test"/>
      <param name="register" value="yes"/>
      <param name="expiry" value="60"/>
      <param name="retry_interval" value="1"/>
    </gateway>
  </gateways>
</crossbar>
XML

check "Kamailio starts as the carrier" start_kamailio
check "crossbar starts with the carrier's gateway" start_crossbar xb sip,registrar \
	--config "$TMP/crossbar.xml" --set dialplan.file="$TMP/plan.xml" \
	--set directory.demo_users=no --set core.log_level=info --set media.ringback=no
check "a user is added" cli user add 2001 --password pw-2001
check "the gateway registers to the carrier" until_ok 10 bash -c \
	"'$CLI' --socket '$xb_SOCK' gateways carrier | grep -qE '^carrier .* registered'"
check "... Kamailio holds its contact" until_ok 3 bash -c \
	"kamcmd -s '$CTL' ul.dump | grep -q 'sip:trunk1@127.0.0.1:$PORT'"

# Out through the carrier.
LOCAL_IP=127.0.0.6 UAS_PORT=$FAR_PORT uas_start far phone_uas_answer.xml
HOST=127.0.0.1
LOCAL_IP=127.0.0.2
check "user 2001 dials 94930999888: answered at the far end behind the carrier" \
	uac out_a b2b_uac_auth.xml 94930999888 -au 2001 -ap pw-2001
check "... the far end took the call and the BYE" uas_done
check "... Kamailio challenged crossbar's INVITE (407)" \
	grep -q "KAM-CHALLENGE INVITE 4930999888 from trunk1" "$TMP/kamailio.log"
check "... and crossbar answered with the gateway's credentials" \
	grep -q "KAM-OUT 4930999888 from trunk1 authenticated" "$TMP/kamailio.log"
check "... the far end's INVITE came through Kamailio (Record-Route) for the number" bash -c \
	"grep -q '^INVITE sip:4930999888@127.0.0.6:$FAR_PORT ' '$TMP/far.msgs' && grep -qi '^Record-Route: <sip:127.0.0.5:$KPORT;lr' '$TMP/far.msgs'"
check "... its From is the gateway's account" grep -qE '^From: .*<sip:trunk1@' "$TMP/far.msgs"
no_calls() { cli calls | awk 'NR > 1 && NF && $0 != "(none)" {n++; print} END {exit n > 0}'; }
check "... both legs are gone" until_ok 5 no_calls

# In from the carrier, by DID.
LOCAL_IP=127.0.0.1 UAS_PORT=$DID_PORT uas_start did phone_uas_answer.xml
HOST=127.0.0.5
SAVED_PORT=$PORT
PORT=$KPORT
LOCAL_IP=127.0.0.7
check "a call from outside to the DID 4930123456 at the carrier" uac in_a b2b_uac_bye.xml 4930123456
check "... reaches crossbar's DID callee" uas_done
check "... Kamailio relayed it to crossbar" grep -q "KAM-IN 4930123456 from 127.0.0.7" "$TMP/kamailio.log"
check "... which asked no credentials (no 407)" bash -c "! grep -q '^SIP/2.0 407' '$TMP/in_a.msgs'"
check "... and routed it in public" grep -q "to 4930123456 in context public" "$TMP/xb.log"
check "... the DID callee's INVITE came from crossbar" \
	grep -q "^INVITE sip:4930123456@127.0.0.1:$DID_PORT " "$TMP/did.msgs"
outs=$(grep -c "KAM-CHALLENGE\|KAM-OUT" "$TMP/kamailio.log")
check "a number public does not route" uac in_404 b2b_uac_refused.xml 4930555
got_404() { statuses in_404 | grep -qw 404; }
check "... gets 404" got_404
check "... and never goes back out through the carrier" \
	test "$(grep -c "KAM-CHALLENGE\|KAM-OUT" "$TMP/kamailio.log")" -eq "$outs"
PORT=$SAVED_PORT
check "... no leg is left" until_ok 5 no_calls
stop_crossbar xb
kill "$KAM_PID" 2>/dev/null
wait_exit "$KAM_PID" 10
done_testing
