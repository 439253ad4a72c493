#!/bin/bash
# turn_relay.sh: mod_turn relaying real traffic for coturn's clients on loopback:
# STUN Binding over UDP (turnutils_stunclient) and TCP, then turnutils_uclient to a
# turnutils_peer with long-term credentials and with the shared secret (-W), over UDP, TCP
# and TLS, through channels and through Send/Data indications (-s), on IPv4 and IPv6 relays,
# every run asserting that no packet was lost; `crossbar-cli turn` while a client runs.
. "$(dirname "$0")/lib.sh"

require_tools turnutils_uclient turnutils_peer turnutils_stunclient # Debian package coturn

crossbar_names main
PORT=$main_TURN
TLS_PORT=$(free_port)
PEER=$(free_port)
SECRET=shared-s3cret

# A turnutils_peer echoes every datagram back, on IPv4 and IPv6 loopback.
turnutils_peer -L 127.0.0.1 -p "$PEER" >"$TMP/peer4.log" 2>&1 &
PIDS+=("$!")
turnutils_peer -L ::1 -p "$PEER" >"$TMP/peer6.log" 2>&1 &
PIDS+=("$!")

# A throw-away certificate for the tls: listener.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1

check "the daemon starts with mod_turn" start_crossbar main turn --set core.log_level=info \
	--set "turn.listen=udp:127.0.0.1:$PORT,tcp:127.0.0.1:$PORT,udp:[::1]:$PORT,tcp:[::1]:$PORT,tls:127.0.0.1:$TLS_PORT" \
	--set turn.tls_certificate="$TMP/cert.pem" --set turn.tls_key="$TMP/key.pem" \
	--set turn.allow_loopback_peers=true --set turn.rfc5766_channels=true \
	--set turn.users=alice:wonderland,bob:builder --set turn.static_auth_secret=$SECRET \
	--set turn.relay_ports=40000-44999
check "turn listens on UDP" bash -c "ss -Hlun | grep -q '127.0.0.1:$PORT'"
check "turn listens on TCP" bash -c "ss -Hltn | grep -q '127.0.0.1:$PORT'"
check "turn listens on TLS" bash -c "ss -Hltn | grep -q '127.0.0.1:$TLS_PORT'"
check "relays are on 127.0.0.1 and ::1 (the listen addresses)" \
	bash -c "grep -q 'relaying on 127.0.0.1 ports' '$TMP/main.log' && grep -q 'relaying on \[::1\] ports' '$TMP/main.log'"

# RFC 8489 §6.3.1: XOR-MAPPED-ADDRESS is the client's address as seen by the server.
check "STUN Binding over UDP gives the reflexive address" \
	bash -c "timeout 10 turnutils_stunclient -p $PORT 127.0.0.1 | grep -q 'UDP reflexive addr: 127.0.0.1:'"

# Over TCP by hand: a Binding request (type 0x0001, no attributes, magic cookie); the
# answer is a success response (0x0101) with the same transaction id and
# XOR-MAPPED-ADDRESS (0x0020) of 127.0.0.1 (7f000001 ^ 2112a442 = 5e12a443).
stun_tcp() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf '\x00\x01\x00\x00\x21\x12\xa4\x42crossbar-tid' >&3
	timeout 2 cat <&3 >"$TMP/binding.bin"
	exec 3>&-
	local hex
	hex=$(od -An -tx1 -v "$TMP/binding.bin" | tr -d ' \n')
	echo "$hex"
	[[ $hex == 0101*2112a442*63726f73736261722d746964* ]] && [[ $hex == *00200008*5e12a443* ]]
}
check "STUN Binding over TCP gives XOR-MAPPED-ADDRESS" stun_tcp

# uclient DESC ARGS...: runs turnutils_uclient towards the peer and passes when it sent
# packets and got every one of them back.
uclient() {
	local desc=$1 out=$TMP/uclient.$TAP_N.log
	shift
	timeout 60 turnutils_uclient -p "${UPORT:-$PORT}" -r "$PEER" -n 50 -l 160 -z 5 "$@" >"$out" 2>&1
	local rc=$? sent recv
	sent=$(grep -o 'tot_send_msgs=[0-9]*' "$out" | tail -1 | cut -d= -f2)
	recv=$(grep -o 'tot_recv_msgs=[0-9]*' "$out" | tail -1 | cut -d= -f2)
	if [ "$rc" -eq 0 ] && [ "${sent:-0}" -gt 0 ] && [ "$sent" = "$recv" ] &&
		grep -q 'Total lost packets 0 (0.000000%)' "$out"; then
		ok "$desc ($sent packets)"
	else
		not_ok "$desc (exit $rc, sent ${sent:-?}, received ${recv:-?})"
		grep -E 'ERROR|error|lost' "$out" | head -5 | sed 's/^/# /'
	fi
}

