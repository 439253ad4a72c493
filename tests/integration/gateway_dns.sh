#!/bin/bash
# gateway_dns.sh: carrier trunks found by RFC 3263 §4 against a real DNS server. The test
# runs in network and mount namespaces of its own (root only): loopback up, a private
# /etc/resolv.conf naming dnsmasq on 127.0.0.1:53, which serves the zone "test":
#   _sip._udp.carrier.test  SRV 1 10 5071 p1.carrier.test (127.0.0.11, Kamailio "kam1")
#                           SRV 2 10 5072 p2.carrier.test (127.0.0.12, Kamailio "kam2")
#   aonly.test              A 127.0.0.13 and no SRV: found at 5060 (kam2 listens there)
#   explicit.test           A 127.0.0.15, written with a port (5075): no SRV asked
#   nowhere.test            nothing (NXDOMAIN)
# Checks: the gateway "carrier" registers to the priority-1 target and calls go there; a
# bridge to sip:NUMBER@carrier.test follows the same SRV records; with kam1 stopped, calls
# fail over to the priority-2 target (§4.3: the INVITE timed out) and so does the
# registration; a name without SRV falls back to its A record at 5060; a name with a port
# is never asked for SRV; a name that does not resolve leaves the gateway failed with a DNS
# error, and a call through it fails at once with 503. Calls come from SIPp at 127.0.0.30,
# the address of the literal gateway "inbound", so that crossbar routes them in "public".
if [ -z "${XB_DNS_NETNS:-}" ]; then
	if [ "$(id -u)" -ne 0 ] || ! unshare --net --mount true 2>/dev/null; then
		echo "1..0 # SKIP no network namespace of its own here (needs root and unshare)"
		exit 0
	fi
	XB_DNS_NETNS=1 exec unshare --net --mount --propagation private /bin/bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools kamailio kamcmd sipp ip
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
if [ ! -x "$DNSMASQ" ]; then
	echo "1..0 # SKIP dnsmasq is not installed (package dnsmasq-base)"
	exit 0
fi
KMODS=
for d in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
	[ -e "$d/tm.so" ] && KMODS=$d && break
done
if [ -z "$KMODS" ]; then
	echo "1..0 # SKIP kamailio's modules are not installed"
	exit 0
fi

export COLUMNS=250
SIPP_DIR=$SRC/tests/integration/sipp

# ---- the namespace's network and resolver ----
ip link set lo up
echo "nameserver 127.0.0.1" >"$TMP/resolv.conf"
echo "options timeout:1 attempts:2" >>"$TMP/resolv.conf"
mount --bind "$TMP/resolv.conf" /etc/resolv.conf

"$DNSMASQ" --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null --port 53 \
	--listen-address=127.0.0.1 --bind-interfaces --user=root --group=root --pid-file= \
	--local=/test/ \
	--srv-host=_sip._udp.carrier.test,p1.carrier.test,5071,1,10 \
	--srv-host=_sip._udp.carrier.test,p2.carrier.test,5072,2,10 \
	--host-record=p1.carrier.test,127.0.0.11 --host-record=p2.carrier.test,127.0.0.12 \
	--host-record=aonly.test,127.0.0.13 --host-record=explicit.test,127.0.0.15 \
	--log-queries --log-facility="$TMP/dnsmasq.log" >"$TMP/dnsmasq.out" 2>&1 &
PIDS+=("$!")
check "dnsmasq answers in the test's namespace (the system resolver asks it)" \
	until_ok 5 bash -c "getent hosts p1.carrier.test | grep -q 127.0.0.11"

