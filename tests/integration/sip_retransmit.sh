#!/bin/bash
# sip_retransmit.sh: retransmission when the first copy is lost (RFC 3261 §17), through a
# relay on loopback that drops chosen datagrams: a lost request is retransmitted by SIPp and
# answered; a lost response is sent again by crossbar's server transaction when the
# retransmitted request arrives, without the request reaching the UA core twice. The Via
# asks for rport, so answers go back through the relay as they would through a NAT.
. "$(dirname "$0")/lib.sh"

require_tools sipp # Debian package sip-tester

RELAY=$BUILD/tests/integration/lossy_relay
check "the daemon starts" start_crossbar rt sip
PORT=$rt_PORT

through_relay() { # through_relay NAME DROP_SPEC: one SIPp OPTIONS through a lossy relay
	local rport
	rport=$(free_port)
	"$RELAY" "$rport" "$PORT" "$2" 8 >"$TMP/$1.relay" &
	PIDS+=("$!")
	sleep 0.2
	timeout 15 sipp -sf "$SRC/tests/integration/sipp/options_retrans.xml" -m 1 -l 1 \
		-i 127.0.0.1 -p "$(free_port)" -timeout 8 -timeout_error -trace_err \
		-error_file "$TMP/$1.err" 127.0.0.1:$rport >"$TMP/$1.out" 2>&1
}
requests() { "$CLI" --socket "$SOCK" sip status | awk '/^requests_received/ {print $2}'; }

before=$(requests)
check "a lost request: SIPp retransmits and gets its 200" through_relay lost_req up:1
check "... the relay dropped the first copy and passed the second" bash -c "grep -q '^up 1 dropped' '$TMP/lost_req.relay' && grep -q '^up 2 passed' '$TMP/lost_req.relay'"
check "... the UA core saw the request once" test "$(requests)" -eq $((before + 1))

before=$(requests)
check "a lost response: crossbar sends its 200 again for the retransmitted request" through_relay lost_resp down:1
check "... the relay dropped the first 200 and passed the second" bash -c "grep -q '^down 1 dropped' '$TMP/lost_resp.relay' && grep -q '^down 2 passed' '$TMP/lost_resp.relay' && grep -q '^up 2 passed' '$TMP/lost_resp.relay'"
check "... the retransmission was absorbed by the transaction, not seen twice by the UA core" test "$(requests)" -eq $((before + 1))
done_testing