LT=(-u alice -w wonderland)
uclient "UDP, long-term credentials, channels: nothing lost" "${LT[@]}" -m 4 -e 127.0.0.1 127.0.0.1
uclient "UDP, long-term credentials, Send/Data indications: nothing lost" "${LT[@]}" -m 4 -s -e 127.0.0.1 127.0.0.1
uclient "TCP, long-term credentials, channels (padded): nothing lost" "${LT[@]}" -m 4 -t -e 127.0.0.1 127.0.0.1
uclient "TCP, long-term credentials, Send/Data indications: nothing lost" "${LT[@]}" -m 4 -t -s -e 127.0.0.1 127.0.0.1
uclient "UDP, shared secret (-W), channels: nothing lost" -W $SECRET -u carol -m 4 -e 127.0.0.1 127.0.0.1
uclient "UDP, shared secret (-W), Send/Data indications: nothing lost" -W $SECRET -u carol -m 4 -s -e 127.0.0.1 127.0.0.1
uclient "TCP, shared secret (-W), channels: nothing lost" -W $SECRET -u carol -m 4 -t -e 127.0.0.1 127.0.0.1
uclient "TCP, shared secret (-W), Send/Data indications: nothing lost" -W $SECRET -u carol -m 4 -t -s -e 127.0.0.1 127.0.0.1
UPORT=$TLS_PORT uclient "TLS, long-term credentials, channels: nothing lost" "${LT[@]}" -m 4 -S -t -e 127.0.0.1 127.0.0.1
UPORT=$TLS_PORT uclient "TLS, shared secret (-W), Send/Data indications: nothing lost" -W $SECRET -u carol -m 4 -S -t -s -e 127.0.0.1 127.0.0.1
# RFC 6156: an IPv6 peer asks for an IPv6 relay (REQUESTED-ADDRESS-FAMILY).
uclient "IPv6 relay to an IPv6 peer, channels: nothing lost" "${LT[@]}" -m 2 -e ::1 ::1
uclient "IPv6 relay from an IPv4 client, Send/Data: nothing lost" "${LT[@]}" -m 2 -s -e ::1 127.0.0.1

# `crossbar-cli turn` while a client holds its allocations (about 4 s of traffic).
timeout 30 turnutils_uclient -p "$PORT" -r "$PEER" -n 200 -z 20 -m 1 -c -u bob -w builder \
	-e 127.0.0.1 127.0.0.1 >"$TMP/long.log" 2>&1 &
LONG=$!
PIDS+=("$LONG")
# Poll until bob's traffic shows (uclient sends only once every allocation is set up).
BOB_ROW='^bob +udp +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:4[0-4][0-9]{3} +[0-9]+ +1 +[1-9] +[1-9][0-9]* +[1-9][0-9]*'
for _ in $(seq 1 100); do
	COLUMNS=200 "$CLI" --socket "$SOCK" turn >"$TMP/turn.txt" 2>&1
	grep -Eq "$BOB_ROW" "$TMP/turn.txt" && break
	sleep 0.1
done
"$CLI" --socket "$SOCK" --json turn >"$TMP/turn.json" 2>&1
check "crossbar-cli turn has its columns" \
	grep -Eq '^USER +TRANSPORT +CLIENT +RELAYED +LIFETIME_LEFT +PERMISSIONS +CHANNELS +BYTES_TO_PEER +BYTES_TO_CLIENT' "$TMP/turn.txt"
check "crossbar-cli turn lists bob's allocation with its relayed address and traffic" \
	grep -Eq "$BOB_ROW" "$TMP/turn.txt"
check "crossbar-cli --json turn is JSON rows" grep -q '"user":"bob"' "$TMP/turn.json"
wait "$LONG"
check "the long client lost nothing" grep -q 'Total lost packets 0 (0.000000%)' "$TMP/long.log"
check "turn stats counts relayed bytes both ways" \
	bash -c "'$CLI' --socket '$SOCK' turn stats | grep -Eq '^bytes_to_peer +[1-9]' && '$CLI' --socket '$SOCK' turn stats | grep -Eq '^bytes_to_client +[1-9]'"
check "turn stats counts no drops for want of permission" \
	bash -c "'$CLI' --socket '$SOCK' turn stats | grep -Eq '^dropped_no_permission +0$'"

# With allocations still open.
stop_crossbar main
check "mod_turn was unloaded" grep -q "module turn unloaded" "$TMP/main.log"
done_testing