# ---- the carriers: two Kamailios relaying calls to a SIPp far end ----
FAR_PORT=$(free_port)
# kam_config NAME LISTEN...: a carrier that takes any REGISTER, answers OPTIONS and relays
# INVITEs (record-routed) to the far end, logging what reached which of its addresses.
kam_config() {
	local name=$1 l
	shift
	mkdir -p "$TMP/$name"
	{
		echo '#!KAMAILIO'
		echo 'debug=2'
		echo 'log_stderror=yes'
		echo 'children=1'
		echo 'auto_aliases=no'
		echo 'disable_tcp=yes'
		for l in "$@"; do echo "listen=udp:$l"; done
		cat <<CFG
mpath="$KMODS/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:$TMP/$name/ctl")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 1)
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
	if (has_totag()) { loose_route(); t_relay(); exit; }
	if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
	if (is_method("REGISTER")) {
		xlog("L_NOTICE", "KAM-REGISTER \$fU at \$Ri:\$Rp\n");
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (!is_method("INVITE")) { sl_send_reply("405", "Not Here"); exit; }
	xlog("L_NOTICE", "KAM-INVITE \$rU at \$Ri:\$Rp\n");
	\$ru = "sip:" + \$rU + "@127.0.0.20:$FAR_PORT";
	record_route();
	t_relay();
}
CFG
	} >"$TMP/$name/kamailio.cfg"
}
# start_kam NAME: starts it (its log in $TMP/NAME.log); its pid in NAME_KPID.
start_kam() {
	local name=$1 pid
	kamailio -f "$TMP/$name/kamailio.cfg" -DD -E -Y "$TMP/$name" -P "$TMP/$name/pid" \
		>>"$TMP/$name.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	eval "${name}_KPID=$pid"
	for _ in $(seq 1 50); do
		kamcmd -s "unix:$TMP/$name/ctl" core.version >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
kam_config kam1 127.0.0.11:5071
kam_config kam2 127.0.0.12:5072 127.0.0.13:5060 127.0.0.15:5075
check "the priority-1 carrier (Kamailio at 127.0.0.11:5071) starts" start_kam kam1
check "the priority-2 carrier (Kamailio at 127.0.0.12:5072, .13:5060, .15:5075) starts" \
	start_kam kam2

# ---- crossbar ----
gw() { # NAME PROXY [param=value...]
	local name=$1 proxy=$2 p
	shift 2
	echo "    <gateway name=\"$name\">"
	echo "      <param name=\"proxy\" value=\"$proxy\"/>"
	for p in "$@"; do echo "      <param name=\"${p%%=*}\" value=\"${p#*=}\"/>"; done
	echo "    </gateway>"
}
{
	echo '<?xml version="1.0"?>'
	echo '<crossbar>'
	echo '  <gateways>'
	gw carrier carrier.test username=trunk1 register=yes expiry=4 retry_interval=1
	gw aonly aonly.test username=trunk3 register=yes expiry=60
	gw explicit explicit.test:5075 username=trunk5 register=yes expiry=60
	gw nowhere nowhere.test username=trunk9 register=yes expiry=60 retry_interval=1
	gw inbound 127.0.0.30:5099
	echo '  </gateways>'
	echo '</crossbar>'
} >"$TMP/crossbar.xml"
cat >"$TMP/plan.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="carrier">
      <condition field="destination_number" expression="^1(\d+)$">
        <action application="bridge" data="gateway/carrier/$1"/>
      </condition>
    </extension>
    <extension name="nowhere">
      <condition field="destination_number" expression="^2(\d+)$">
        <action application="bridge" data="gateway/nowhere/$1"/>
      </condition>
    </extension>
    <extension name="uri">
      <condition field="destination_number" expression="^4(\d+)$">
        <action application="bridge" data="sip:$1@carrier.test"/>
      </condition>
    </extension>
  </context>
</include>
XML
check "crossbar starts in the namespace with five gateways" start_crossbar xb sip \
	--config "$TMP/crossbar.xml" --set dialplan.file="$TMP/plan.xml" \
	--set sip.t1=50 --set sip.t2=500 --set core.log_level=info --set media.ringback=no
cli() { "$CLI" --socket "$xb_SOCK" "$@"; }
gw_is() { cli gateways "$1" | grep -E "^$1 .* $2 .*${3:-}" >/dev/null; }
kam_saw() { grep -q "$2" "$TMP/$1.log"; }

check "carrier.test: SRV _sip._udp.carrier.test was asked (dnsmasq's log)" \
	until_ok 5 grep -q 'query\[SRV\] _sip._udp.carrier.test from' "$TMP/dnsmasq.log"
check "the gateway registers" until_ok 5 gw_is carrier registered
check "... at the priority-1 target" kam_saw kam1 'KAM-REGISTER trunk1 at 127.0.0.11:5071'
check "... and not at the priority-2 one" bash -c "! grep -q 'KAM-REGISTER trunk1' '$TMP/kam2.log'"
show_has() {
	local out
	out=$(cli gateway show "$1") && grep -qE -- "$2" <<<"$out" && return 0
	echo "$out"
	return 1
}
check "gateway show: both SRV targets, in priority order, the first in use" bash -c \
	"'$CLI' --socket '$xb_SOCK' gateway show carrier | tr -s ' ' | grep -A1 -E '^1 10 p1.carrier.test 5071 127.0.0.11 in use' | grep -qE '^2 10 p2.carrier.test 5072 127.0.0.12'"
check "... and the look-up it made" show_has carrier '^lookup +SRV _sip._udp.carrier.test'
fits_80() {
	local out
	out=$(COLUMNS=80 "$CLI" --socket "$xb_SOCK" gateway show carrier) || return 1
	echo "$out"
	! awk 'length > 80 { bad = 1 } END { exit !bad }' <<<"$out"
}
check "... in 80 columns" fits_80
sed 's/^/# /' "$TMP/last.out"
check "gateway show --json gives the targets" bash -c \
	"'$CLI' --socket '$xb_SOCK' --json gateway show carrier | grep -q '\"target\":\"p2.carrier.test\"'"

# A calls out through the gateway (SIPp at the "inbound" gateway's address).
HOST=127.0.0.1
PORT=$xb_PORT
LOCAL_IP=127.0.0.20 UAS_PORT=$FAR_PORT uas_start far1 phone_uas_answer.xml
LOCAL_IP=127.0.0.30
check "a call through gateway/carrier is answered" uac call1 b2b_uac_bye.xml 1555001
check "... by the far end" uas_done
check "... through the priority-1 target" kam_saw kam1 'KAM-INVITE 555001 at 127.0.0.11:5071'

LOCAL_IP=127.0.0.20 UAS_PORT=$FAR_PORT uas_start far4 phone_uas_answer.xml
LOCAL_IP=127.0.0.30
check "bridge sip:NUMBER@carrier.test (SRV) is answered" uac call4 b2b_uac_bye.xml 4555004
check "... by the far end" uas_done
check "... through the priority-1 target" kam_saw kam1 'KAM-INVITE 555004 at 127.0.0.11:5071'

# No SRV: A at 5060; a port written: no SRV asked.
check "aonly.test (no SRV) registers" until_ok 5 gw_is aonly registered
check "... at its A record, port 5060" kam_saw kam2 'KAM-REGISTER trunk3 at 127.0.0.13:5060'
check "... after asking for SRV first" grep -q 'query\[SRV\] _sip._udp.aonly.test from' "$TMP/dnsmasq.log"
check "explicit.test:5075 registers there" until_ok 5 gw_is explicit registered
check "... at its A record and the port written" kam_saw kam2 'KAM-REGISTER trunk5 at 127.0.0.15:5075'
check "... without asking for SRV" bash -c "! grep -q '_sip._udp.explicit.test' '$TMP/dnsmasq.log'"

# A name that does not resolve.
check "nowhere.test: the gateway fails with a DNS error" \
	until_ok 5 gw_is nowhere failed 'DNS: nowhere.test: '
check "... logged" grep -q 'gateway nowhere: registration failed (DNS: nowhere.test: ' "$TMP/xb.log"
check "... and shown by gateway show" show_has nowhere '^lookup_error +DNS: nowhere.test'
LOCAL_IP=127.0.0.30
T0=$(date +%s%N)
uac call2 b2b_uac_refused.xml 2555002 >/dev/null
T1=$(date +%s%N)
check "a call through it fails with 503" bash -c "[[ ' $(statuses call2) ' == *' 503 '* ]]"
check "... at once (under 3 s: $(((T1 - T0) / 1000000)) ms)" test $(((T1 - T0) / 1000000)) -lt 3000
check "... the log says why" grep -qE 'DNS: nowhere.test: .*no INVITE sent' "$TMP/xb.log"

# The priority-1 target goes away: calls and the registration move to the priority-2 one.
kill "$kam1_KPID" 2>/dev/null
wait_exit "$kam1_KPID" 10
LOCAL_IP=127.0.0.20 UAS_PORT=$FAR_PORT uas_start far3 phone_uas_answer.xml
LOCAL_IP=127.0.0.30
check "with the priority-1 target stopped, a call through the gateway is answered" \
	uac call3 b2b_uac_bye.xml 1555003
check "... by the far end" uas_done
check "... through the priority-2 target (RFC 3263 §4.3)" kam_saw kam2 'KAM-INVITE 555003 at 127.0.0.12:5072'
check "... after the first timed out (logged)" \
	grep -qE 'INVITE to 127.0.0.11:5071 failed \(timeout\); trying the next target, 127.0.0.12:5072' "$TMP/xb.log"
check "the registration moves to the priority-2 target" \
	until_ok 15 kam_saw kam2 'KAM-REGISTER trunk1 at 127.0.0.12:5072'
check "... and gateway show has it in use" until_ok 5 bash -c \
	"'$CLI' --socket '$xb_SOCK' gateway show carrier | tr -s ' ' | grep -qE '^2 10 p2.carrier.test 5072 127.0.0.12 in use'"
check "... still registered" gw_is carrier registered

stop_crossbar xb
kill "$kam2_KPID" 2>/dev/null
wait_exit "$kam2_KPID" 10
done_testing
